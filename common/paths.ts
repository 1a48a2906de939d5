import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * Finds `relative` in the nearest ancestor folder of this module (works both from the
 * TypeScript sources and from `dist/`). Throws when no ancestor has it.
 */
export function findUp(relative: string, from: string = HERE): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${relative} above ${from}`);
    dir = parent;
  }
}

/** The project's root folder (the one holding package.json). */
export function projectRoot(): string {
  return dirname(findUp("package.json"));
}
