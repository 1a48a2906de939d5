import { readFileSync } from "node:fs";
import { findUp } from "./paths.js";

/** The virtfleet version, from the package.json of this checkout or install. */
export const VERSION: string = (() => {
  const pkg = findUp("package.json");
  try {
    return (JSON.parse(readFileSync(pkg, "utf8")) as { version?: string }).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
})();
