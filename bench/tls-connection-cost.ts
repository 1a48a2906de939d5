/**
 * Benchmark (issue 8): what one agent connection costs the controller's transport alone, without
 * virtfleet code: a Node http2 server (as grpc-js builds it: ECDSA P-256 certificate, client
 * certificates requested and checked against the CA) takes N connections, each with one open
 * stream, from a client in another process; the server's CPU (utime+stime) and RSS growth per
 * connection are read from /proc. Modes: plaintext HTTP/2, mTLS, and mTLS with SSL_OP_NO_TICKET
 * (what the controller sets: common/grpc/credentials.ts). Uses the load generator's cached
 * identities (run `npm run -s bench:fleet -- --agents N --mtls` once to create N of them).
 *
 * Run: npm run build && node dist/bench/tls-connection-cost.js [--connections 1500] [--runs 3]
 */
import { fork } from "node:child_process";
import { constants } from "node:crypto";
import { readFileSync } from "node:fs";
import * as http2 from "node:http2";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CA_CERT_FILE, CA_DIR } from "../controller/pki/index.js";
import { intArg } from "./lib/cli-args.js";
import { clockTicks, sampleProc } from "./lib/proc-sample.js";
import { cachedIdentities, identityCacheDir, type AgentIdentity } from "./loadgen/identities.js";
import { median } from "./lib/stats.js";

const IDENTITIES = identityCacheDir();
const CLOCK_TICKS = clockTicks();
type Mode = "plain" | "tls" | "tls-no-ticket";

async function serve(mode: Mode): Promise<void> {
  const [id] = await cachedIdentities(IDENTITIES, 1);
  const ca = readFileSync(join(IDENTITIES, CA_DIR, CA_CERT_FILE));
  const onStream = (stream: http2.ServerHttp2Stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" });
    stream.write(Buffer.alloc(5));
  };
  const tls = {
    key: id!.keyPem,
    cert: id!.certPem,
    ca,
    requestCert: true,
    rejectUnauthorized: true,
    ...(mode === "tls-no-ticket" ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
  };
  const server = mode === "plain" ? http2.createServer() : http2.createSecureServer(tls);
  server.on("stream", onStream);
  server.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as { port: number }).port }));
}

async function connectAll(mode: Mode, port: number, n: number): Promise<void> {
  const keep: http2.ClientHttp2Session[] = [];
  const ids = await cachedIdentities(IDENTITIES, n);
  let next = 0;
  const one = (id: AgentIdentity) =>
    new Promise<void>((resolve, reject) => {
      const s =
        mode === "plain"
          ? http2.connect(`http://127.0.0.1:${port}`)
          : http2.connect(`https://127.0.0.1:${port}`, { key: id.keyPem, cert: id.certPem, rejectUnauthorized: false });
      s.on("error", reject);
      s.request({ ":method": "POST", ":path": "/x", "content-type": "application/grpc" }).on("response", () =>
        resolve(),
      );
      keep.push(s);
    });
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < ids.length) await one(ids[next++]!);
    }),
  );
  if (ids.length < n) throw new Error(`only ${ids.length} identities cached in ${IDENTITIES}`);
  process.send!({ done: keep.length });
}

function procStat(pid: number): { cpuMs: number; rssBytes: number } {
  const s = sampleProc(pid);
  return { cpuMs: (s.ticks * 1000) / CLOCK_TICKS, rssBytes: s.rssKb * 1024 };
}

async function measure(mode: Mode, n: number): Promise<{ cpuMs: number; rssKb: number }> {
  const self = fileURLToPath(import.meta.url);
  const server = fork(self, ["--serve", mode]);
  const port = await new Promise<number>((r) => server.once("message", (m: { port: number }) => r(m.port)));
  await new Promise((r) => setTimeout(r, 300));
  const before = procStat(server.pid!);
  const client = fork(self, ["--connect", mode, String(port), String(n)]);
  await new Promise((resolve, reject) => {
    client.once("message", resolve);
    client.once("exit", (code) => reject(new Error(`client exited ${code}`)));
  });
  await new Promise((r) => setTimeout(r, 1000));
  const after = procStat(server.pid!);
  client.kill();
  server.kill();
  return { cpuMs: (after.cpuMs - before.cpuMs) / n, rssKb: (after.rssBytes - before.rssBytes) / n / 1024 };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf("--serve");
  if (i >= 0) return serve(process.argv[i + 1] as Mode);
  const c = process.argv.indexOf("--connect");
  if (c >= 0) return connectAll(process.argv[c + 1] as Mode, Number(process.argv[c + 2]), Number(process.argv[c + 3]));
  const n = intArg("connections", 1500);
  const runs = intArg("runs", 3);
  const modes: Mode[] = ["plain", "tls", "tls-no-ticket"];
  const results = new Map<Mode, { cpuMs: number; rssKb: number }[]>(modes.map((m) => [m, []]));
  for (let r = 0; r < runs; r++) for (const m of modes) results.get(m)!.push(await measure(m, n));
  console.log(
    `| server, ${n} connections, ${runs} runs | CPU per connection, median (min–max) | RSS per connection, median (min–max) |`,
  );
  console.log("|---|---|---|");
  for (const m of modes) {
    const rs = results.get(m)!;
    const cpu = rs.map((x) => x.cpuMs);
    const rss = rs.map((x) => x.rssKb);
    console.log(
      `| ${m} | ${median(cpu).toFixed(2)} ms (${Math.min(...cpu).toFixed(2)}–${Math.max(...cpu).toFixed(2)}) | ${median(rss).toFixed(0)} KB (${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)}) |`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
