/** A variable's value (`vars:` in policies and the inventory). */
export type VarValue = string | number | boolean;

/**
 * Templates in policy strings: `${host.name}`, `${host.shortname}`, `${host.labels.<key>}`,
 * `${vars.<name>}`. `$${` is a literal `${`. Any other `$` is literal. An unknown or
 * unterminated reference is an error, never an empty string.
 */

export type TemplatePart = { text: string } | { ref: string };

const REF = /^(host\.name|host\.shortname|host\.labels\.[A-Za-z0-9][A-Za-z0-9_./-]*|vars\.[A-Za-z_][A-Za-z0-9_]*)$/;

export class TemplateSyntaxError extends Error {}

/** Splits `s` into literal text and references. Throws TemplateSyntaxError on bad syntax. */
export function parseTemplate(s: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  while (i < s.length) {
    if (s.startsWith("$${", i)) {
      text += "${";
      i += 3;
    } else if (s.startsWith("${", i)) {
      const end = s.indexOf("}", i + 2);
      if (end < 0)
        throw new TemplateSyntaxError(
          `unterminated "\${" at character ${i + 1}: close it with "}" or write "$\${" for a literal "\${"`,
        );
      const ref = s.slice(i + 2, end).trim();
      if (!REF.test(ref)) {
        throw new TemplateSyntaxError(
          `unknown variable "\${${ref}}": use \${host.name}, \${host.shortname}, \${host.labels.<key>} or \${vars.<name>}`,
        );
      }
      if (text) parts.push({ text });
      text = "";
      parts.push({ ref });
      i = end + 1;
    } else {
      text += s[i];
      i++;
    }
  }
  if (text) parts.push({ text });
  return parts;
}

/** True when `s` contains a reference (`${…}` not escaped as `$${`). */
export function hasTemplate(s: string): boolean {
  let i = 0;
  while (i < s.length) {
    if (s.startsWith("$${", i)) i += 3;
    else if (s.startsWith("${", i)) return true;
    else i++;
  }
  return false;
}

/** The names of every reference in `s` (e.g. `vars.image`); throws TemplateSyntaxError. */
export function templateRefs(s: string): string[] {
  return parseTemplate(s).flatMap((p) => ("ref" in p ? [p.ref] : []));
}

/** What templates can see for one host. */
export interface TemplateContext {
  host: { name: string; labels: Record<string, string> };
  /** Merged: host vars over group vars over policy vars. */
  vars: Record<string, VarValue>;
}

/** The short name of a host: up to the first `.`, or the whole name for an IPv4 address. */
export function shortName(name: string): string {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return name;
  const dot = name.indexOf(".");
  return dot < 0 ? name : name.slice(0, dot);
}

/** Looks one reference up; undefined when it does not exist for this host. */
export function lookupRef(ref: string, ctx: TemplateContext): string | undefined {
  if (ref === "host.name") return ctx.host.name;
  if (ref === "host.shortname") return shortName(ctx.host.name);
  if (ref.startsWith("host.labels.")) {
    const key = ref.slice("host.labels.".length);
    return Object.hasOwn(ctx.host.labels, key) ? ctx.host.labels[key] : undefined;
  }
  if (ref.startsWith("vars.")) {
    const key = ref.slice("vars.".length);
    return Object.hasOwn(ctx.vars, key) ? String(ctx.vars[key]) : undefined;
  }
  return undefined;
}

/**
 * Expands every reference in `s` for one host. Throws TemplateSyntaxError for bad syntax
 * or a reference the host does not have (the message names it and what is defined).
 */
export function expandTemplate(s: string, ctx: TemplateContext): string {
  if (!s.includes("${")) return s;
  let out = "";
  for (const part of parseTemplate(s)) {
    if ("text" in part) {
      out += part.text;
      continue;
    }
    const value = lookupRef(part.ref, ctx);
    if (value === undefined) {
      const known = part.ref.startsWith("vars.")
        ? Object.keys(ctx.vars).sort().join(", ")
        : Object.keys(ctx.host.labels).sort().join(", ");
      const what = part.ref.startsWith("vars.") ? "variable" : `label on host ${ctx.host.name}`;
      throw new TemplateSyntaxError(`unknown ${what} "\${${part.ref}}" (defined: ${known || "none"})`);
    }
    out += value;
  }
  return out;
}
