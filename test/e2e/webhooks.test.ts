import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../harness/processes.js";
import { definedMemoryMiB, markerDomain, policyDoc, RolloutFleet, rolloutBlock } from "../harness/rollout.js";
import { virsh } from "../harness/virsh.js";

// Issue 21 item 21: webhooks a receiver can trust and filter. A real controller and agent on
// this machine's libvirtd; a real HTTP receiver that checks the signature with the shared
// secret on its own (node:crypto, not virtfleet's code) and refuses requests outside its
// replay window. A rollout's planned changes arrive as `change`, never as `drift`.

const SECRET = `whsec-${process.pid}-${Date.now().toString(36)}-0123456789`;
/** The receiver's replay window; short so that the test can replay a request after it. */
const WINDOW_MS = 2_000;

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  type: string;
  status: number;
  /** Why the receiver refused it (signature, window), or undefined when accepted. */
  refused?: string;
}

const received: Received[] = [];
let server: Server;
let base = "";
let failFirstOnAll = true;

/** The receiver's own check: HMAC-SHA256(secret, timestamp + "." + body), and a fresh timestamp. */
function refusal(headers: Record<string, string>, body: string): string | undefined {
  const ts = headers["x-virtfleet-timestamp"];
  const sig = headers["x-virtfleet-signature"];
  if (!ts || !sig) return "unsigned";
  const want = Buffer.from(`sha256=${createHmac("sha256", SECRET).update(`${ts}.${body}`).digest("hex")}`);
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return "bad signature";
  if (Math.abs(Date.now() - Number(ts) * 1000) > WINDOW_MS) return "replayed (outside the window)";
  return undefined;
}

const fleet = new RolloutFleet();
const POLICY = "hooks";
const host = () => fleet.host(1);
const guest = () => `${host()}-cfg`;

function doc(mib: number): Record<string, unknown> {
  return policyDoc(POLICY, {
    rollout: rolloutBlock({ soak: "0s" }),
    resources: { domains: [markerDomain("cfg", mib)] },
  });
}

/** POSTs a captured request again, as an attacker who recorded it would. */
function replay(r: Received, headers: Record<string, string> = r.headers): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${r.path}`, { method: "POST", headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(r.body);
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const why = refusal(headers, body);
      let status = why ? 401 : 200;
      if (!why && req.url === "/all" && failFirstOnAll) {
        failFirstOnAll = false;
        status = 500;
      }
      let type = "";
      try {
        type = (JSON.parse(body) as { type: string }).type;
      } catch {}
      received.push({ path: req.url ?? "", headers, body, type, status, refused: why });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const secretFile = join(fleet.dir.path, "webhook.secret");
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  await fleet.start({
    hosts: 1,
    files: { "hooks.yaml": JSON.stringify(doc(80)) },
    controllerArgs: [
      "--webhook-secret-file",
      secretFile,
      "--webhook",
      `${base}/all events=drift,change,failure`,
      "--webhook",
      `${base}/failures events=failure`,
      "--webhook",
      `${base}/drift`,
    ],
  });
  const v1 = await fleet.waitNewRevision(POLICY, undefined);
  const s = await fleet.waitFinished(POLICY, v1);
  if (s.state !== "succeeded") throw new Error(`the first revision did not roll out: ${JSON.stringify(s)}`);
}, 120_000);

afterAll(async () => {
  await fleet.stop();
  await new Promise((r) => server?.close(r));
}, 60_000);

const ofGuest = (r: Received) => (JSON.parse(r.body) as { drift?: { name?: string } }).drift?.name === guest();

describe("webhooks", () => {
  it("a rollout's planned change reaches /all as `change`, never as drift; /drift and /failures get nothing of it", async () => {
    const from = received.length;
    const v1 = (await fleet.policyRevision(POLICY))!;
    fleet.write("hooks.yaml", doc(96));
    const v2 = await fleet.waitNewRevision(POLICY, v1);
    expect((await fleet.waitFinished(POLICY, v2)).state).toBe("succeeded");
    expect(await definedMemoryMiB(guest())).toBe(96);
    await waitFor(
      "the change alert at /all",
      () =>
        received.slice(from).some((r) => r.path === "/all" && r.type === "change" && r.status === 200)
          ? true
          : undefined,
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1_000)); // anything else the controller would send
    const mine = received.slice(from).filter(ofGuest);
    expect(mine.filter((r) => r.type === "drift")).toEqual([]);
    expect(mine.filter((r) => r.path !== "/all")).toEqual([]);
    const change = mine.find((r) => r.type === "change")!;
    expect(JSON.parse(change.body)).toMatchObject({
      type: "change",
      host: host(),
      drift: { kind: "domain", name: guest(), classification: "intentional" },
    });
    expect(change.headers["x-virtfleet-event"]).toBe("change");
  });

  it("corrective drift (virsh undefine) reaches /all and /drift as `drift`, not /failures (its filter)", async () => {
    const from = received.length;
    await virsh("undefine", guest());
    await waitFor(
      "drift alerts at /all and /drift",
      () => {
        const got = received.slice(from).filter((r) => r.type === "drift" && r.status === 200 && ofGuest(r));
        return got.some((r) => r.path === "/all") && got.some((r) => r.path === "/drift") ? true : undefined;
      },
      30_000,
    );
    await waitFor("the guest redefined", async () => ((await definedMemoryMiB(guest())) === 96 ? true : undefined));
    const drift = received.slice(from).find((r) => r.type === "drift" && r.path === "/drift")!;
    expect(JSON.parse(drift.body)).toMatchObject({ drift: { classification: "corrective", name: guest() } });
    expect(received.filter((r) => r.path === "/failures")).toEqual([]);
  });

  it("every request is signed with the shared secret over timestamp and body; a replay is refused", async () => {
    expect(received.length).toBeGreaterThan(0);
    expect(received.filter((r) => r.refused !== undefined)).toEqual([]);
    const sample = received.find((r) => r.status === 200)!;
    // the same request with a fresh timestamp: the signature no longer matches
    const now = String(Math.floor(Date.now() / 1000));
    expect(await replay(sample, { ...sample.headers, "x-virtfleet-timestamp": now })).toBe(401);
    expect(received.at(-1)!.refused).toBe("bad signature");
    // the same request as recorded, once the receiver's window has passed: refused as a replay
    await new Promise((r) => setTimeout(r, WINDOW_MS + 1_500));
    expect(await replay(sample)).toBe(401);
    expect(received.at(-1)!.refused).toBe("replayed (outside the window)");
  });

  it("the secret is in no log and no argv; compliance shows no last error once /all recovered", async () => {
    const c = fleet.controllers[0]!;
    expect(c.stderr).not.toContain(SECRET);
    expect(readFileSync(`/proc/${c.child.pid}/cmdline`, "utf8")).not.toContain(SECRET);
    // /all answered 500 once (retried and delivered since)
    expect(received.some((r) => r.path === "/all" && r.status === 500)).toBe(true);
    const alerts = (await fleet.compliance()) as unknown as { alerts: { failing: number; lastError: string | null } };
    expect(alerts.alerts).toMatchObject({ failing: 0, lastError: null });
  });
});
