import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AutostartWatcher } from "../../../agent/enforce/autostart-watch.js";
import { silentLogger } from "../../../common/index.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const watchers: AutostartWatcher[] = [];
const roots: string[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

describe("autostart watcher", () => {
  it("re-attaches after the folder is deleted and created again", async () => {
    const root = mkdtempSync(join(tmpdir(), "vf-autostart-"));
    roots.push(root);
    const dir = join(root, "autostart");
    mkdirSync(dir);
    const seen: (string | null)[] = [];
    const w = new AutostartWatcher([{ kind: "domain", path: dir }], (_k, name) => seen.push(name), silentLogger());
    watchers.push(w);
    w.start();
    symlinkSync("/nonexistent", join(dir, "a.xml"));
    await sleep(100);
    expect(seen).toContain("a");
    rmSync(dir, { recursive: true });
    await sleep(100);
    mkdirSync(dir);
    await sleep(100);
    seen.length = 0;
    symlinkSync("/nonexistent", join(dir, "b.xml"));
    await sleep(100);
    expect(seen).toContain("b");
  });

  it("a definitions folder names the object whose NAME.xml libvirt rewrote and ignores everything else", async () => {
    const root = mkdtempSync(join(tmpdir(), "vf-definitions-"));
    roots.push(root);
    const seen: (string | null)[] = [];
    const w = new AutostartWatcher(
      [{ kind: "domain", path: root, definitions: true }],
      (_k, name) => seen.push(name),
      silentLogger(),
    );
    watchers.push(w);
    w.start();
    // What libvirt does on `virsh setvcpus --config web 2` (virFileRewrite): NAME.xml.new, then a rename.
    writeFileSync(join(root, "web.xml.new"), "<domain/>");
    renameSync(join(root, "web.xml.new"), join(root, "web.xml"));
    mkdirSync(join(root, "autostart"));
    writeFileSync(join(root, "notes.txt"), "x");
    await sleep(100);
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(["web"]));
  });
});
