import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatIssue, loadPolicies, PolicyValidationError, projectRoot, resolvePolicy } from "../../../common/index.js";
import { lines, load, policy } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "vf-policy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loading", () => {
  it("several documents per file; empty documents are skipped", () => {
    const r = load({ "multi.yaml": `---\n${policy("one", "    {}\n")}---\n---\n${policy("two", "    {}\n")}` });
    expect(lines(r)).toEqual([]);
    expect(r.policies.map((p) => [p.name, p.source.line])).toEqual([
      ["one", 2],
      ["two", 11],
    ]);
  });

  it("an invalid document rejects its whole file; other files still load", () => {
    const r = load({
      "bad.yaml": `${policy("ok-one", "    {}\n")}---\n${policy("broken", "    nope: 1\n")}`,
      "good.yaml": policy("good", "    {}\n"),
    });
    expect(lines(r)).toEqual([
      'bad.yaml:15:5: spec.resources.nope: unknown field "nope" (allowed: host, networks, pools, volumes, domains)',
    ]);
    expect(r.policies.map((p) => p.name)).toEqual(["good"]);
  });

  it("duplicate policy names: an error at the second, naming the first", () => {
    const r = load({ "a.yaml": policy("same", "    {}\n"), "b.yaml": policy("same", "    {}\n") });
    expect(lines(r)).toEqual([
      'b.yaml:4:9: metadata.name: policy "same" is already defined at a.yaml:4:9; policy names are unique in the fleet',
    ]);
    expect(r.policies.map((p) => p.file)).toEqual(["a.yaml"]);
  });

  it("revision is a content hash: stable, and different for different content", () => {
    const a = load({ "a.yaml": policy("p", "    {}\n") }).policies[0].revision;
    const b = load({ "other-name.yaml": `# comment\n${policy("p", "    {}\n")}` }).policies[0].revision;
    const c = load({ "a.yaml": policy("p", "    {}\n", "  priority: 1\n") }).policies[0].revision;
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it("rollout settings: defaults and explicit values", () => {
    const r = load({
      "a.yaml": policy(
        "p",
        "    {}\n",
        "  rollout: {canary: 2, batchSize: 5, soak: 2m, maxFailures: 1, onFailure: pause}\n",
      ),
    });
    expect(r.policies[0].rollout).toEqual({
      canary: 2,
      batchSize: { count: 5 },
      soakMs: 120_000,
      maxFailures: 1,
      onFailure: "pause",
    });
    expect(lines(load({ "a.yaml": policy("p", "    {}\n", "  rollout: {batchSize: 0%, soak: 30}\n") }))).toEqual([
      expect.stringMatching(/rollout\.batchSize: invalid value "0%": a host count or a percentage/),
      expect.stringMatching(/rollout\.soak: must be a string/),
    ]);
  });

  it("folders: *.yaml and *.yml sorted, inventory.yaml by name, other files ignored; missing paths are errors", async () => {
    const d = join(dir, "set");
    mkdirSync(d);
    writeFileSync(join(d, "b.yml"), policy("b", "    {}\n"));
    writeFileSync(join(d, "a.yaml"), policy("a", "    {}\n"));
    writeFileSync(join(d, "README.md"), "not yaml");
    writeFileSync(join(d, ".hidden.yaml"), "garbage: [");
    writeFileSync(join(d, "inventory.yaml"), "groups:\n  g: {hosts: [h1]}\n");
    const r = await loadPolicies([d, join(dir, "missing.yaml")]);
    expect(r.policies.map((p) => p.name)).toEqual(["a", "b"]);
    expect(r.inventory.file).toBe(join(d, "inventory.yaml"));
    expect(r.errors.map(formatIssue)).toEqual([expect.stringMatching(/missing\.yaml: cannot read: ENOENT/)]);
  });

  it("issues format as file:line:col: path: message; PolicyValidationError carries them all", () => {
    const issue = {
      file: "p.yaml",
      line: 3,
      col: 7,
      path: "spec.resources.domains[0].memory",
      message: "must be at least 1MiB",
    };
    expect(formatIssue(issue)).toBe("p.yaml:3:7: spec.resources.domains[0].memory: must be at least 1MiB");
    expect(formatIssue({ ...issue, path: "" })).toBe("p.yaml:3:7: must be at least 1MiB");
    expect(formatIssue({ ...issue, line: 0, col: 0, path: "" })).toBe("p.yaml: must be at least 1MiB");
    const err = new PolicyValidationError([issue, issue]);
    expect(err.message).toBe("p.yaml:3:7: spec.resources.domains[0].memory: must be at least 1MiB (and 1 more)");
    expect(err.issues).toHaveLength(2);
  });

  it("the example policies in policies/ load with zero errors and resolve for any host", async () => {
    const r = await loadPolicies([join(projectRoot(), "policies")]);
    expect(r.errors.map(formatIssue)).toEqual([]);
    expect(r.conflicts).toEqual([]);
    expect(r.policies.map((p) => p.name)).toEqual(["baseline", "web-db"]);
    expect(r.policies.every((p) => p.targets === null)).toBe(true);
    const [baseline, webDb] = r.policies.map((p) => resolvePolicy(p, { name: "whatever-this-machine-is" }));
    expect(baseline.resources.host).toEqual({
      requireVirtualization: true,
      kernelModules: ["kvm"],
      sysctl: { "net.ipv4.ip_forward": "1" },
      minFreeMemoryBytes: null,
    });
    expect(baseline.resources.networks[0]).toMatchObject({
      name: "vf-nat",
      mode: "nat",
      ipv4: { address: "192.168.150.1", prefix: 24 },
    });
    expect(baseline.resources.pools[0]).toMatchObject({ name: "vf-pool", path: "/var/lib/libvirt/vf-pool" });
    expect(webDb.resources.domains.map((d) => [d.name, d.vcpus, d.memoryBytes, d.autostart, d.state])).toEqual([
      ["web-01", 1, 128 * 1024 ** 2, true, "running"],
      ["db-01", 1, 128 * 1024 ** 2, true, "running"],
    ]);
    expect(webDb.resources.volumes.map((v) => [v.name, v.pool, v.format, v.capacityBytes])).toEqual([
      ["web-01.qcow2", "vf-pool", "qcow2", 64 * 1024 ** 2],
      ["db-01.qcow2", "vf-pool", "qcow2", 64 * 1024 ** 2],
    ]);
    const user = webDb.resources.domains[0].cloudInit!.users[0];
    expect(user.passwordHash).toMatch(/^\$6\$/);
    expect(user.sshAuthorizedKeys[0]).toMatch(/^ssh-ed25519 /);
  });
});

describe("an empty policy file is an error, not a removal (issue 21 item 5)", () => {
  const cases: [string, string, string][] = [
    ["empty", "", "empty file"],
    ["whitespace", "  \n\n\t\n", "blank file (whitespace only)"],
    ["comments", "# all gone\n---\n# nothing\n", "no YAML document in the file (comments or `---` only)"],
  ];
  for (const [label, text, what] of cases) {
    it(`${label}: names the file, contributes nothing, other files still load`, () => {
      const r = load({ "x.yaml": text, "y.yaml": policy("y", "    {}\n") });
      expect(lines(r)).toEqual([
        `x.yaml:1:1: : ${what}; a truncated file is not a removal: the previous revisions stay in force (delete the file to remove what it declares)`,
      ]);
      expect(r.policies.map((p) => p.name)).toEqual(["y"]);
    });
  }

  it("an emptied inventory.yaml is an error too (hosts would lose their groups, labels and vars at once)", () => {
    const r = load({ "y.yaml": policy("y", "    {}\n") }, "\n");
    expect(lines(r)).toEqual([
      "inventory.yaml:1:1: : blank file (whitespace only); a truncated file is not a removal: the previous revisions stay in force (delete the file to remove what it declares)",
    ]);
  });
});
