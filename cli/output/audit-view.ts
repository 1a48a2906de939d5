import type { AuditRecord__Output } from "../../generated/proto/fleet/v1/AuditRecord.js";
import type { VerifyAuditResponse__Output } from "../../generated/proto/fleet/v1/VerifyAuditResponse.js";
import { renderTable } from "./table.js";

/** One element of `virtfleet audit --json`. */
export interface AuditJson {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  /** The stored detail object (`{}` when none; the raw text under `raw` if it is not JSON). */
  detail: Record<string, unknown>;
  hash: string;
  prevHash: string;
}

/** `virtfleet audit --verify --json`. */
export interface AuditVerifyJson {
  ok: boolean;
  checked: number;
  firstBadSeq: number | null;
  problem: string | null;
}

function parseDetail(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  return text === "" ? {} : { raw: text };
}

export function auditToJson(r: AuditRecord__Output): AuditJson {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    detail: parseDetail(r.detailJson),
    hash: r.hash,
    prevHash: r.prevHash,
  };
}

export function verifyToJson(v: VerifyAuditResponse__Output): AuditVerifyJson {
  return { ok: v.ok, checked: v.checked, firstBadSeq: v.ok ? null : v.firstBadSeq, problem: v.ok ? null : v.problem };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Text from the controller, made safe for a terminal (a tampered store may hold escape sequences). */
function visible(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `2026-03-01T10:00:01.000Z` → `2026-03-01 10:00:01Z`; anything else as it is. */
function when(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : visible(iso);
}

/** A denied or failed attempt is marked in the ACTION column, so a table read alone does not mislead. */
function outcome(j: AuditJson): string {
  if (j.detail.denied !== undefined) return " (denied)";
  if (j.detail.error !== undefined) return " (failed)";
  return "";
}

/** The `virtfleet audit` table: SEQ AT ACTOR ACTION TARGET, oldest first. */
export function renderAuditTable(records: readonly AuditJson[]): string {
  if (records.length === 0) return "no audit records\n";
  return renderTable(
    ["SEQ", "AT", "ACTOR", "ACTION", "TARGET"],
    records.map((r) => [r.seq, when(r.at), visible(r.actor), `${visible(r.action)}${outcome(r)}`, visible(r.target)]),
  );
}

/** The `virtfleet audit --verify` line. */
export function renderVerify(v: AuditVerifyJson): string {
  const n = (k: number) => `${k} record${k === 1 ? "" : "s"}`;
  if (v.ok) return `audit log intact: ${n(v.checked)}\n`;
  return `audit log NOT intact: record ${v.firstBadSeq ?? "?"} does not verify: ${visible(v.problem ?? "unknown problem")} (checked ${n(v.checked)})\n`;
}
