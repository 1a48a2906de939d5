import { formatDuration, parseDuration, ValidationError } from "../../../common/index.js";
import { time } from "../format.js";
import { html, type Html } from "../html.js";
import type { WebResponse } from "../route.js";

/**
 * Small pieces the live pages share (beside ../format.ts, every page's): times, values, query parsing, and the
 * answers for a bad query. Everything here renders through `html` (escaped).
 */

/** `2026-03-01T10:00:01.123Z` → `2026-03-01 10:00:01Z` inside a <time> with the exact instant. */
export function timeCell(ms: number | null | undefined): Html {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return html``;
  return time(ms);
}

/** An ISO 8601 text as timeCell renders it (unparseable text is shown as it is). */
export function isoCell(iso: string | undefined): Html {
  if (!iso) return html``;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? html`${iso}` : timeCell(ms);
}

/** A duration for people: `850ms`, `12.5s`, `3m20s`, `2h5m` (common/units formatDuration). */
export function duration(ms: number): string {
  return formatDuration(Math.max(0, ms));
}

const MAX_VALUE_CHARS = 120;

/** A desired or actual drift value as short JSON text (clipped; `absent` for undefined). */
export function valueText(v: unknown): string {
  if (v === undefined) return "absent";
  let text: string;
  try {
    text = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    text = String(v);
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/** A revision as people compare them: its first 12 characters. */
export function shortRevision(rev: string | null | undefined): string {
  if (!rev) return "(none)";
  return rev.length > 12 ? rev.slice(0, 12) : rev;
}

/** Path of the host page (served by the dashboard's host pages). */
export function hostHref(name: string): string {
  return `/hosts/${encodeURIComponent(name)}`;
}

export function rolloutHref(policy: string): string {
  return `/rollouts/${encodeURIComponent(policy)}`;
}

/**
 * A point in time from a query parameter: ISO 8601, or a duration ago (`90m`, `24h`, `7d`;
 * units ms, s, m, h, d). Empty → undefined. Throws ValidationError naming `param`.
 */
export function parseSince(param: string, value: string | null, now: number): number | undefined {
  const v = (value ?? "").trim();
  if (v === "") return undefined;
  const days = /^(\d+(?:\.\d+)?)d$/.exec(v);
  if (days) return now - Math.round(Number(days[1]) * 86_400_000);
  if (/^\d+(\.\d+)?(ms|s|m|h)$/.test(v)) return now - parseDuration(v);
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new ValidationError(`${param} "${v}" is neither an ISO 8601 time nor a duration such as 30m, 2h, 7d`);
  return t;
}

/** A positive integer query parameter, or `fallback` when absent; ValidationError otherwise. */
export function parseCount(param: string, value: string | null, fallback: number, max: number): number {
  if (value === null || value.trim() === "") return fallback;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1)
    throw new ValidationError(`${param} "${value}" must be a positive whole number`);
  return Math.min(Number(value), max);
}

/** The page for a request the route cannot answer (bad query, unknown name), with the reason. */
export function problemPage(
  title: string,
  message: string,
  status: number,
  back?: { href: string; label: string },
): WebResponse {
  return {
    kind: "page",
    title,
    status,
    body: html`<p class="problem" role="alert">${message}</p>
${back ? html`<p><a href="${back.href}">${back.label}</a></p>` : ""}`,
  };
}
