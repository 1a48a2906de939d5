import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, realpathSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../common/index.js";
import { tempDir } from "./processes.js";

/**
 * The last commit that speaks agent protocol version 0 (before Hello/Welcome.protocol_version
 * existed): the release before protocol 1. The controller keeps accepting it for one release.
 */
export const PROTOCOL_0_COMMIT = "c64de76";

export interface PreviousBuild {
  /** The previous release's `virtfleet` bundle (dist/bin/virtfleet.js of that commit). */
  cli: string;
  cleanup(): void;
}

/**
 * Builds `virtfleet` as it was at `commit`: the commit's tree (git archive, so no worktree is
 * registered in the repository), this checkout's node_modules (same lock file), bundled by the
 * commit's own scripts/bundle-cli.mjs (esbuild straight from its TypeScript, a few seconds). Its
 * processes load that commit's proto/ files, so they speak that commit's protocol.
 * Throws when the commit is not in this repository (a shallow clone).
 */
export function buildPreviousRelease(commit = PROTOCOL_0_COMMIT): PreviousBuild {
  const root = projectRoot();
  const dir = tempDir("vft-previous-release-");
  try {
    const tree = join(dir.path, "tree");
    mkdirSync(tree);
    const archive = execFileSync("git", ["-C", root, "archive", "--format=tar", commit], {
      maxBuffer: 512 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", tree], { input: archive });
    symlinkSync(realpathSync(join(root, "node_modules")), join(tree, "node_modules"));
    execFileSync(process.execPath, [join(tree, "scripts", "bundle-cli.mjs")], { cwd: tree, stdio: "pipe" });
    const cli = join(tree, "dist", "bin", "virtfleet.js");
    if (!existsSync(cli)) throw new Error(`building ${commit} wrote no ${cli}`);
    return { cli, cleanup: dir.cleanup };
  } catch (err) {
    dir.cleanup();
    throw new Error(`cannot build virtfleet at ${commit} (is the commit in this repository?): ${String(err)}`, {
      cause: err,
    });
  }
}
