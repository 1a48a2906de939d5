/**
 * Every string field of a full policy, one at a time, gets a character XML cannot carry (or
 * a parser would change): the loader refuses it with an error at exactly that field's
 * path and line:col, and free-text fields say which character. Nothing reaches a builder.
 */
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { formatPath, loadPolicySources, type PathSegment } from "../../../common/index.js";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx3bWqHbRkbWQ7a2ZqLr1lR8Lg1xq3q0yQZ2Yb0n7Xk alice@lab";

function fullPolicy(): Record<string, unknown> {
  return {
    apiVersion: "virtfleet/v1",
    kind: "Policy",
    metadata: { name: "full", description: "all fields" },
    spec: {
      mode: "enforce",
      resources: {
        host: { kernelModules: ["kvm"], sysctl: { "net.ipv4.ip_forward": "1" }, minFreeMemory: "1GiB" },
        networks: [
          {
            name: "n1",
            mode: "nat",
            bridge: "vfbr1",
            ipv4: {
              address: "192.168.50.1",
              prefix: 24,
              dhcp: {
                start: "192.168.50.10",
                end: "192.168.50.20",
                hosts: [{ mac: "52:54:00:00:00:10", ip: "192.168.50.10", name: "web" }],
              },
            },
            state: "active",
          },
        ],
        pools: [{ name: "p1", type: "dir", path: "/srv/p1", state: "active" }],
        volumes: [
          {
            name: "base.qcow2",
            pool: "p1",
            format: "qcow2",
            capacity: "1GiB",
            source: { url: "https://img.example/base.qcow2", sha256: "a".repeat(64) },
          },
          { name: "web.qcow2", pool: "p1", capacity: "2GiB", backingVolume: "base.qcow2" },
        ],
        domains: [
          {
            name: "web",
            vcpus: 1,
            memory: "64MiB",
            cpu: "host-model",
            machine: "q35",
            disks: [{ volume: "p1/web.qcow2", bus: "virtio" }],
            cdroms: ["/srv/iso/tools.iso", "p1/base.qcow2"],
            interfaces: [{ network: "n1", model: "virtio", mac: "52:54:00:00:00:10" }],
            cloudInit: {
              hostname: "web",
              users: [
                {
                  name: "ops",
                  groups: ["wheel"],
                  sudo: "ALL=(ALL) NOPASSWD:ALL",
                  passwordHash: "$6$saltsalt$abcdefghijklmnop",
                  sshAuthorizedKeys: [KEY],
                },
              ],
              packages: ["httpd"],
            },
            graphics: "none",
            state: "running",
          },
        ],
      },
    },
  };
}

function leaves(v: unknown, path: PathSegment[] = []): { path: PathSegment[]; value: string }[] {
  if (typeof v === "string") return [{ path, value: v }];
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...path, i]));
  if (v !== null && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  return [];
}

function setAt(root: unknown, path: PathSegment[], value: string): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cur = copy;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as typeof cur;
  cur[path[path.length - 1]!] = value;
  return copy;
}

const yaml = (doc: unknown) =>
  stringify(doc, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", lineWidth: 0 });
const FREE_TEXT = new Set(["sudo", "path", "net.ipv4.ip_forward", "0", "1"]);

describe("control characters in every string field of a policy", () => {
  it("the unmodified policy loads", () => {
    const r = loadPolicySources([{ file: "p.yaml", text: yaml(fullPolicy()) }]);
    expect(r.errors).toEqual([]);
  });

  const resourceLeaves = leaves(fullPolicy()).filter((l) => l.path[1] === "resources");
  it.each(["\u0000", "\u0007", "\t", "\n", "\r", "\u001b", "\u007f", "\u0085", "\ud800", "\uffff"])(
    "%j anywhere under spec.resources is refused at that field",
    (ch) => {
      expect(resourceLeaves.length).toBeGreaterThan(30);
      for (const leaf of resourceLeaves) {
        const value = `${leaf.value.slice(0, 1)}${ch}${leaf.value.slice(1)}`;
        const r = loadPolicySources([{ file: "p.yaml", text: yaml(setAt(fullPolicy(), leaf.path, value)) }]);
        const at = formatPath(leaf.path);
        const mine = r.errors.filter((e) => e.path === at);
        expect(mine, `${at} = ${JSON.stringify(value)}: ${JSON.stringify(r.errors)}`).toHaveLength(1);
        expect(mine[0]!.line).toBeGreaterThan(0);
        expect(r.policies).toEqual([]);
        // Free text has no pattern to fail first: the message names the character.
        const last = String(leaf.path[leaf.path.length - 1]);
        if (FREE_TEXT.has(last) && typeof leaf.path[leaf.path.length - 2] !== "string") {
          expect(mine[0]!.message).toMatch(/(control character|lone surrogate|non-character) U\+[0-9A-F]{4}/);
        }
      }
    },
  );
});
