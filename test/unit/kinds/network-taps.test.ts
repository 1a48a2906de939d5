/**
 * kinds/network/taps.ts on what a real peer does not produce here: a sysfs tree with taps on
 * other bridges or none, a hostile tap name in domain XML, and `ip` failing for some taps.
 * (The real path — libvirtd, a running guest, net-destroy — is test/integration/network/guest-taps.test.ts.)
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Hypervisor } from "../../../libvirt/index.js";
import { detachedTaps, guestTapsOn, reattachTaps, type TapHost, tapMaster } from "../../../kinds/network/taps.js";

const root = mkdtempSync(join(tmpdir(), "vft-taps-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** sysfs: /sys/class/net/DEV -> ../../devices/virtual/net/DEV, master -> ../BRIDGE. */
function device(name: string, master?: string): void {
  const real = join(root, "devices", name);
  mkdirSync(real, { recursive: true });
  symlinkSync(real, join(root, "class", name));
  if (master) symlinkSync(`../${master}`, join(real, "master"));
}
mkdirSync(join(root, "class"), { recursive: true });
device("vnet1", "br0");
device("vnet2", "other");
device("vnet3");

const host = (attach: TapHost["attach"] = async () => undefined): TapHost => ({
  sysClassNet: join(root, "class"),
  attach,
});

function hvWith(domains: Record<string, string[]>): Hypervisor {
  const xml = (name: string, taps: string[]) =>
    `<domain><name>${name}</name><devices>${taps
      .map((t) => `<interface type='network'><source network='n' bridge='br0'/><target dev='${t}'/></interface>`)
      .join("")}<interface type='bridge'><source bridge='br0'/><target dev='vnet9'/></interface></devices></domain>`;
  return {
    domains: async () => Object.keys(domains).map((name) => ({ name })),
    domainXml: async (d: { name: string }) => xml(d.name, domains[d.name]!),
  } as unknown as Hypervisor;
}

describe("guest taps on a network", () => {
  it("reads a tap's master from sysfs: the bridge, null without one, undefined when the device is gone", async () => {
    expect(await tapMaster("vnet1", host())).toBe("br0");
    expect(await tapMaster("vnet3", host())).toBeNull();
    expect(await tapMaster("vnet404", host())).toBeUndefined();
  });

  it("counts taps of type=network interfaces on the network that are not on its bridge; gone devices are not counted", async () => {
    const hv = hvWith({ web: ["vnet1", "vnet2"], db: ["vnet3", "vnet404"] });
    expect(await detachedTaps(hv, "n", "br0", host())).toEqual([
      { guest: "web", tap: "vnet2" },
      { guest: "db", tap: "vnet3" },
    ]);
    expect(await detachedTaps(hv, "other-network", "br0", host())).toEqual([]);
  });

  it("refuses a tap name that is not an interface name before it reaches sysfs or ip", async () => {
    await expect(guestTapsOn(hvWith({ web: ["../../etc"] }), "n")).rejects.toThrow(/not a valid interface name/);
    await expect(guestTapsOn(hvWith({ web: ["a b"] }), "n")).rejects.toThrow(/not a valid interface name/);
    await expect(reattachTaps([{ guest: "web", tap: "vnet1" }], "br0 up", host())).rejects.toThrow(
      /not a valid interface name/,
    );
  });

  it("re-attaches every tap and names each one ip could not attach", async () => {
    const attached: string[] = [];
    const h = host(async (tap, bridge) => {
      if (tap === "vnet3") throw Object.assign(new Error("failed"), { stderr: "Cannot find device\n" });
      attached.push(`${tap}>${bridge}`);
    });
    await expect(
      reattachTaps(
        [
          { guest: "web", tap: "vnet2" },
          { guest: "db", tap: "vnet3" },
        ],
        "br0",
        h,
      ),
    ).rejects.toThrow(/bridge br0: vnet3 \(guest db\): Cannot find device; attach them by hand/);
    expect(attached).toEqual(["vnet2>br0"]);
  });
});
