import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../harness/processes.js";
import {
  RolloutFleet,
  definedMemoryMiB,
  domainState,
  markerDomain,
  policyDoc,
  rolloutBlock,
} from "../harness/rollout.js";
import { tinyDomainXml, virsh, virshResult } from "../harness/virsh.js";

// Issue 21 item 3 (and item 2's rollback) with a real controller, a real agent and the real
// libvirtd: a revision that creates a network and a guest on it, and adopts a guest defined by
// hand, fails on the canary and is rolled back. The guest and network it created are removed;
// the adopted guest gets back the definition it had, and keeps running.
const fleet = new RolloutFleet();
const POLICY = "app";
const FILE = "app.yaml";

const host = () => fleet.host(1);
const hand = () => `${host()}-hand`;

function appDoc(bad: boolean): Record<string, unknown> {
  const resources: Record<string, unknown> = { domains: [markerDomain("cfg", bad ? 96 : 80)] };
  if (bad) {
    resources.networks = [{ name: "${host.name}-n", mode: "isolated", autostart: false }];
    resources.domains = [
      markerDomain("cfg", 96),
      // defines, but cannot start: the revision fails on the canary
      {
        name: "${host.name}-big",
        vcpus: 1,
        memory: "4TiB",
        state: "running",
        autostart: false,
        interfaces: [{ network: "${host.name}-n" }],
      },
      { name: "${host.name}-hand", vcpus: 1, memory: "64MiB", state: "running", autostart: false, adopt: true },
    ];
  }
  return policyDoc(POLICY, { rollout: rolloutBlock({ canary: 1, soak: "1s" }), resources });
}

beforeAll(async () => {
  await fleet.start({ hosts: 1 });
}, 90_000);

afterAll(async () => {
  await fleet.stop();
}, 60_000);

describe("rolling back a revision undoes what it created and adopted", () => {
  it("a new policy rolled back on a host that holds no other: what it created is removed", async () => {
    fleet.write(
      "first.yaml",
      policyDoc("first", {
        rollout: rolloutBlock({ canary: 1, soak: "1s" }),
        resources: {
          networks: [{ name: "${host.name}-fn", mode: "isolated", autostart: false }],
          domains: [
            {
              name: "${host.name}-fbig",
              vcpus: 1,
              memory: "4TiB",
              state: "running",
              autostart: false,
              interfaces: [{ network: "${host.name}-fn" }],
            },
          ],
        },
      }),
    );
    const rev = await fleet.waitNewRevision("first", undefined);
    await waitFor(
      "its guest defined on the canary",
      async () => ((await domainState(`${host()}-fbig`)) !== null ? true : undefined),
      60_000,
      200,
    );
    expect(await fleet.waitFinished("first", rev, 120_000)).toMatchObject({ state: "rolledback" });
    await waitFor(
      "its guest and network removed",
      async () =>
        (await domainState(`${host()}-fbig`)) === null && (await virshResult("net-info", `${host()}-fn`)).code !== 0
          ? true
          : undefined,
      30_000,
      250,
    );
  }, 300_000);

  it("removes the guest and network it created; restores the hand-made guest it adopted", async () => {
    const xml = join(fleet.dir.path, "hand.xml");
    writeFileSync(xml, tinyDomainXml(hand()).replace("<memory", "<description>made by hand</description>\n  <memory"));
    await virsh("define", xml);
    await virsh("start", hand());
    const handBefore = await virsh("dumpxml", "--inactive", hand());

    fleet.write(FILE, appDoc(false));
    const v1 = await fleet.waitNewRevision(POLICY, undefined);
    expect(await fleet.waitFinished(POLICY, v1, 90_000)).toMatchObject({ state: "succeeded" });
    expect(await definedMemoryMiB(`${host()}-cfg`)).toBe(80);

    fleet.write(FILE, appDoc(true));
    const v2 = await fleet.waitNewRevision(POLICY, v1);
    // the canary applies v2 before it fails: the new guest and network appear, the hand-made guest is adopted
    await waitFor(
      "v2's guest defined on the canary",
      async () => ((await domainState(`${host()}-big`)) !== null ? true : undefined),
      60_000,
      200,
    );
    const s = await fleet.waitFinished(POLICY, v2, 120_000);
    expect(s).toMatchObject({ state: "rolledback", failedHosts: [host()] });

    await waitFor(
      "the rolled-back revision's guest removed",
      async () => ((await domainState(`${host()}-big`)) === null ? true : undefined),
      30_000,
      250,
    );
    await waitFor(
      "the rolled-back revision's network removed",
      async () => ((await virshResult("net-info", `${host()}-n`)).code !== 0 ? true : undefined),
      30_000,
      250,
    );
    await waitFor(
      "the adopted guest's definition restored",
      async () => ((await virsh("dumpxml", "--inactive", hand())) === handBefore ? true : undefined),
      30_000,
      250,
    );
    expect(await domainState(hand())).toBe("running");
    expect(await definedMemoryMiB(`${host()}-cfg`)).toBe(80);

    // Dropping an object in a newer revision (not a rollback) leaves it in place.
    fleet.write(
      FILE,
      policyDoc(POLICY, {
        rollout: rolloutBlock({ canary: 1, soak: "1s" }),
        resources: { domains: [markerDomain("cfg", 80), markerDomain("keep", 64)] },
      }),
    );
    const v3 = await fleet.waitNewRevision(POLICY, v2);
    expect(await fleet.waitFinished(POLICY, v3, 90_000)).toMatchObject({ state: "succeeded" });
    fleet.write(FILE, appDoc(false));
    const v4 = await fleet.waitNewRevision(POLICY, v3);
    expect(await fleet.waitFinished(POLICY, v4, 90_000)).toMatchObject({ state: "succeeded" });
    expect(await domainState(`${host()}-keep`)).toBe("shut off");
  }, 400_000);
});
