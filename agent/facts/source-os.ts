import { arch, release, uptime } from "node:os";
import type { OsFacts } from "../../common/facts.js";
import type { Context } from "./context.js";
import { parseOsRelease } from "./parse/os-release.js";

/**
 * OS facts: name/version/id from the first readable os-release file (none readable →
 * nulls and `os` recorded), kernel/arch/uptime from node:os.
 */
export async function collectOs(ctx: Context): Promise<OsFacts> {
  let rel: Map<string, string> | null = null;
  const failures: unknown[] = [];
  for (const path of ctx.opts.osReleasePaths) {
    try {
      rel = parseOsRelease(await ctx.io.text(path));
      break;
    } catch (err) {
      failures.push(err);
    }
  }
  if (rel === null)
    ctx.fail("os", new Error(`no readable os-release (${ctx.opts.osReleasePaths.join(", ")})`, { cause: failures[0] }));
  return {
    name: rel?.get("NAME") ?? null,
    version: rel?.get("VERSION_ID") ?? rel?.get("VERSION") ?? null,
    id: rel?.get("ID") ?? null,
    kernel: release(),
    arch: arch(),
    uptimeSeconds: Math.floor(uptime()),
  };
}
