import { html, type Html } from "./html.js";
import type { WebSession } from "./route.js";

/**
 * Small renderers every dashboard page shares (fleet pages and live pages): times, state
 * badges, values, query strings, the CSRF field. Everything renders through `html` (escaped).
 */

/** ISO 8601 (UTC, seconds) inside a <time> element; "—" for none. */
export function time(ms: number | null | undefined | string): Html {
  if (ms === null || ms === undefined || ms === "" || ms === 0) return html`<span class="none">—</span>`;
  const d = typeof ms === "string" ? new Date(ms) : new Date(ms);
  if (Number.isNaN(d.getTime())) return html`<span class="none">—</span>`;
  const iso = d.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace("T", " ")}Z</time>`;
}

/** A state name (CLI contract) as a badge; the class is the name, so the stylesheet colours it. */
export function badge(state: string): Html {
  return html`<span class="badge s-${state.replace(/[^a-z-]/g, "")}">${state}</span>`;
}

/** A value as compact JSON text (undefined as "—"). */
export function jsonText(v: unknown): string {
  if (v === undefined) return "—";
  try {
    return typeof v === "string" ? v : JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** A query string from `params` (empty values left out), starting with "?" when not empty. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The hidden CSRF field every POST form carries (the server checks it before the route runs). */
export function csrfField(session: WebSession): Html {
  return html`<input type="hidden" name="csrf" value="${session.csrf}">`;
}
