import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { watchPolicyFolder, type FolderWatch } from "../../../controller/policies/index.js";
import { policyYaml, tempFolder } from "./fixtures.js";

const DEBOUNCE = 150;
const settle = () => new Promise((r) => setTimeout(r, DEBOUNCE * 4));

describe("watchPolicyFolder", () => {
  let folder: ReturnType<typeof tempFolder>;
  let watch: FolderWatch;
  let calls: number;

  beforeEach(async () => {
    folder = tempFolder();
    folder.write("web.yaml", policyYaml("web"));
    calls = 0;
    watch = watchPolicyFolder(
      folder.dir,
      DEBOUNCE,
      () => calls++,
      (err) => {
        throw err;
      },
    );
    await watch.ready;
  });
  afterEach(async () => {
    await watch.close();
    folder.cleanup();
  });

  it("reports an editor's safe-save (temp file renamed over the original) once", async () => {
    writeFileSync(join(folder.dir, ".web.yaml.swp"), "x");
    writeFileSync(join(folder.dir, "web.yaml.tmp~"), policyYaml("web", { bridge: "vfbr3" }));
    renameSync(join(folder.dir, "web.yaml.tmp~"), join(folder.dir, "web.yaml"));
    await settle();
    expect(calls).toBe(1);
  });

  it("reports a delete followed by a create once", async () => {
    rmSync(join(folder.dir, "web.yaml"));
    await new Promise((r) => setTimeout(r, 30));
    folder.write("web.yaml", policyYaml("web", { bridge: "vfbr4" }));
    await settle();
    expect(calls).toBe(1);
  });

  it("ignores hidden files and editor backups", async () => {
    folder.write(".web.yaml.swp", "x");
    folder.write("web.yaml~", "x");
    folder.write("notes.txt", "x");
    await settle();
    expect(calls).toBe(0);
    folder.write("db.yml", policyYaml("db"));
    await settle();
    expect(calls).toBe(1);
  });
});
