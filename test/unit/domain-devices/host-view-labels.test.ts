/**
 * `virtfleet host NAME` shows a domain's labels: the controller reads them from the host's
 * current bundle (the resolved spec's `labels`) into GetHost's resource records, and the CLI
 * view prints them next to the resource (text) or as `labels` (--json).
 */
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../common/index.js";
import { validateAgentEvent } from "../../../controller/agent-messages/index.js";
import { toHostDetail } from "../../../controller/admin/index.js";
import { ComplianceService } from "../../../controller/compliance/index.js";
import { EventStore } from "../../../controller/ingest/index.js";
import { hostStatusToJson, renderHostStatus } from "../../../cli/output/host-status-view.js";
import type { GetHostResponse__Output } from "../../../generated/proto/fleet/v1/GetHostResponse.js";
import { memoryDb, reportMsg } from "../ingest/fixtures.js";

describe("labels in `host NAME`", () => {
  it("come from the host's current bundle and are shown for the domain that has them", async () => {
    const db = memoryDb("kvm01");
    const resolved = {
      resources: { domains: [{ name: "web1", labels: { tier: "web", zone: "a" } }, { name: "db1" }] },
    };
    const bundleJson = JSON.stringify({
      revision: "b1",
      generation: 1,
      policies: [{ name: "web", revision: "r-web", mode: "enforce", resolvedJson: JSON.stringify(resolved) }],
    });
    db.prepare(
      "INSERT INTO host_bundles (host, revision, generation, bundle_json, sent_at, errors_json, computed_at) VALUES (?, ?, ?, ?, NULL, '[]', 1)",
    ).run("kvm01", "b1", 1, bundleJson);
    const report = reportMsg();
    report.report!.resources.push({ ...report.report!.resources[0]!, name: "db1" });
    await new EventStore(db).store([{ host: "kvm01", events: [validateAgentEvent(report)] }], 1);

    const detail = await toHostDetail(new ComplianceService(db, silentLogger(), undefined, () => 1), "kvm01");
    const byName = Object.fromEntries(detail!.fields.resources!.map((r) => [r.name, r.labels]));
    expect(byName).toEqual({ web1: { tier: "web", zone: "a" }, db1: {} });

    const json = hostStatusToJson(detail!.fields as unknown as GetHostResponse__Output);
    expect(json.resources.find((r) => r.name === "web1")?.labels).toEqual({ tier: "web", zone: "a" });
    expect(json.resources.find((r) => r.name === "db1")).not.toHaveProperty("labels");
    const text = renderHostStatus(json);
    expect(text).toMatch(/domain\/web1 \{tier=web, zone=a\}/);
    expect(text).toMatch(/domain\/db1 /);
  });
});
