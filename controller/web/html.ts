/**
 * Server-rendered HTML without a template engine: `html` is a tagged template that escapes
 * every interpolated value unless it is already `Html` (a fragment built the same way, or
 * `raw()` for markup the code itself wrote). Arrays are joined; null, undefined and false
 * render nothing. Contract: text from the store, the agents or a request reaches a page only
 * through `html` interpolation, never through `raw`.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

type Interpolated = Html | string | number | bigint | boolean | null | undefined | readonly Interpolated[];

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Html {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += render(values[i] as Interpolated) + (strings[i + 1] ?? "");
  return new Html(out);
}

/** Markup the code wrote itself (never data): passes through unescaped. */
export function raw(markup: string): Html {
  return new Html(markup);
}
