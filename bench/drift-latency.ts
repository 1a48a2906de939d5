/**
 * Benchmark (issue 5, item 9): drift detection latency, from `virsh destroy` of an enforced
 * guest to the drift event being stored by the controller and delivered on the admin
 * WatchDrift stream (the controller publishes only after the durable write). A real
 * controller and a real agent run as processes; p50/p99 over N injections.
 * Baseline in the same run: a 1-second `virsh domstate` poller (what a polling tool such as
 * Salt beacons does at best), counting how many of the same drifts it sees at all.
 *
 * Run: npm run build && node dist/bench/drift-latency.js [--injections 50]
 * Needs root and a running libvirtd. Creates vft-blat-<hex>-g1 and removes it afterwards.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { intArg } from "./lib/cli-args.js";
import { virsh, withEnforcedGuest } from "./lib/enforced-guest.js";
import { median, quantile } from "./lib/stats.js";
import { tinyGuestsPolicyYaml } from "./lib/tiny-guests-policy.js";
import { until } from "./lib/until.js";

const INJECTIONS = intArg("injections", 50);
const prefix = `vft-blat-${randomBytes(3).toString("hex")}-`;
const guest = `${prefix}g1`;
const host = `${prefix}host`;

async function domstate(): Promise<string> {
  return (await virsh("domstate", guest).catch(() => "")).trim();
}

async function main(): Promise<void> {
  const latencies: number[] = [];
  const fromCommand: number[] = [];
  let pollerSaw = 0;
  await withEnforcedGuest(
    { prefix: "vft-blat-", host, guest, policyYaml: tinyGuestsPolicyYaml([guest]) },
    async () => (await domstate()) === "running",
    async ({ seen }) => {
      // The baseline poller runs alongside: one `virsh domstate` per second.
      let polling = true;
      const poller = (async () => {
        while (polling) {
          if ((await domstate()) === "shut off") pollerSaw++;
          await new Promise((r) => setTimeout(r, 1000));
        }
      })();
      for (let i = 0; i < INJECTIONS; i++) {
        await until(
          "the guest running again",
          async () => ((await domstate()) === "running" ? true : undefined),
          30_000,
          50,
        );
        const before = seen.length;
        const tCommand = performance.now();
        await virsh("destroy", guest);
        // virsh returns once QEMU is gone: the guest is off (the drift exists) from here on.
        const t0 = performance.now();
        const hit = await until(
          "the drift event",
          () => seen.slice(before).find((s) => s.rec.name === guest && s.rec.remediation === "repaired"),
          10_000,
          2,
        );
        latencies.push(Math.max(0, hit.at - t0));
        fromCommand.push(hit.at - tCommand);
        await new Promise((r) => setTimeout(r, 300));
      }
      polling = false;
      await poller;
    },
  );
  console.log(
    `machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, node ${process.version}, date ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log("| detector | injections | detected | p50 ms | p99 ms | max ms |");
  console.log("|---|---:|---:|---:|---:|---:|");
  console.log(
    `| virtfleet: guest off (virsh destroy returned) → stored → WatchDrift | ${INJECTIONS} | ${latencies.length} | ${median(latencies).toFixed(0)} | ${quantile(latencies, 0.99).toFixed(0)} | ${Math.max(...latencies).toFixed(0)} |`,
  );
  console.log(
    `| virtfleet: virsh destroy started → stored → WatchDrift | ${INJECTIONS} | ${fromCommand.length} | ${median(fromCommand).toFixed(0)} | ${quantile(fromCommand, 0.99).toFixed(0)} | ${Math.max(...fromCommand).toFixed(0)} |`,
  );
  console.log(`| 1 s virsh domstate poller (same injections) | ${INJECTIONS} | ${pollerSaw} | - | - | - |`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
