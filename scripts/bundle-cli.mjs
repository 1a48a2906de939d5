// Builds the shipped `virtfleet` command: cli/main.ts bundled by esbuild into dist/bin/virtfleet.js
// plus code-split chunks (dist/bin/chunks/), one chunk set per command module, so `virtfleet agent`
// loads the agent and nothing of the controller (cli/program.ts imports each command lazily).
//
// Why a bundle (issue 8, docs/benchmarks.md "The agent as one bundle"): loading a few hundred
// modules one by one costs the agent process several MB of module records, wrappers and source
// text; a bundle loads a handful of chunks.
//
// Contract: whitespace and syntax are minified, identifiers are not (stack traces keep function
// names; class names stay, which typed errors' `name` relies on). esbuild's keepNames is off: it
// wraps every function the code creates in a `__name()` call that gives the closure its own
// property store, ~2 KB per agent connection in the controller (docs/design/scale.md, "Eighth
// round"); so a name that collides in a chunk comes out renamed (dependencies' CommanderError2),
// and test/e2e/shipped-cli.test.ts fails if one of the code's typed errors is. Source maps sit beside every
// chunk (NODE_OPTIONS=--enable-source-maps maps stacks back to the TypeScript). better-sqlite3 is
// native and stays in node_modules; modules the code loads with createRequire (@peculiar/x509,
// yaml for cloud-init) are resolved from node_modules at run time. Data files (proto/,
// package.json) are found by walking up from the chunk, as from dist/cli/. dist/bin/meta.json is
// esbuild's metafile (inputs and imports of every chunk).
import { chmodSync, cpSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outdir = join(root, "dist", "bin");

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { virtfleet: "cli/main.ts" },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outdir,
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  external: ["better-sqlite3"],
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: false,
  sourcemap: true,
  // bundled CommonJS packages (grpc-js, protobufjs, pino…) call require() for Node's modules
  banner: {
    js: 'import { createRequire as __virtfleetCreateRequire } from "node:module"; const require = __virtfleetCreateRequire(import.meta.url);',
  },
  metafile: true,
  logLevel: "warning",
});
// which source file went into which chunk: test/e2e/shipped-cli.test.ts checks what `virtfleet agent` loads
writeFileSync(join(outdir, "meta.json"), JSON.stringify(result.metafile));
chmodSync(join(outdir, "virtfleet.js"), 0o755);
// The dashboard's own static files (controller/web/assets: CSS): tsc does not copy them, so they go
// beside the compiled module (dist/controller/web/assets) and beside the bundle's chunks
// (dist/bin/assets); controller/web/assets.ts looks in both places.
for (const to of [join(root, "dist", "controller", "web", "assets"), join(outdir, "assets")])
  cpSync(join(root, "controller", "web", "assets"), to, { recursive: true });
