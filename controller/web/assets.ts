import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One file served under /assets/: its bytes, type and entity tag (read once, at server start). */
export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Our own stylesheet's file name (controller/web/assets/; the build copies it next to the compiled code). */
export const STYLESHEET = "dashboard.css";

/**
 * The dashboard's static files, by URL path: htmx and its server-sent-events extension from
 * node_modules (resolved with createRequire from this module, so from the sources, from dist/
 * and from the esbuild bundle in dist/bin alike: no CDN, the controller may have no internet),
 * and our stylesheet, found in `assets/` beside this module (sources, dist/controller/web) or
 * one folder up (the bundle's chunks in dist/bin/chunks; scripts/bundle-cli.mjs copies it to
 * dist/bin/assets). Throws at start when one is missing: a dashboard without them is broken.
 */
export function loadAssets(): Map<string, Asset> {
  const require = createRequire(import.meta.url);
  const here = dirname(fileURLToPath(import.meta.url));
  const css = [join(here, "assets", STYLESHEET), join(here, "..", "assets", STYLESHEET)].find((f) => existsSync(f));
  if (!css)
    throw new Error(`the dashboard's stylesheet ${STYLESHEET} is missing beside ${here} (is the build complete?)`);
  const files: [string, string, string][] = [
    ["/assets/htmx.min.js", require.resolve("htmx.org/dist/htmx.min.js"), "text/javascript; charset=utf-8"],
    ["/assets/sse.min.js", require.resolve("htmx-ext-sse/dist/sse.min.js"), "text/javascript; charset=utf-8"],
    [`/assets/${STYLESHEET}`, css, "text/css; charset=utf-8"],
  ];
  const out = new Map<string, Asset>();
  for (const [path, file, type] of files) {
    const body = readFileSync(file);
    out.set(path, { body, type, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"` });
  }
  return out;
}
