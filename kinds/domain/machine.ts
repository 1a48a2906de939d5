/**
 * Machine types. libvirt stores the canonical name of an alias (`q35` → `pc-q35-7.2`,
 * `pc` → `pc-i440fx-7.2`), so a desired alias matches any versioned machine of its
 * family; any other desired value must match exactly.
 */
const ALIAS_FAMILY: Record<string, RegExp> = {
  q35: /^pc-q35-\d+(\.\d+)*$/,
  pc: /^pc-i440fx-\d+(\.\d+)*$/,
};

/** True when a domain stored with machine `actual` satisfies desired machine `desired` (null = any). */
export function machineMatches(desired: string | null, actual: string | null): boolean {
  if (desired === null) return true;
  if (actual === null) return false;
  if (desired === actual) return true;
  const family = ALIAS_FAMILY[desired];
  return family !== undefined && family.test(actual);
}
