import type { PathSegment } from "../../../policy-primitives/issues.js";
import { matchesPattern, PATTERN_HELP } from "../../../policy-primitives/names.js";
import type { ValueChecker } from "../../../policy-primitives/value-checker.js";
import type { DomainDocument } from "../spec.js";

/**
 * A domain's metadata beyond the schema (control characters are rejected everywhere by the
 * loader): a title without leading or trailing white space (libvirt would store it trimmed, so
 * it would never compare equal); label values likewise; label keys as inventory label keys.
 */
export function checkMetadataDocument(d: DomainDocument, path: PathSegment[], c: ValueChecker): void {
  const title = c.concrete(d.title);
  if (title !== undefined && title !== title.trim())
    c.issues.add([...path, "title"], "must not start or end with white space");
  for (const [k, v] of Object.entries(d.labels ?? {})) {
    if (!matchesPattern("labelKey", k))
      c.issues.add(
        [...path, "labels", k],
        `invalid key ${JSON.stringify(k.slice(0, 64))}: ${PATTERN_HELP.labelKey} (letters, digits, '_', '.', '/', '-'; at most 63 characters, starting with a letter or digit)`,
        "key",
      );
    const value = c.concrete(v);
    if (value !== undefined && value !== value.trim())
      c.issues.add([...path, "labels", k], "a label value must not start or end with white space");
  }
}
