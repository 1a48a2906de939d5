/**
 * Hostile policy files: YAML bombs, pathological nesting and sizes are refused before (or
 * instead of) a slow parse, with file:line:col, and quickly.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { loadPolicies, loadPolicySources, parseYamlDocuments, POLICY_LIMITS, scanYaml } from "../../../common/index.js";
import { readPolicyFolder } from "../../../controller/policies/index.js";
import { lines, policy } from "../policy/helpers.js";
import { tempDir } from "../../harness/processes.js";

const tmp = tempDir("vft-hostile-yaml-");
afterAll(() => tmp.cleanup());

/** Nine levels of nine aliases each: 9^9 = 387 million nodes once expanded. */
function billionLaughs(name = "bomb"): string {
  const levels = ["    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let i = 1; i <= 9; i++)
    levels.push(
      `    l${i}: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(", ")}]`,
    );
  return `apiVersion: virtfleet/v1\nkind: Policy\nmetadata:\n  name: ${name}\nspec:\n  vars:\n${levels.join("\n")}\n  resources: {}\n`;
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t };
}

describe("YAML bombs and pathological shapes", () => {
  it("a billion-laughs document is refused at its first alias, fast, and the file yields nothing", () => {
    const { value: r, ms } = timed(() => loadPolicySources([{ file: "bomb.yaml", text: billionLaughs() }]));
    expect(r.policies).toEqual([]);
    expect(lines(r)).toHaveLength(1);
    // Line 8 holds `l1: &l1 [*l0, …]`: the first alias; column of `*l0`.
    expect(lines(r)[0]).toMatch(/^bomb\.yaml:8:14: : YAML aliases expand to too many nodes \(more than 100\)/);
    expect(ms).toBeLessThan(1_000);
  });

  it("a few aliases (anchors for shared values) still work", () => {
    const text = policy("shared", "    pools:\n      - &p {name: p1, path: /srv/p1}\n", "  vars: {a: &v x, b: *v}\n");
    const r = loadPolicySources([{ file: "ok.yaml", text }]);
    expect(lines(r)).toEqual([]);
    expect(r.policies[0]!.vars).toEqual({ a: "x", b: "x" });
  });

  it.each([
    ["flow", "    a: " + "[".repeat(200_000) + "]".repeat(200_000), 7],
    ["flow maps", "    a: " + "{a: ".repeat(100_000) + "}".repeat(100_000), 7],
    ["compact block sequences", "    a:\n      " + "- ".repeat(100_000) + "x", 8],
    ["complex keys", "    a:\n      " + "? ".repeat(100_000) + "x", 8],
    ["indentation", "    a:\n" + Array.from({ length: 900 }, (_, i) => " ".repeat(6 + i) + "- ").join("\n") + "x", 8],
  ])("nesting deeper than %s limit is refused unparsed with line:col", (_what, body, line) => {
    const text = `apiVersion: virtfleet/v1\nkind: Policy\nmetadata: {name: deep}\nspec:\n  resources: {}\n  vars:\n${body}\n`;
    const { value: r, ms } = timed(() => parseYamlDocuments(text, "deep.yaml"));
    expect(r.documents).toEqual([]);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ file: "deep.yaml", line: expect.any(Number) });
    expect(r.issues[0]!.line).toBeGreaterThanOrEqual(line);
    expect(r.issues[0]!.message).toMatch(new RegExp(`nested deeper than ${POLICY_LIMITS.nesting} levels`));
    expect(ms).toBeLessThan(500);
  });

  it("a file with more entries than the limit is refused unparsed", () => {
    const flat =
      "a: [" +
      Array(POLICY_LIMITS.entries + 10)
        .fill("x")
        .join(",") +
      "]\n";
    const { value: r, ms } = timed(() => parseYamlDocuments(flat, "flat.yaml"));
    expect(r.issues[0]).toMatchObject({ line: 1 });
    expect(r.issues[0]!.message).toMatch(/more than 100000 entries/);
    expect(ms).toBeLessThan(500);
    const keys = Array.from({ length: POLICY_LIMITS.entries + 1 }, (_, i) => `k${i}: v`).join("\n");
    expect(parseYamlDocuments(keys, "keys.yaml").issues[0]).toMatchObject({ line: POLICY_LIMITS.entries + 1, col: 1 });
  });

  it("50,000 distinct keys parse in linear time; a duplicate among them is found with both positions", () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}: v`);
    const { value: ok, ms } = timed(() => parseYamlDocuments(keys.join("\n") + "\n", "keys.yaml"));
    expect(ok.issues).toEqual([]);
    // The yaml package's own uniqueKeys check is quadratic: about 25 s here.
    expect(ms).toBeLessThan(5_000);
    const dup = parseYamlDocuments([...keys.slice(0, 10), "k3: again"].join("\n"), "dup.yaml");
    expect(dup.issues).toEqual([
      {
        file: "dup.yaml",
        line: 11,
        col: 1,
        path: "",
        message: 'YAML syntax: duplicate key "k3" (first at line 4); keys must be unique',
      },
    ]);
    // As toJS would merge them: 1 and "1" are the same key.
    expect(parseYamlDocuments('a: {1: x, "1": y}\n', "n.yaml").issues[0]!.message).toMatch(/duplicate key "1"/);
  });

  it("the scan ignores brackets, quotes and # inside quoted and block scalars and comments", () => {
    const text = [
      "a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['",
      'b: "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\\" ["',
      "c: |",
      "  [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
      "  it's 'quoted",
      "d: x # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
      "e: it's [1, 2]",
      "hosts: [kvm[01:04].lab]",
    ].join("\n");
    expect(scanYaml(text, POLICY_LIMITS)).toBeNull();
    // A quote that does not open a scalar (mid-word) does not hide what follows.
    expect(scanYaml("e: it's\nf: " + "[".repeat(100), POLICY_LIMITS)).toMatchObject({ line: 2 });
  });
});

describe("file and folder size limits", () => {
  it("a file over 1 MiB is refused unread, naming the file and the limit", async () => {
    const dir = `${tmp.path}/big`;
    mkdirSync(dir);
    writeFileSync(`${dir}/big.yaml`, `# ${"x".repeat(POLICY_LIMITS.fileBytes)}\n`);
    writeFileSync(`${dir}/ok.yaml`, policy("ok", "    pools: []\n"));
    const r = await loadPolicies([dir]);
    expect(lines(r)).toEqual([
      `${dir}/big.yaml:1:1: : ${POLICY_LIMITS.fileBytes + 3} bytes, larger than the limit of 1 MiB per policy file (refused unparsed); split it into several files`,
    ]);
    const folder = await readPolicyFolder(dir);
    expect(folder.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/larger than the limit of 1 MiB per policy file/),
    ]);
    expect(folder.sources.map((s) => s.file)).toEqual([`${dir}/ok.yaml`]);
  });

  it("the folder's files together may not exceed 16 MiB; the file that crosses it is named", async () => {
    const dir = `${tmp.path}/total`;
    mkdirSync(dir);
    const chunk = `# ${"x".repeat(POLICY_LIMITS.fileBytes - 100)}\n`;
    const count = Math.floor(POLICY_LIMITS.totalBytes / chunk.length) + 1;
    for (let i = 0; i < count; i++) writeFileSync(`${dir}/f${String(i).padStart(2, "0")}.yaml`, chunk);
    const folder = await readPolicyFolder(dir);
    expect(folder.errors).toHaveLength(1);
    expect(folder.errors[0]).toMatchObject({ file: `${dir}/f${String(count - 1).padStart(2, "0")}.yaml` });
    expect(folder.errors[0]!.message).toMatch(/exceed the limit of 16 MiB in total/);
  });

  it("more than 1000 files is refused whole; FIFOs and devices are not read", async () => {
    const dir = `${tmp.path}/many`;
    mkdirSync(dir);
    for (let i = 0; i <= POLICY_LIMITS.files; i++) writeFileSync(`${dir}/p${i}.yaml`, "");
    const folder = await readPolicyFolder(dir);
    expect(folder.sources).toEqual([]);
    expect(folder.errors).toEqual([
      {
        file: dir,
        line: 0,
        col: 0,
        path: "",
        message: expect.stringMatching(/^1001 policy files, more than the limit of 1000/),
      },
    ]);

    const odd = `${tmp.path}/odd`;
    mkdirSync(odd);
    execFileSync("mkfifo", [`${odd}/fifo.yaml`]);
    execFileSync("ln", ["-s", "/dev/zero", `${odd}/zero.yaml`]);
    mkdirSync(`${odd}/sub.yaml`);
    const r = await readPolicyFolder(odd);
    expect(r.errors.map((e) => [e.file, e.message])).toEqual([
      [`${odd}/fifo.yaml`, "not a regular file; only regular files are read as policies"],
      [
        `${odd}/zero.yaml`,
        expect.stringMatching(/^a symbolic link that leads outside the policies folder; refused unread/),
      ],
    ]);
  });
});
