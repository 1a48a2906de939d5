import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanJson } from "../../controller/plan/index.js";
import { runCli } from "../harness/processes.js";
import { policyDoc, RolloutFleet, rolloutBlock } from "../harness/rollout.js";
import { freeSubnet24 } from "../harness/subnet.js";
import { virsh, virshResult } from "../harness/virsh.js";

/**
 * Issue 22 item 3 with a real controller and agent: a policy's network would take the subnet
 * of a network the host already has (defined by hand, as an operator would). The plan stage
 * shows it failed under the host's name, naming the other network; the rollout fails and the
 * network is never defined.
 */
class NetworkFleet extends RolloutFleet {
  override readonly prefix = `vft-nw${randomBytes(2).toString("hex")}-`;
}
const fleet = new NetworkFleet();
const POLICY = "netclash";
const h1 = () => fleet.host(1);
const hostNet = () => `${fleet.prefix}hostnet`;
let x = 0;

beforeAll(async () => {
  x = await freeSubnet24();
  const file = join(fleet.dir.path, "hostnet.xml");
  writeFileSync(
    file,
    `<network><name>${hostNet()}</name><bridge name='vfnw${fleet.prefix.slice(6, 10)}h'/><ip address='192.168.${x}.1' prefix='24'/></network>`,
  );
  await virsh("net-define", file);
  await fleet.start({ hosts: 1 });
}, 120_000);
afterAll(async () => {
  await fleet.stop();
  await virshResult("net-undefine", hostNet());
});

describe("a network on a subnet the host already uses", () => {
  it("the plan stage and `plan` show it failed under the host's name, naming the host's network; nothing is defined", async () => {
    fleet.write(
      "netclash.yaml",
      policyDoc(POLICY, {
        rollout: rolloutBlock({ canary: 1, soak: "1s" }),
        resources: {
          networks: [{ name: "${host.name}-n", mode: "nat", ipv4: { address: `192.168.${x}.9`, prefix: 24 } }],
        },
      }),
    );
    const revision = await fleet.waitNewRevision(POLICY, undefined);
    const s = await fleet.waitFinished(POLICY, revision, 120_000);
    const plan = s.plan as PlanJson;
    const planned = plan.hosts.find((h) => h.name === h1())?.resources ?? [];
    expect(planned.map((r) => [r.kind, r.name, r.action])).toEqual([["network", `${h1()}-n`, "failed"]]);
    expect(planned[0]!.error).toContain(
      `network ${h1()}-n takes the IPv4 subnet 192.168.${x}.0/24 that network ${hostNet()} (already on host ${h1()}) takes already`,
    );
    expect(s.state).not.toBe("succeeded");
    expect(s.failedHosts).toEqual([h1()]);
    expect((await virshResult("net-info", `${h1()}-n`)).code).not.toBe(0);

    const r = await runCli(["plan", POLICY, "--controller", fleet.controller.address, "--insecure"]);
    expect(r.stdout).toMatch(
      new RegExp(`${h1()}:\\n  network/${h1()}-n: could not be checked: network ${h1()}-n takes the IPv4 subnet`),
    );
  }, 180_000);
});
