import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanJson } from "../../controller/plan/index.js";
import { runCli } from "../harness/processes.js";
import { domainState, policyDoc, RolloutFleet, rolloutBlock } from "../harness/rollout.js";

/**
 * Issue 21 item 10 with a real controller and agent: a guest on a network that neither the
 * policies nor the host have is shown failed by the plan stage (and `plan`), naming the
 * network, and the rollout fails before the guest is ever defined.
 */
const fleet = new RolloutFleet();
const POLICY = "dangling";
const h1 = () => fleet.host(1);
const missingNet = () => `${fleet.prefix}nonet`;

beforeAll(async () => {
  await fleet.start({ hosts: 1 });
}, 120_000);
afterAll(() => fleet.stop());

describe("a guest on a network nobody has", () => {
  it("the plan stage and `plan` show it failed with the network's name; the guest is never defined", async () => {
    fleet.write(
      "dangling.yaml",
      policyDoc(POLICY, {
        rollout: rolloutBlock({ canary: 1, soak: "1s" }),
        resources: {
          domains: [
            {
              name: "${host.name}-g",
              vcpus: 1,
              memory: "64MiB",
              state: "shutoff",
              autostart: false,
              interfaces: [{ network: missingNet() }],
            },
          ],
        },
      }),
    );
    const revision = await fleet.waitNewRevision(POLICY, undefined);
    const s = await fleet.waitFinished(POLICY, revision, 120_000);
    const plan = s.plan as PlanJson;
    const planned = plan.hosts.find((x) => x.name === h1())?.resources ?? [];
    expect(planned.map((r) => [r.kind, r.name, r.action])).toEqual([["domain", `${h1()}-g`, "failed"]]);
    expect(planned[0]!.error).toContain(`interfaces[0]: network "${missingNet()}"`);
    expect(s.state).not.toBe("succeeded");
    expect(s.failedHosts).toEqual([h1()]);
    expect(await domainState(`${h1()}-g`)).toBeNull();

    const r = await runCli(["plan", POLICY, "--json", "--controller", fleet.controller.address, "--insecure"]);
    const now = JSON.parse(r.stdout) as PlanJson;
    expect(now.hosts[0]!.resources[0]).toMatchObject({ action: "failed" });
    expect(now.hosts[0]!.resources[0]!.error).toContain(`network "${missingNet()}"`);
  }, 180_000);
});
