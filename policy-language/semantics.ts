import { POLICY_KINDS } from "../kinds/policy-kinds.js";
import type { IssueList, PathSegment } from "../policy-primitives/issues.js";
import { emptyReferences, ValueChecker } from "../policy-primitives/value-checker.js";
import type { PolicyDocument } from "./schema.js";
import { hasTemplate, parseTemplate } from "../policy-primitives/template.js";

/**
 * Checks a schema-valid policy beyond the schema: value formats, IPv4 subnet arithmetic,
 * duplicates, and references inside the policy. With `deferTemplates`, strings holding a
 * template are only checked for template syntax (their values are checked per host, after
 * templating, by running this again with `deferTemplates: false`).
 *
 * References (interface → network, disk/cdrom/volume → pool and volume) may name
 * resources of the same policy, of another policy, or objects that already exist on the
 * host (e.g. libvirt's `default` network, a base image); only a reference to something
 * this same policy declares `absent` is an error here.
 */
export function checkPolicySemantics(
  doc: PolicyDocument,
  issues: IssueList,
  options: { deferTemplates: boolean },
): void {
  const c = new Checker(issues, options.deferTemplates);
  if (options.deferTemplates) {
    c.noTemplatesOutsideResources(doc);
    c.templateSyntax(doc.spec.resources, ["spec", "resources"]);
  }
  c.noControlChars(doc.spec.resources, ["spec", "resources"]);
  c.policy(doc);
}

const R = ["spec", "resources"] as const;

class Checker {
  readonly values: ValueChecker;

  constructor(
    private readonly issues: IssueList,
    defer: boolean,
  ) {
    this.values = new ValueChecker(issues, defer);
  }

  noTemplatesOutsideResources(doc: PolicyDocument): void {
    const { resources: _r, ...rest } = doc.spec;
    const walk = (v: unknown, path: PathSegment[]) => {
      if (typeof v === "string" && hasTemplate(v))
        this.issues.add(path, "templates are only expanded under spec.resources (write $${ for a literal ${)");
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(doc.metadata, ["metadata"]);
    walk(rest, ["spec"]);
  }

  templateSyntax(v: unknown, path: PathSegment[]): void {
    if (typeof v === "string") {
      try {
        parseTemplate(v);
      } catch (err) {
        this.issues.add(path, (err as Error).message);
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => this.templateSyntax(x, [...path, i]));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) this.templateSyntax(x, [...path, k]);
  }

  noControlChars(v: unknown, path: PathSegment[]): void {
    this.values.noControlChars(v, path);
  }

  /** Each kind's rules (kinds/<kind>/semantics.ts), in the registry's order so references resolve. */
  policy(doc: PolicyDocument): void {
    const res = doc.spec.resources as Record<string, unknown>;
    const refs = emptyReferences();
    for (const kind of POLICY_KINDS) {
      const items = res[kind.key];
      const path = [...R, kind.key];
      if (kind.many) kind.checkDocuments((items ?? []) as never[], path, this.values, refs);
      else if (items !== undefined) kind.checkDocument(items as never, path, this.values, refs);
      if (items !== undefined) refs.declared[kind.key] = items;
    }
  }
}
