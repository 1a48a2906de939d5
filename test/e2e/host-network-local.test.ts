import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { assertBuilt, CLI, tempDir } from "../harness/processes.js";
import { ip, linkOf, TestNamespaces } from "../integration/host-network/netns.js";

// `virtfleet apply --local` as shipped, run inside a network namespace (`ip netns exec A node
// dist/bin/virtfleet.js apply --local …`): the operator's session is SSH_CONNECTION from
// 10.77.0.2, reached over the veth UP0; a policy putting UP0 into a bridge is the change that
// would cut the session off. Persistent files go to a temp folder.

const exec = promisify(execFile);
const nss = new TestNamespaces("lo");
const dir = tempDir("vft-hn-local-");
const policies = join(dir.path, "policies");
const configDir = join(dir.path, "networkd");
let A = "";
let C = "";
const UP0 = "vft-hn-up0";
const BR = "vft-hn-lbr";
const PEER = "10.77.0.2";
const PORT = 17444;
const SSH = `${PEER} 50022 10.77.0.1 22`;

function write(allowUplinkChange: boolean): void {
  mkdirSync(policies, { recursive: true });
  writeFileSync(
    join(policies, "net.yaml"),
    stringify({
      apiVersion: "virtfleet/v1",
      kind: "Policy",
      metadata: { name: "vft-hn-local" },
      spec: { resources: { host: { bridges: [{ name: BR, interfaces: [UP0] }], allowUplinkChange } } },
    }),
  );
}

async function apply(...extra: string[]) {
  try {
    const { stdout, stderr } = await exec(
      "ip",
      [
        "netns",
        "exec",
        A,
        process.execPath,
        CLI,
        "apply",
        policies,
        "--local",
        "--json",
        "--host-network-config-dir",
        configDir,
        ...extra,
      ],
      { env: { ...process.env, SSH_CONNECTION: SSH } },
    );
    return { code: 0, stdout, stderr, json: JSON.parse(stdout) };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    let json: any = null;
    try {
      json = JSON.parse(e.stdout);
    } catch {
      json = null;
    }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, json };
  }
}
const hostNet = (json: any) => json.resources.find((r: any) => r.kind === "host" && r.name === "network");

beforeAll(async () => {
  assertBuilt();
  A = nss.create("a");
  C = nss.create("c");
  ip(A, "link", "add", UP0, "type", "veth", "peer", "name", "vft-hn-up1");
  ip(A, "link", "set", "vft-hn-up1", "netns", C);
  ip(A, "addr", "add", "10.77.0.1/24", "dev", UP0);
  ip(A, "link", "set", UP0, "up");
  ip(C, "addr", "add", `${PEER}/24`, "dev", "vft-hn-up1");
  ip(C, "link", "set", "vft-hn-up1", "up");
  await exec("ip", ["netns", "exec", A, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"]);
  nss.spawnIn(C, [process.execPath, "-e", `require("net").createServer((s)=>s.end()).listen(${PORT},"${PEER}")`]);
});
afterAll(() => {
  nss.cleanup();
  dir.cleanup();
});

describe("apply --local: host networking and the operator's uplink", () => {
  it("a bridge taking the NIC of the SSH session is refused (exit 4) without allowUplinkChange, naming it", async () => {
    write(false);
    const r = await apply();
    expect(r.code).toBe(4);
    expect(hostNet(r.json).outcome).toBe("blocked");
    expect(hostNet(r.json).error).toMatch(/would change vft-hn-up0, which carries/);
    expect(linkOf(A, BR)).toBeNull();
  });

  it("with allowUplinkChange but without --confirm-timeout it is still refused, saying so", async () => {
    write(true);
    const r = await apply();
    expect(r.code).toBe(4);
    expect(hostNet(r.json).error).toMatch(/apply --local: give --confirm-timeout/);
    expect(linkOf(A, BR)).toBeNull();
  });

  it("--confirm-timeout without a terminal needs --confirm-address (usage error, nothing applied)", async () => {
    write(true);
    const r = await apply("--confirm-timeout", "3s");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--confirm-timeout: needs --confirm-address HOST:PORT when stdin is not a terminal/);
    expect(linkOf(A, BR)).toBeNull();
  });

  it("with --confirm-timeout and --confirm-address, a change that cuts the session off is undone", async () => {
    write(true);
    const r = await apply("--confirm-timeout", "3s", "--confirm-address", `${PEER}:${PORT}`);
    expect(r.code).toBe(1);
    expect(hostNet(r.json).outcome).toBe("failed");
    expect(hostNet(r.json).error).toMatch(
      /not reachable within 3 s after changing vft-hn-up0: the previous configuration was restored/,
    );
    expect(linkOf(A, BR)).toBeNull();
    expect(linkOf(A, UP0)!.master).toBeUndefined();
    expect(existsSync(configDir) ? readdirSync(configDir) : []).toEqual([]); // nothing persistent for an undone change
  });
});
