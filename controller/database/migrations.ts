import type { Migration } from "../../common/index.js";
import { ALERTS_SCHEMA } from "../alerts/index.js";
import { AUDIT_SCHEMA } from "../audit/index.js";
import { BUNDLES_SCHEMA } from "../bundles/index.js";
import { COMPLIANCE_SCHEMA } from "../compliance/index.js";
import { ENROLL_SCHEMA } from "../enroll/index.js";
import { HOSTS_SCHEMA } from "../hosts/index.js";
import { INGEST_SCHEMA } from "../ingest/index.js";
import { PKI_SCHEMA } from "../pki/index.js";
import { POLICIES_SCHEMA } from "../policies/index.js";
import { ROLLOUTS_SCHEMA } from "../rollout/index.js";
import { WEB_SCHEMA } from "../web/schema.js";

/**
 * One schema step made of the parts its tables' owners contribute (each folder's schema.ts),
 * in order. A part is a template literal of whole lines: a newline first, a newline and two
 * spaces last. The step's SQL is the text the step had when it was one file, byte for byte
 * (test/unit/controller/migrations-frozen.test.ts holds each step's sha256).
 */
function step(version: number, name: string, ...parts: string[]): Migration {
  const lines = parts.map((p) => {
    if (!p.startsWith("\n") || !p.endsWith("\n  "))
      throw new Error(
        `schema step ${version} (${name}): a part must start with a newline and end with a newline and two spaces`,
      );
    return p.slice(1, -3);
  });
  return { version, name, sql: `\n${lines.join("\n")}\n  ` };
}

/**
 * The controller's schema, the one ordered list of its steps; each table's SQL lives with the
 * module that owns the table (docs/design/tables.md). Append only: a released step never
 * changes, parts included.
 */
export const CONTROLLER_MIGRATIONS: readonly Migration[] = [
  step(1, "hosts and fact history", HOSTS_SCHEMA[1]),
  step(2, "policy revisions and host bundles", POLICIES_SCHEMA[2], BUNDLES_SCHEMA[2]),
  step(
    3,
    "reports, drift events, compliance snapshots, alert deliveries",
    HOSTS_SCHEMA[3],
    INGEST_SCHEMA[3],
    COMPLIANCE_SCHEMA[3],
    ALERTS_SCHEMA[3],
  ),
  step(4, "rollouts", ROLLOUTS_SCHEMA[4]),
  step(5, "pki", ENROLL_SCHEMA[5], PKI_SCHEMA[5]),
  step(6, "audit", AUDIT_SCHEMA[6]),
  step(7, "certificate-fingerprints", PKI_SCHEMA[7]),
  step(8, "dashboard sign-in links and sessions", WEB_SCHEMA[8]),
  step(9, "compliance snapshot fleet figures", COMPLIANCE_SCHEMA[9]),
];
