/** Parses a sysfs integer attribute ("1500\n"); null when empty or not an integer. */
export function parseSysInt(text: string): number | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return null;
  return Number(t);
}

/** Parses a sysfs string attribute; surrounding whitespace removed, empty → null. */
export function parseSysString(text: string): string | null {
  const t = text.trim();
  return t === "" ? null : t;
}
