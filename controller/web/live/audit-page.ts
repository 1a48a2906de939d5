import { redactDeep, ValidationError } from "../../../common/index.js";
import type { AuditLog, AuditRecord, AuditVerification } from "../../audit/index.js";
import { html, type Html } from "../html.js";
import type { Route } from "../route.js";
import type { WebDeps } from "../deps.js";
import { parseCount, problemPage, timeCell } from "./format.js";

export const DEFAULT_AUDIT_ROWS = 50;
export const MAX_AUDIT_ROWS = 500;
/** A verification this recent is shown again rather than walking the chain per page view. */
export const VERIFY_REUSE_MS = 30_000;
const MAX_DETAIL_SHOWN = 400;

/** How an audited action ended, from its detail: `denied` (refused by role or CSRF), `failed` (error), else `ok`. */
export function auditOutcome(detail: Record<string, unknown>): "ok" | "denied" | "failed" {
  if (detail.denied !== undefined) return "denied";
  if (detail.error !== undefined) return "failed";
  return "ok";
}

function parseDetail(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // shown as text below
  }
  return text === "" ? {} : { raw: text };
}

function detailText(detail: Record<string, unknown>): string {
  if (Object.keys(detail).length === 0) return "";
  // Stored details are redacted already; again here, so nothing secret-shaped reaches a page.
  const text = JSON.stringify(redactDeep(detail));
  return text.length > MAX_DETAIL_SHOWN ? `${text.slice(0, MAX_DETAIL_SHOWN - 1)}…` : text;
}

function recordRow(r: AuditRecord): Html {
  const detail = parseDetail(r.detailJson);
  const outcome = auditOutcome(detail);
  const at = Date.parse(r.at);
  return html`<tr class="${`outcome-${outcome}`}"><td>${r.seq}</td><td>${Number.isNaN(at) ? r.at : timeCell(at)}</td><td>${r.actor}</td><td>${r.action}</td><td>${r.target}</td><td>${outcome}</td><td><code>${detailText(detail)}</code></td></tr>`;
}

const verified = new WeakMap<AuditLog, { at: number; result: AuditVerification }>();

/** The chain's verification (AuditLog.verifyAsync), reused for VERIFY_REUSE_MS unless `fresh`. */
async function verification(audit: AuditLog, fresh: boolean): Promise<{ at: number; result: AuditVerification }> {
  const cached = verified.get(audit);
  if (!fresh && cached && Date.now() - cached.at < VERIFY_REUSE_MS) return cached;
  const v = { at: Date.now(), result: await audit.verifyAsync() };
  verified.set(audit, v);
  return v;
}

function verificationBlock(v: { at: number; result: AuditVerification }): Html {
  const { result } = v;
  return result.ok
    ? html`<p class="verification ok" role="status"><strong>Chain verified:</strong> all ${result.checked} record${result.checked === 1 ? "" : "s"} link and hash correctly (checked ${timeCell(v.at)}; <a href="/audit?verify=now">check now</a>).</p>`
    : html`<p class="verification broken" role="alert"><strong>Chain broken at record ${result.firstBadSeq ?? "?"}:</strong> ${result.problem ?? "does not verify"} (${result.checked} records checked, ${timeCell(v.at)}; <a href="/audit?verify=now">check again</a>). Records from there on cannot be trusted.</p>`;
}

/**
 * GET /audit?before=SEQ&limit=N: the audit log (AuditLog.list), newest first, a page at a time
 * (`before`: the records below that seq), with the chain's verification state. Details are
 * the stored, redacted ones.
 */
export const auditPage: Route<WebDeps> = {
  method: "GET",
  path: "/audit",
  role: "viewer",
  async handle(req, deps) {
    const q = req.url.searchParams;
    let limit: number;
    let before: number | undefined;
    try {
      limit = parseCount("limit", q.get("limit"), DEFAULT_AUDIT_ROWS, MAX_AUDIT_ROWS);
      before = q.get("before") ? parseCount("before", q.get("before"), 1, Number.MAX_SAFE_INTEGER) : undefined;
    } catch (err) {
      if (err instanceof ValidationError)
        return problemPage("Audit log", err.message, 400, { href: "/audit", label: "Audit log" });
      throw err;
    }
    const [records, v] = await Promise.all([
      deps.audit.list({ limit, ...(before !== undefined ? { beforeSeq: before } : {}) }),
      verification(deps.audit, q.get("verify") === "now"),
    ]);
    const newestFirst = [...records].reverse();
    const oldest = records[0]?.seq;
    const older = oldest !== undefined && oldest > 1 ? `/audit?before=${oldest}&limit=${limit}` : undefined;
    const body = html`${verificationBlock(v)}
${
  newestFirst.length === 0
    ? html`<p class="empty">${before === undefined ? "No audit records yet." : "No older records."}</p>`
    : html`<table class="audit">
<thead><tr><th scope="col">Seq</th><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Detail</th></tr></thead>
<tbody>${newestFirst.map(recordRow)}</tbody>
</table>`
}
<nav class="pager" aria-label="Audit pages">${before !== undefined ? html`<a href="${`/audit?limit=${limit}`}">Newest</a> ` : ""}${older ? html`<a href="${older}" rel="next">Older</a>` : ""}</nav>`;
    return { kind: "page", title: "Audit log", body };
  },
};
