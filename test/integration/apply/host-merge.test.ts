import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, CLI, tempDir } from "../../harness/processes.js";

const run = promisify(execFile);

/**
 * Issue 21 item 8 with a real process: `virtfleet apply --local` (the agent's engine, through
 * the real libvirtd) converges two policies' host sysctls. It runs in a network namespace of
 * its own (`unshare --net`): the net.ipv4.* keys below are per-namespace, so the machine's
 * values are never touched (checked before and after).
 */
const KEYS = ["net.ipv4.tcp_syn_retries", "net.ipv4.icmp_echo_ignore_all", "net.ipv4.icmp_ratelimit"];
const proc = (k: string) => `/proc/sys/${k.replace(/\./g, "/")}`;
const machine = () => KEYS.map((k) => readFileSync(proc(k), "utf8").trim());

const dir = tempDir("vft-hostmerge-");
let before: string[];

beforeAll(() => {
  assertBuilt();
  before = machine();
  const policy = (name: string, priority: number, sysctl: Record<string, string>) =>
    `apiVersion: virtfleet/v1\nkind: Policy\nmetadata: {name: ${name}}\nspec:\n  priority: ${priority}\n  resources:\n    host:\n      sysctl: ${JSON.stringify(sysctl)}\n`;
  // a.yaml sorts first: before the fix only its host block was enforced.
  writeFileSync(
    join(dir.path, "a.yaml"),
    policy("hm-a", 0, { "net.ipv4.tcp_syn_retries": "5", "net.ipv4.icmp_ratelimit": "500" }),
  );
  writeFileSync(
    join(dir.path, "b.yaml"),
    policy("hm-b", 10, { "net.ipv4.icmp_echo_ignore_all": "1", "net.ipv4.icmp_ratelimit": "700" }),
  );
});
afterAll(() => dir.cleanup());

describe("two policies' host prerequisites, applied by a real process", () => {
  it("every policy's sysctl is applied; the key both set takes the higher priority's value", async () => {
    const script = `${KEYS.map((k) => `cat ${proc(k)}`).join("; ")}; echo ---; "$0" "$1" apply "$2" --local --json; echo "exit=$?"; echo ---; ${KEYS.map((k) => `cat ${proc(k)}`).join("; ")}`;
    const { stdout } = await run("unshare", ["--net", "sh", "-c", script, process.execPath, CLI, dir.path], {
      timeout: 60_000,
    });
    const [inNsBefore, json, inNsAfter] = stdout.split("---\n");
    // A fresh namespace starts from the kernel defaults.
    expect(inNsBefore!.trim().split("\n")).toEqual(["6", "0", "1000"]);
    expect(json).toContain("exit=0");
    const doc = JSON.parse(json!.slice(0, json!.lastIndexOf("exit="))) as {
      resources: {
        kind: string;
        name: string;
        policy?: string;
        outcome: string;
        changes: { field: string; to: unknown }[];
      }[];
    };
    const host = doc.resources.filter((r) => r.kind === "host");
    expect(host).toHaveLength(1);
    expect(host[0]!.outcome).toBe("changed");
    expect(host[0]!.changes.map((c) => [c.field, c.to]).sort()).toEqual([
      ["sysctl.net.ipv4.icmp_echo_ignore_all", "1"],
      ["sysctl.net.ipv4.icmp_ratelimit", "700"],
      ["sysctl.net.ipv4.tcp_syn_retries", "5"],
    ]);
    expect(inNsAfter!.trim().split("\n")).toEqual(["5", "1", "700"]);
    // The machine's own namespace is untouched.
    expect(machine()).toEqual(before);
  });
});
