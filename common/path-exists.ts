import { constants } from "node:fs";
import { access } from "node:fs/promises";

/** Whether `path` exists (or is accessible with `mode`); any error (missing, denied) is false. */
export async function pathExists(path: string, mode = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}
