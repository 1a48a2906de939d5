import { redactChange, scrubSecrets } from "../../../common/index.js";
import type { DriftView } from "../../agent-messages/index.js";
import { html, type Html } from "../html.js";
import { hostHref, timeCell, valueText } from "./format.js";

/** The drift table's columns, in order (the page's header and every row agree). */
export const DRIFT_COLUMNS = [
  "Detected",
  "Host",
  "Policy",
  "Resource",
  "Fields (desired → actual)",
  "Source",
  "Remediation",
  "Resolved",
] as const;

/** Fields listed per row; the rest are counted. */
const MAX_FIELDS = 8;

/** The element id of a drift event's row: the live stream replaces or removes rows by it. */
export function driftRowId(id: string): string {
  return `drift-${id}`;
}

/**
 * One drift event as a table row, the same for the page and the live stream. Values are
 * redacted again here (they were at ingestion): a secret field shows as redacted.
 */
export function driftRow(d: DriftView): Html {
  const fields = d.fields.slice(0, MAX_FIELDS).map((f) => {
    const shown = redactChange(f);
    return html`<li><code>${shown.field}</code>: ${valueText(shown.desired)} → ${valueText(shown.actual)}</li>`;
  });
  const more = d.fields.length > MAX_FIELDS ? html`<li>… ${d.fields.length - MAX_FIELDS} more</li>` : "";
  const detail = d.detail ? html`<div class="detail">${scrubSecrets(d.detail)}</div>` : "";
  const classified = d.classification ? html` <small>(${d.classification})</small>` : "";
  return html`<tr id="${driftRowId(d.id)}" class="drift remediation-${d.remediation}${d.resolvedAt === null ? " open" : ""}"><td>${timeCell(d.detectedAt)}</td><td><a href="${hostHref(d.host)}">${d.host}</a></td><td>${d.policy}</td><td>${d.kind}/${d.name}</td><td><ul class="fields">${fields}${more}</ul>${detail}</td><td>${d.source}</td><td>${d.remediation}${classified}</td><td>${d.resolvedAt === null ? "open" : timeCell(d.resolvedAt)}</td></tr>`;
}

/** The table header row. */
export function driftHeader(): Html {
  return html`<tr>${DRIFT_COLUMNS.map((c) => html`<th scope="col">${c}</th>`)}</tr>`;
}
