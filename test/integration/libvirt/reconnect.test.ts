import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, expect, test } from "vitest";
import { Hypervisor, type HypervisorEvent, type StateChange } from "../../../libvirt/index.js";
import { cleanupPrefix, testPrefix, tinyDomainXml, virsh, virshResult } from "../../harness/virsh.js";

const run = promisify(execFile);
const prefix = testPrefix();
const PID_FILE = "/run/libvirtd.pid";

function daemonPid(): number | null {
  try {
    const pid = Number(readFileSync(PID_FILE, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function ensureDaemon(): Promise<void> {
  if (daemonPid() !== null) return;
  await run("libvirtd", ["-d"]);
  await until("libvirtd answers", async () => (await virshResult("version")).code === 0, 30_000);
}

afterAll(async () => {
  await ensureDaemon();
  await cleanupPrefix(prefix);
});

test("libvirtd killed and restarted while connected: the client reports the loss and reconnects by itself", async () => {
  await ensureDaemon();
  const hv = await Hypervisor.open({ reconnectInitialDelayMs: 50, reconnectMaxDelayMs: 500 });
  try {
    const states: StateChange[] = [];
    hv.onStateChange((s) => states.push(s));
    const ac = new AbortController();
    const sub = hv.events(ac.signal, { sources: ["domain-lifecycle"] });
    await sub.ready;
    const seen: HypervisorEvent[] = [];
    const done = (async () => {
      for await (const ev of sub) seen.push(ev);
    })();

    const dom = `${prefix}rc`;
    await hv.defineDomain(tinyDomainXml(dom));

    const pid = daemonPid();
    expect(pid).not.toBeNull();
    process.kill(pid!, "SIGTERM");
    await until("client notices the loss", () => states.some((s) => s.state === "disconnected"), 5_000);
    expect(states[0]).toMatchObject({ state: "disconnected", previous: "ready", generation: 1 });
    expect(states[0]!.error?.message).toMatch(/libvirtd closed the connection/);
    await until(
      "event stream reports the loss",
      () => seen.some((e) => e.kind === "connection" && e.state === "lost"),
      2_000,
    );

    // a call issued while the daemon is down waits for the reconnect
    const duringOutage = hv.hostname();
    await until(
      "old libvirtd exits",
      () => {
        try {
          process.kill(pid!, 0);
          return false;
        } catch {
          return true;
        }
      },
      20_000,
    );
    await run("libvirtd", ["-d"]);

    await until("client reconnects", () => hv.state === "ready" && hv.connection.generation === 2, 30_000);
    expect(states.at(-1)).toMatchObject({ state: "ready", generation: 2 });
    expect(typeof (await duringOutage)).toBe("string");
    await until(
      "event stream reports the restore",
      () => seen.some((e) => e.kind === "connection" && e.state === "restored"),
      5_000,
    );

    // the event registration was renewed on the new connection
    await virsh("start", dom);
    await until(
      "started event after reconnect",
      () => seen.some((e) => e.kind === "domain-lifecycle" && e.domain.name === dom && e.event === "started"),
      2_000,
    );
    expect((await hv.domainState(dom)).state).toBe("running");
    await hv.destroyDomain(dom);
    await hv.undefineDomain(dom);
    ac.abort();
    await done;
  } finally {
    await hv.close();
    await ensureDaemon();
  }
});
