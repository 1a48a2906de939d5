import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HostResource, PreconditionError, type HostEnvironment } from "../../../kinds/index.js";
import type { HostPrereqSpec } from "../../../common/index.js";

let root: string;
let env: HostEnvironment;
let loaded: string[];

function put(path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "vft-hostres-"));
  loaded = [];
  put("proc/meminfo", "MemTotal:  8000000 kB\nMemAvailable:  4000000 kB\n");
  put("proc/sys/net/ipv4/ip_forward", "0\n");
  put("proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
  put("sys/module/kvm/parameters/x", "");
  put("dev/kvm", "");
  env = {
    procRoot: join(root, "proc"),
    sysRoot: join(root, "sys"),
    kvmDevice: join(root, "dev/kvm"),
    modprobe: async (name) => {
      if (name === "nosuchmod")
        throw Object.assign(new Error("exit 1"), { stderr: "modprobe: FATAL: Module nosuchmod not found" });
      loaded.push(name);
      mkdirSync(join(root, "sys/module", name), { recursive: true });
    },
  };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const spec = (over: Partial<HostPrereqSpec> = {}): HostPrereqSpec => ({
  requireVirtualization: false,
  kernelModules: [],
  sysctl: {},
  minFreeMemoryBytes: null,
  ...over,
});
const signal = new AbortController().signal;

describe("host prerequisites", () => {
  it("reports missing modules and sysctl values in a dry-run without changing them", async () => {
    const r = new HostResource(
      spec({ kernelModules: ["kvm", "vhost_net"], sysctl: { "net.ipv4.ip_forward": "1" } }),
      "p",
      env,
    );
    const res = await r.checkApply(signal, false);
    expect(res.changes).toEqual([
      { field: "kernelModules.vhost_net", from: "not loaded", to: "loaded", disruption: "live" },
      { field: "sysctl.net.ipv4.ip_forward", from: "0", to: "1", disruption: "live" },
    ]);
    expect(loaded).toEqual([]);
    expect(readFileSync(join(root, "proc/sys/net/ipv4/ip_forward"), "utf8")).toBe("0\n");
  });

  it("repairs them, and is then in sync", async () => {
    const r = new HostResource(
      spec({ kernelModules: ["vhost_net"], sysctl: { "net.ipv4.ip_forward": "1" } }),
      "p",
      env,
    );
    expect((await r.checkApply(signal, true)).changes).toHaveLength(2);
    expect(loaded).toEqual(["vhost_net"]);
    expect(readFileSync(join(root, "proc/sys/net/ipv4/ip_forward"), "utf8")).toBe("1");
    expect((await r.checkApply(signal, false)).changes).toEqual([]);
  });

  it("compares vector sysctls with normalised whitespace", async () => {
    const r = new HostResource(spec({ sysctl: { "net.ipv4.ip_local_port_range": "32768   60999" } }), "p", env);
    expect((await r.checkApply(signal, false)).changes).toEqual([]);
  });

  it("fails clearly on a module modprobe cannot load and on an unknown sysctl", async () => {
    await expect(
      new HostResource(spec({ kernelModules: ["nosuchmod"] }), "p", env).checkApply(signal, true),
    ).rejects.toThrow(/Module nosuchmod not found/);
    await expect(
      new HostResource(spec({ sysctl: { "net.ipv4.nope": "1" } }), "p", env).checkApply(signal, false),
    ).rejects.toThrow(/sysctl net\.ipv4\.nope does not exist/);
  });

  it("preconditions fail before anything changes", async () => {
    const low = new HostResource(
      spec({ minFreeMemoryBytes: 8 * 1024 ** 3, sysctl: { "net.ipv4.ip_forward": "1" } }),
      "p",
      env,
    );
    await expect(low.checkApply(signal, true)).rejects.toThrow(PreconditionError);
    await expect(low.checkApply(signal, true)).rejects.toThrow(/3\.8 GiB of memory is available.*8\.0 GiB/);
    expect(readFileSync(join(root, "proc/sys/net/ipv4/ip_forward"), "utf8")).toBe("0\n");
    rmSync(join(root, "dev/kvm"));
    await expect(
      new HostResource(spec({ requireVirtualization: true }), "p", env).checkApply(signal, false),
    ).rejects.toThrow(/virtualization is required/);
  });

  it("rejects sysctl keys that could escape /proc/sys and bad module names", () => {
    expect(() => new HostResource(spec({ sysctl: { "../../etc/passwd": "x" } }), "p", env)).toThrow(/not a sysctl key/);
    expect(() => new HostResource(spec({ sysctl: { "net..x": "1" } }), "p", env)).toThrow(/not a sysctl key/);
    expect(() => new HostResource(spec({ kernelModules: ["kvm; rm -rf /"] }), "p", env)).toThrow(/not a module name/);
  });
});
