import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSeedFile, renderSeed, writeSeedIso } from "../../../kinds/index.js";
import { cloudInit, KEY_B } from "./specs.js";

const hasXorriso = (() => {
  try {
    execFileSync("xorriso", ["-version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vft-seed-unit-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Extracts one file with xorriso (an oracle independent of our ISO reader). */
function extract(iso: string, name: string): string {
  const out = join(dir, `extract-${name}-${Date.now()}`);
  execFileSync("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", `/${name}`, out], { stdio: "ignore" });
  return readFileSync(out, "utf8");
}

describe.skipIf(!hasXorriso)("seed ISO (xorriso)", () => {
  it("builds a cidata ISO whose files xorriso lists and extracts, and reads its meta-data back exactly", async () => {
    const iso = join(dir, "g1-cidata.iso");
    const seed = renderSeed("g1", cloudInit());
    await writeSeedIso(iso, seed);
    const listing = execFileSync("xorriso", ["-indev", iso, "-ls", "/"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    expect(listing).toContain("'user-data'");
    expect(listing).toContain("'meta-data'");
    expect(extract(iso, "user-data")).toBe(seed.userData);
    expect(extract(iso, "meta-data")).toBe(seed.metaData);
    expect(await readSeedFile(iso)).toEqual({ exists: true, metaData: seed.metaData });
    expect((await readdir(dir)).filter((n) => n.includes("partial"))).toEqual([]);
  });

  it("replaces an existing seed in place", async () => {
    const iso = join(dir, "g2-cidata.iso");
    await writeSeedIso(iso, renderSeed("g2", cloudInit()));
    const next = renderSeed("g2", cloudInit({ users: [{ ...cloudInit().users[0]!, sshAuthorizedKeys: [KEY_B] }] }));
    await writeSeedIso(iso, next);
    expect(await readSeedFile(iso)).toEqual({ exists: true, metaData: next.metaData });
    expect(extract(iso, "user-data")).toContain(KEY_B);
  });

  it("falls back to the next tool when one is not installed; neither installed is a clear error", async () => {
    const iso = join(dir, "g3-cidata.iso");
    const seed = renderSeed("g3", cloudInit());
    await writeSeedIso(iso, seed, {
      tools: [
        { command: "vft-no-such-tool", prefix: [] },
        { command: "xorriso", prefix: ["-as", "mkisofs"] },
      ],
    });
    expect((await readSeedFile(iso)).exists).toBe(true);
    const err = await writeSeedIso(join(dir, "g4-cidata.iso"), seed, {
      tools: [
        { command: "vft-no-such-tool", prefix: [] },
        { command: "vft-nor-this", prefix: [] },
      ],
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "SEED_TOOL_MISSING" });
    expect((err as Error).message).toMatch(/neither vft-no-such-tool nor vft-nor-this is installed/);
    expect((await readdir(dir)).filter((n) => n.startsWith("g4") || n.includes("partial"))).toEqual([]);
  });

  it("a failing tool is a typed error and leaves nothing behind", async () => {
    const err = await writeSeedIso(join(dir, "no-such-dir", "g5-cidata.iso"), renderSeed("g5", cloudInit())).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "SEED_BUILD_FAILED" });
    expect((await readdir(dir)).filter((n) => n.includes("partial"))).toEqual([]);
  });
});

describe("reading a seed", () => {
  it("a missing file is absent; a non-ISO file or an ISO with another label has no meta-data", async () => {
    expect(await readSeedFile(join(dir, "missing.iso"))).toEqual({ exists: false });
    const junk = join(dir, "junk.iso");
    await writeFile(junk, Buffer.alloc(64 * 1024, 0x41));
    expect(await readSeedFile(junk)).toEqual({ exists: true, metaData: null });
    await writeFile(junk, "short");
    expect(await readSeedFile(junk)).toEqual({ exists: true, metaData: null });
  });

  it.skipIf(!hasXorriso)("an ISO with another volume id, or without meta-data, is not a current seed", async () => {
    const work = await mkdtemp(join(dir, "w-"));
    await writeFile(join(work, "meta-data"), "instance-id: x\n");
    await writeFile(join(work, "user-data"), "#cloud-config\n");
    const other = join(dir, "other.iso");
    execFileSync(
      "xorriso",
      ["-as", "mkisofs", "-output", other, "-volid", "OTHER", "-joliet", "-rock", "user-data", "meta-data"],
      { cwd: work, stdio: "ignore" },
    );
    expect(await readSeedFile(other)).toEqual({ exists: true, metaData: null });
    const noMeta = join(dir, "nometa.iso");
    execFileSync(
      "xorriso",
      ["-as", "mkisofs", "-output", noMeta, "-volid", "cidata", "-joliet", "-rock", "user-data"],
      { cwd: work, stdio: "ignore" },
    );
    expect(await readSeedFile(noMeta)).toEqual({ exists: true, metaData: null });
    const noJoliet = join(dir, "nojoliet.iso");
    execFileSync(
      "xorriso",
      ["-as", "mkisofs", "-output", noJoliet, "-volid", "cidata", "-rock", "user-data", "meta-data"],
      { cwd: work, stdio: "ignore" },
    );
    expect(await readSeedFile(noJoliet)).toEqual({ exists: true, metaData: null });
    expect((await readFile(noJoliet)).length).toBeGreaterThan(0);
  });
});
