/**
 * Top-level keys of two JSON objects whose values differ (added, removed or changed),
 * sorted. Non-object or unparsable input counts as `{}`.
 */
export function changedSections(beforeJson: string, afterJson: string): string[] {
  const before = parseObject(beforeJson);
  const after = parseObject(afterJson);
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(sortKeys(before[k])) !== JSON.stringify(sortKeys(after[k]))).sort();
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
