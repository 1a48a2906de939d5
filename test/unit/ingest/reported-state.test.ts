import { afterEach, describe, expect, it } from "vitest";
import type { Engine } from "../../../common/index.js";
import { validateAgentEvent as ev } from "../../../controller/agent-messages/index.js";
import { EventStore, ReportedState } from "../../../controller/ingest/index.js";
import { ENGINES, type TestStore } from "../../harness/postgres.js";
import { driftMsg, openStoreWithHosts, putBundle, reportMsg } from "./fixtures.js";

const resource = (kind: string, name: string, outcome: string, error = "", pendingRestart = false) => ({
  kind,
  name,
  policy: "web",
  outcome,
  changesJson: "[]",
  error,
  pendingRestart,
});

describe.each(ENGINES)("ReportedState on %s", (engine: Engine) => {
  let t: TestStore;
  afterEach(async () => {
    await t?.close();
  });

  it("answers what EventStore stored, for every host or one", async () => {
    t = await openStoreWithHosts(engine, "kvm01", "kvm02");
    await putBundle(t.db, "kvm01", 1, "b1", [{ name: "web", revision: "r-web" }]);
    const events = new EventStore(t.db);
    await events.store(
      [
        {
          host: "kvm01",
          events: [
            ev(
              reportMsg({
                resources: [resource("network", "lan", "failed", "boom"), resource("domain", "web1", "ok", "", true)],
              }),
            ),
            ev(driftMsg({ eventSeq: 2, id: "open" })),
            ev(driftMsg({ eventSeq: 3, id: "closed", remediation: "repaired", resolvedAtMs: 2_500 })),
          ],
        },
        { host: "kvm02", events: [ev(reportMsg({ bundleRevision: "other" }))] },
      ],
      9,
    );
    const state = new ReportedState(t.db);
    expect(await state.resourceStatus("kvm01")).toEqual([
      {
        policy: "web",
        kind: "domain",
        name: "web1",
        outcome: "pending-restart", // validation's name for ok with a pending restart
        error: "",
        pendingRestart: true,
        changesJson: "[]",
        updatedAt: 9,
      },
      {
        policy: "web",
        kind: "network",
        name: "lan",
        outcome: "failed",
        error: "boom",
        pendingRestart: false,
        changesJson: "[]",
        updatedAt: 9,
      },
    ]);
    const byHost = (rows: { host: string; kind: string }[]) =>
      rows.map((r) => `${r.host}/${r.kind}`).sort((a, b) => (a < b ? -1 : 1));
    expect(byHost(await state.resourceOutcomes())).toEqual(["kvm01/domain", "kvm01/network", "kvm02/domain"]);
    expect(await state.resourceOutcomes("kvm02")).toEqual([
      { host: "kvm02", policy: "web", kind: "domain", name: "web1", outcome: "ok", eventSeq: 1 },
    ]);
    expect(await state.failedResource("kvm01", "web")).toEqual({ kind: "network", name: "lan", error: "boom" });
    expect(await state.failedResource("kvm02", "web")).toBeUndefined();
    // Only kvm01's report names the bundle the controller holds for it.
    expect(await state.observedPolicies()).toEqual([{ host: "kvm01", policy: "web", revision: "r-web" }]);
    expect(await state.observedPolicies("kvm02")).toEqual([]);
    expect(await state.openDrift()).toEqual([
      { host: "kvm01", policy: "web", kind: "domain", name: "web1", remediation: "reported", eventSeq: 2 },
    ]);
    expect(await state.openDrift("kvm02")).toEqual([]);
  });
});
