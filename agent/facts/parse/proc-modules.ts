/**
 * Parses `/proc/modules` and returns the names of loaded modules (first column), in file
 * order. Modules being unloaded (`Unloading` state) are left out.
 */
export function parseProcModules(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] === undefined || cols[0] === "") continue;
    if (cols[4] === "Unloading") continue;
    out.push(cols[0]);
  }
  return out;
}
