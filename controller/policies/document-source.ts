import { parseAllDocuments } from "yaml";
import { canonicalHash, POLICY_LIMITS } from "../../common/index.js";

/**
 * The text of the YAML document in `fileText` whose content hashes to `revision` (a
 * LoadedPolicy revision), so one policy of a multi-document file is stored on its own.
 * Falls back to the whole file when no document matches.
 */
export function documentSource(fileText: string, revision: string): string {
  // Only called for files the loader accepted (scanned, size-bounded); aliases stay bounded.
  const docs = parseAllDocuments(fileText, { uniqueKeys: false });
  if (!Array.isArray(docs) || docs.length <= 1) return fileText;
  for (const doc of docs) {
    try {
      if (canonicalHash(doc.toJS({ maxAliasCount: POLICY_LIMITS.aliasCount })) === revision)
        return fileText.slice(doc.range[0], doc.range[2]);
    } catch {
      // Not this document.
    }
  }
  return fileText;
}
