import { join } from "node:path";
import { projectRoot } from "../../common/paths.js";

/** The `virtfleet` command as shipped (package.json "bin": the esbuild bundle, scripts/bundle-cli.mjs). */
export const SHIPPED_CLI = join(projectRoot(), "dist", "bin", "virtfleet.js");
