import type { Migration } from "../../common/index.js";
import { ALERTS_SCHEMA, ALERTS_SCHEMA_PG } from "../alerts/index.js";
import { AUDIT_SCHEMA, AUDIT_SCHEMA_PG } from "../audit/index.js";
import { BUNDLES_SCHEMA, BUNDLES_SCHEMA_PG } from "../bundles/index.js";
import { COMPLIANCE_SCHEMA, COMPLIANCE_SCHEMA_PG } from "../compliance/index.js";
import { ENROLL_SCHEMA, ENROLL_SCHEMA_PG } from "../enroll/index.js";
import { HOSTS_SCHEMA, HOSTS_SCHEMA_PG } from "../hosts/index.js";
import { INGEST_SCHEMA, INGEST_SCHEMA_PG } from "../ingest/index.js";
import { PKI_SCHEMA, PKI_SCHEMA_PG } from "../pki/index.js";
import { POLICIES_SCHEMA, POLICIES_SCHEMA_PG } from "../policies/index.js";
import { ROLLOUTS_SCHEMA, ROLLOUTS_SCHEMA_PG } from "../rollout/index.js";
import { WEB_SCHEMA, WEB_SCHEMA_PG } from "../web/schema.js";
import { REPLICAS_SCHEMA, REPLICAS_SCHEMA_PG } from "../replicas/schema.js";
import { PLANS_SCHEMA, PLANS_SCHEMA_PG } from "../plan/schema.js";

/**
 * One schema step made of the parts its tables' owners contribute (each folder's schema.ts),
 * in order, each as [SQLite text, PostgreSQL text]. A part is a template literal of whole
 * lines: a newline first, a newline and two spaces last. The step's SQLite text is the text
 * the step had when it was one file, byte for byte (test/unit/controller/migrations-frozen.test.ts
 * holds each engine's sha256).
 */
function step(version: number, name: string, ...parts: (readonly [string, string])[]): Migration {
  const join = (texts: string[]): string => {
    const lines = texts.map((p) => {
      if (!p.startsWith("\n") || !p.endsWith("\n  "))
        throw new Error(
          `schema step ${version} (${name}): a part must start with a newline and end with a newline and two spaces`,
        );
      return p.slice(1, -3);
    });
    return `\n${lines.join("\n")}\n  `;
  };
  return { version, name, sql: join(parts.map((p) => p[0])), postgres: join(parts.map((p) => p[1])) };
}

/**
 * The controller's schema, the one ordered list of its steps; each table's SQL lives with the
 * module that owns the table (docs/design/tables.md). Append only: a released step never
 * changes, parts included.
 */
export const CONTROLLER_MIGRATIONS: readonly Migration[] = [
  step(1, "hosts and fact history", [HOSTS_SCHEMA[1], HOSTS_SCHEMA_PG[1]]),
  step(
    2,
    "policy revisions and host bundles",
    [POLICIES_SCHEMA[2], POLICIES_SCHEMA_PG[2]],
    [BUNDLES_SCHEMA[2], BUNDLES_SCHEMA_PG[2]],
  ),
  step(
    3,
    "reports, drift events, compliance snapshots, alert deliveries",
    [HOSTS_SCHEMA[3], HOSTS_SCHEMA_PG[3]],
    [INGEST_SCHEMA[3], INGEST_SCHEMA_PG[3]],
    [COMPLIANCE_SCHEMA[3], COMPLIANCE_SCHEMA_PG[3]],
    [ALERTS_SCHEMA[3], ALERTS_SCHEMA_PG[3]],
  ),
  step(4, "rollouts", [ROLLOUTS_SCHEMA[4], ROLLOUTS_SCHEMA_PG[4]]),
  step(5, "pki", [ENROLL_SCHEMA[5], ENROLL_SCHEMA_PG[5]], [PKI_SCHEMA[5], PKI_SCHEMA_PG[5]]),
  step(6, "audit", [AUDIT_SCHEMA[6], AUDIT_SCHEMA_PG[6]]),
  step(7, "certificate-fingerprints", [PKI_SCHEMA[7], PKI_SCHEMA_PG[7]]),
  step(8, "dashboard sign-in links and sessions", [WEB_SCHEMA[8], WEB_SCHEMA_PG[8]]),
  step(9, "compliance snapshot fleet figures", [COMPLIANCE_SCHEMA[9], COMPLIANCE_SCHEMA_PG[9]]),
  step(10, "controller replicas: the leader's fencing epoch", [REPLICAS_SCHEMA[10], REPLICAS_SCHEMA_PG[10]]),
  step(
    11,
    "controller replicas: who holds each host, the replicas, the shared CA",
    [HOSTS_SCHEMA[11], HOSTS_SCHEMA_PG[11]],
    [REPLICAS_SCHEMA[11], REPLICAS_SCHEMA_PG[11]],
    [PKI_SCHEMA[11], PKI_SCHEMA_PG[11]],
  ),
  step(12, "drift events by the time they were stored", [INGEST_SCHEMA[12], INGEST_SCHEMA_PG[12]]),
  step(13, "plan requests between controller replicas", [PLANS_SCHEMA[13], PLANS_SCHEMA_PG[13]]),
  step(14, "hosts: facts out of the row on PostgreSQL", [HOSTS_SCHEMA[14], HOSTS_SCHEMA_PG[14]]),
];
