/**
 * Benchmark (issue 21, item 9): latency of config drift that raises no libvirt event, from
 * `virsh setvcpus --config` / `virsh setmaxmem --config` returning to the drift event being
 * stored by the controller and delivered on the admin WatchDrift stream. The agent sees it
 * through libvirt's rewrite of /etc/libvirt/qemu/NAME.xml. A real controller and a real agent
 * run as processes (periodic re-check 1 h, so only the file watch can find it); the guest is
 * enforced, so each drift is repaired before the next injection. Median, p90, max of N
 * injections per command, and the load average before and after.
 *
 * Run: npm run build && node dist/bench/config-drift-latency.js [--injections 10]
 * Needs root and a running libvirtd. Creates vft-bcfg-<hex>-g1 and removes it afterwards.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { stringify } from "yaml";
import { intArg } from "./lib/cli-args.js";
import { virsh, withEnforcedGuest } from "./lib/enforced-guest.js";
import { median, quantile } from "./lib/stats.js";
import { until } from "./lib/until.js";

const INJECTIONS = intArg("injections", 10);
const prefix = `vft-bcfg-${randomBytes(3).toString("hex")}-`;
const guest = `${prefix}g1`;
const host = `${prefix}host`;

/** The injections: the virsh command, the drift field it causes, and the definition once repaired. */
const KINDS = [
  { label: "virsh setvcpus --config G 1", args: ["setvcpus", "--config", guest, "1"], field: "vcpus" },
  { label: "virsh setmaxmem --config G 96M", args: ["setmaxmem", "--config", guest, "96M"], field: "memory" },
] as const;

/** The definition as the policy wants it: 2 vCPUs (no lower current), 64 MiB. */
async function definitionRepaired(): Promise<boolean> {
  const xml = await virsh("dumpxml", "--inactive", guest).catch(() => "");
  return /<vcpu[^>]*>2<\/vcpu>/.test(xml) && !/<vcpu[^>]*current=/.test(xml) && /<memory unit='KiB'>65536</.test(xml);
}

async function main(): Promise<void> {
  const latencies = new Map<string, number[]>(KINDS.map((k) => [k.field, []]));
  const loadBefore = os.loadavg();
  const policyYaml = stringify({
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "bench" },
    spec: { resources: { domains: [{ name: guest, vcpus: 2, memory: "64MiB", state: "running" }] } },
  });
  await withEnforcedGuest(
    { prefix: "vft-bcfg-", host, guest, policyYaml, agentArgs: ["--resync-interval", "1h"] },
    async () => (await virsh("domstate", guest).catch(() => "")).trim() === "running" && (await definitionRepaired()),
    async ({ seen }) => {
      for (let i = 0; i < INJECTIONS; i++) {
        for (const k of KINDS) {
          const before = seen.length;
          await virsh(...k.args);
          // virsh returns once libvirt rewrote the definition: the drift exists from here on.
          const t0 = performance.now();
          const hit = await until(
            `the ${k.field} drift event`,
            () => seen.slice(before).find((s) => s.rec.name === guest && s.rec.fields.some((f) => f.field === k.field)),
            30_000,
            2,
          );
          latencies.get(k.field)!.push(Math.max(0, hit.at - t0));
          await until("the repair", async () => ((await definitionRepaired()) ? true : undefined), 30_000, 50);
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    },
  );
  const loadAfter = os.loadavg();
  console.log(
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, node ${process.version}, date ${new Date().toISOString()}`,
  );
  console.log(
    `load average (1/5/15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(" ")}, after: ${loadAfter.map((l) => l.toFixed(2)).join(" ")}`,
  );
  console.log("| injection (virsh returned → stored → WatchDrift) | injections | median ms | p90 ms | max ms |");
  console.log("|---|---:|---:|---:|---:|");
  for (const k of KINDS) {
    const xs = latencies.get(k.field)!;
    console.log(
      `| ${k.label} | ${xs.length} | ${median(xs).toFixed(0)} | ${quantile(xs, 0.9).toFixed(0)} | ${Math.max(...xs).toFixed(0)} |`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
