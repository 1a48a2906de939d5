import { execFile } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../../common/paths.js";
import { tempDir } from "../../harness/processes.js";

/**
 * The shipped units (packaging/systemd/) checked by systemd's own tools, offline (no running
 * systemd here): `systemd-analyze verify` and `systemd-analyze security --offline=true`.
 * verify needs ExecStart's program to exist: each unit is checked as a copy whose `virtfleet`
 * points at a stub this test creates.
 */
const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";
const have = existsSync(SYSTEMD_ANALYZE);
const run = promisify(execFile);
const unitsDir = join(projectRoot(), "packaging", "systemd");
const UNITS = ["virtfleet-controller.service", "virtfleet-agent.service"] as const;
/** Exposure ceilings (systemd's 0–10 scale); reached: controller 1.1, agent 3.5. */
const MAX_EXPOSURE = { "virtfleet-controller.service": 1.2, "virtfleet-agent.service": 3.6 } as const;

const tmp = tempDir("vft-units-");
afterAll(() => tmp.cleanup());
const stub = join(tmp.path, "virtfleet");
writeFileSync(stub, "#!/bin/sh\nexit 0\n");
chmodSync(stub, 0o755);

/** A copy of `unit` (its text possibly edited) whose ExecStart runs the stub; returns its path. */
function checkable(unit: string, edit: (text: string) => string = (t) => t): string {
  const text = readFileSync(join(unitsDir, unit), "utf8");
  expect(text).toMatch(/^ExecStart=virtfleet /m);
  const path = join(tmp.path, unit);
  writeFileSync(path, edit(text.replace(/^ExecStart=virtfleet /m, `ExecStart=${stub} `)));
  return path;
}

async function analyze(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(SYSTEMD_ANALYZE, args, { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function exposure(stdout: string): number {
  const m = /Overall exposure level for \S+: ([\d.]+)/.exec(stdout);
  if (!m) throw new Error(`no exposure level in:\n${stdout}`);
  return Number(m[1]);
}

/** `Key=value` settings of a unit, in order (comments and sections left out). */
function settings(text: string): { key: string; value: string; comment: string }[] {
  const out: { key: string; value: string; comment: string }[] = [];
  let comment = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) comment += `${line}\n`;
    else if (/^\w+=/.test(line)) {
      const i = line.indexOf("=");
      out.push({ key: line.slice(0, i), value: line.slice(i + 1), comment });
      comment = "";
    } else comment = "";
  }
  return out;
}

describe.skipIf(!have)("systemd units (systemd-analyze; skipped without the package `systemd`)", () => {
  for (const unit of UNITS) {
    it(`${unit}: systemd-analyze verify finds nothing`, async () => {
      const r = await analyze(["verify", checkable(unit)]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    });

    it(`${unit}: exposure at most ${MAX_EXPOSURE[unit]} (systemd-analyze security --offline=true)`, async () => {
      const r = await analyze([
        "security",
        "--offline=true",
        `--threshold=${Math.round(MAX_EXPOSURE[unit] * 10)}`,
        checkable(unit),
      ]);
      expect(exposure(r.stdout)).toBeLessThanOrEqual(MAX_EXPOSURE[unit]);
      expect(r.code, r.stderr).toBe(0);
    });
  }

  it("verify fails on a broken unit (the check can fail)", async () => {
    const broken = checkable("virtfleet-agent.service", (t) => t.replace("Restart=on-failure", "Restart=sometimes"));
    const r = await analyze(["verify", broken]);
    expect(r.stderr).toMatch(/:\d+: Failed to parse service restart specifier/);
  });

  it("the controller keeps the strict set; neither allows W^X memory only because Node's JIT needs it", () => {
    const all = settings(readFileSync(join(unitsDir, "virtfleet-controller.service"), "utf8"));
    const s = new Map(all.map((x) => [x.key, x]));
    for (const [key, value] of [
      ["DynamicUser", "yes"],
      ["ProtectSystem", "strict"],
      ["ProtectHome", "yes"],
      ["PrivateTmp", "yes"],
      ["PrivateDevices", "yes"],
      ["NoNewPrivileges", "yes"],
      ["CapabilityBoundingSet", ""],
      ["ProtectKernelTunables", "yes"],
      ["ProtectKernelModules", "yes"],
      ["Restart", "on-failure"],
      ["StateDirectory", "virtfleet/controller"],
      ["ConfigurationDirectory", "virtfleet"],
    ] as const)
      expect(s.get(key)?.value, key).toBe(value);
    expect(s.get("RestrictAddressFamilies")?.value).toBeDefined();
    expect(all.filter((x) => x.key === "SystemCallFilter").map((x) => x.value)).toContain("@system-service");
    expect(s.get("MemoryDenyWriteExecute")?.comment).toMatch(/JIT/);
  });

  it("every exception in the agent's unit is explained in a comment", () => {
    const text = readFileSync(join(unitsDir, "virtfleet-agent.service"), "utf8");
    const s = settings(text);
    const get = (key: string) => s.filter((x) => x.key === key);
    for (const key of ["ProtectKernelTunables", "ProtectKernelModules", "PrivateDevices", "MemoryDenyWriteExecute"]) {
      expect(get(key)[0]?.value, key).toBe("no");
      expect(get(key)[0]?.comment, key).toMatch(new RegExp(`${key}=no|JIT`));
    }
    for (const rw of get("ReadWritePaths")) expect(rw.comment.trim(), rw.value).not.toBe("");
    expect(
      get("ReadWritePaths")
        .map((x) => x.value)
        .join(" "),
    ).toMatch(/\/run\/libvirt.*\/var\/lib\/libvirt/);
    const caps = get("CapabilityBoundingSet")[0]!.value.split(/\s+/);
    expect(caps).toContain("CAP_NET_ADMIN");
    expect(caps).toContain("CAP_SYS_MODULE");
    expect(caps).not.toContain("CAP_SYS_ADMIN");
    for (const cap of caps) expect(text, cap).toMatch(new RegExp(`^#\\s+${cap}\\s+\\S`, "m"));
    expect(get("User")[0]?.value).toBe("root");
    expect(get("User")[0]?.comment).toMatch(/libvirt/);
  });
});
