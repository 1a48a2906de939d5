import { execFile } from "node:child_process";
import { networkInterfaces } from "node:os";
import type { NetworkInterfaceFacts } from "../../common/facts.js";
import type { Context } from "./context.js";
import { mapLimit } from "./limit.js";
import { parseIpAddrJson, type IpLinkInfo } from "./parse/ip-addr.js";
import { parseSysInt, parseSysString } from "./parse/sysfs-value.js";

/** ARPHRD_LOOPBACK in /sys/class/net/<if>/type. */
const ARPHRD_LOOPBACK = 772;

/** What sysfs (and `ip`, when used) say about one interface, as input to `interfaceKind`. */
export interface KindEvidence {
  type: number | null;
  hasBridgeDir: boolean;
  hasBondingDir: boolean;
  hasTunFlags: boolean;
  inProcNetVlan: boolean;
  hasDeviceLink: boolean;
  /** `linkinfo.info_kind` from `ip -d`, null when unknown. */
  ipKind: string | null;
}

/**
 * `loopback`, `bridge`, `bond`, `tun`, `vlan`, `veth`, `physical` (backed by a device) or
 * `virtual`, checked in that order. Sysfs evidence wins over `ip`'s link kind.
 */
export function interfaceKind(e: KindEvidence): string {
  if (e.type === ARPHRD_LOOPBACK) return "loopback";
  if (e.hasBridgeDir || e.ipKind === "bridge") return "bridge";
  if (e.hasBondingDir || e.ipKind === "bond") return "bond";
  if (e.hasTunFlags || e.ipKind === "tun") return "tun";
  if (e.inProcNetVlan || e.ipKind === "vlan") return "vlan";
  if (e.ipKind === "veth") return "veth";
  if (e.hasDeviceLink) return "physical";
  return "virtual";
}

/**
 * Interfaces under /sys/class/net, ordered by name, with addresses (and link kinds) from
 * `ip -j -d addr` or os.networkInterfaces() per `addressSource`. Per interface: one
 * directory listing (bridge/, bonding/, tun_flags, device) and up to five attribute reads.
 * An interface that disappears before it is listed is left out. Failure of the address
 * source is recorded under `network.addresses` and leaves address lists empty (or from
 * the fallback).
 */
export async function collectNetwork(ctx: Context): Promise<{ interfaces: NetworkInterfaceFacts[] }> {
  const root = ctx.sys("class/net");
  const [names, links, vlans] = await Promise.all([
    ctx.io.list(root),
    linkInfo(ctx),
    ctx.io.listOptional(ctx.proc("net/vlan")),
  ]);
  const vlanNames = new Set(vlans ?? []);
  const sorted = names.filter((n) => n !== "bonding_masters").sort();
  const ifaces = await mapLimit(sorted, ctx.opts.concurrency, async (name): Promise<NetworkInterfaceFacts | null> => {
    const dir = `${root}/${name}`;
    const entries = await ctx.io.listOptional(dir);
    if (entries === null) return null;
    const has = new Set(entries);
    const [address, mtu, operstate, speed, type] = await Promise.all([
      ctx.io.optional(`${dir}/address`),
      ctx.io.optional(`${dir}/mtu`),
      ctx.io.optional(`${dir}/operstate`),
      has.has("speed") ? ctx.io.optional(`${dir}/speed`) : null,
      ctx.io.optional(`${dir}/type`),
    ]);
    const link = links.get(name);
    const speedMbps = speed === null ? null : parseSysInt(speed);
    return {
      name,
      mac: address === null ? null : parseSysString(address),
      mtu: mtu === null ? null : parseSysInt(mtu),
      operState: operstate === null ? null : parseSysString(operstate),
      kind: interfaceKind({
        type: type === null ? null : parseSysInt(type),
        hasBridgeDir: has.has("bridge"),
        hasBondingDir: has.has("bonding"),
        hasTunFlags: has.has("tun_flags"),
        inProcNetVlan: vlanNames.has(name),
        hasDeviceLink: has.has("device"),
        ipKind: link?.kind ?? null,
      }),
      speedMbps: speedMbps !== null && speedMbps > 0 ? speedMbps : null,
      addresses: link?.addresses ?? [],
    };
  });
  return { interfaces: ifaces.filter((i): i is NetworkInterfaceFacts => i !== null) };
}

async function linkInfo(ctx: Context): Promise<Map<string, IpLinkInfo>> {
  if (ctx.opts.addressSource === "none") return new Map();
  if (ctx.opts.addressSource === "ip") {
    try {
      return parseIpAddrJson(await runIp(ctx));
    } catch (err) {
      ctx.fail(
        "network.addresses",
        new Error(`${ctx.opts.ipCommand} -j -d addr failed, used os.networkInterfaces() instead`, { cause: err }),
      );
    }
  }
  return fromOs();
}

function runIp(ctx: Context): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      ctx.opts.ipCommand,
      ["-j", "-d", "addr", "show"],
      {
        timeout: ctx.opts.ipTimeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
        env: { ...process.env, LC_ALL: "C" },
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(stderr.trim() || err.message, { cause: err }));
        else resolve(stdout);
      },
    );
  });
}

/** Addresses from os.networkInterfaces() (getifaddrs; lists only interfaces with addresses). */
export function fromOs(): Map<string, IpLinkInfo> {
  const out = new Map<string, IpLinkInfo>();
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    const list: IpLinkInfo["addresses"] = [];
    for (const a of addrs ?? []) {
      const prefix = a.cidr === null ? null : Number(a.cidr.slice(a.cidr.lastIndexOf("/") + 1));
      if (prefix === null || !Number.isInteger(prefix)) continue;
      const address = a.family === "IPv6" && a.scopeid ? a.address.replace(/%.*$/, "") : a.address;
      list.push({ family: a.family === "IPv6" ? "inet6" : "inet", address, prefix });
    }
    out.set(name, { kind: null, addresses: list });
  }
  return out;
}
