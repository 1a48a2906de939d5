/**
 * What the seed tests converge against the real libvirtd: a dir pool, a 1 MiB qcow2 disk in
 * it and a tiny guest booting from that disk with the given cloudInit (its seed goes into the
 * same pool).
 */
import type { CloudInitSpec, DomainSpec, ResolvedPolicy } from "../../../common/index.js";
import type { EngineReport } from "../../../engine/index.js";
import { resolvedPolicy, tinyDomainSpec, volumeSpec } from "../../harness/specs.js";

export interface SeedGuest {
  policy: string;
  pool: string;
  poolPath: string;
  disk: string;
  domain: string;
  cloudInit: CloudInitSpec | null;
  domainState: DomainSpec["state"];
  /** The pool and the disk; `absent` removes both. Default present. */
  storage?: "present" | "absent";
}

export function seedPolicy(g: SeedGuest): ResolvedPolicy {
  const storage = g.storage ?? "present";
  return resolvedPolicy(
    g.policy,
    {
      pools: [
        {
          name: g.pool,
          type: "dir",
          path: g.poolPath,
          autostart: false,
          state: storage === "absent" ? "absent" : "active",
        },
      ],
      volumes: [volumeSpec(g.disk, g.pool, { state: storage })],
      domains: [
        tinyDomainSpec(g.domain, {
          disks: [{ pool: g.pool, volume: g.disk, bus: "virtio" }],
          cloudInit: g.cloudInit,
          state: g.domainState,
        }),
      ],
    },
    { source: { file: "ci.yaml", line: 1, col: 1 } },
  );
}

/** `kind/name: error` of every failed resource in `r`. */
export const failures = (r: EngineReport): string[] =>
  r.resources.filter((x) => x.outcome === "failed").map((x) => `${x.kind}/${x.name}: ${x.error}`);
