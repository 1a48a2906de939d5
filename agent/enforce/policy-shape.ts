/**
 * A defensive structural check of a ResolvedPolicy (common/resource-specs.ts) received as
 * JSON: every field the resources read has the right type. Values were validated by the
 * controller's loader; this only keeps a corrupt or foreign bundle from reaching libvirt.
 * Returns null when the shape is right, else a phrase naming the first bad field.
 */
type Check = (v: unknown) => boolean;

const str: Check = (v) => typeof v === "string";
const strOrNull: Check = (v) => v === null || typeof v === "string";
const num: Check = (v) => typeof v === "number" && Number.isFinite(v);
const numOrNull: Check = (v) => v === null || num(v);
const bool: Check = (v) => typeof v === "boolean";
const oneOf =
  (...xs: string[]): Check =>
  (v) =>
    typeof v === "string" && xs.includes(v);
const obj: Check = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const list: Check = (v) => Array.isArray(v);

type Shape = Record<string, Check>;

const NAMED: Shape = { name: str };
const NETWORK: Shape = {
  ...NAMED,
  mode: oneOf("nat", "route", "isolated", "bridge"),
  bridge: strOrNull,
  mtu: numOrNull,
  autostart: bool,
  state: oneOf("active", "inactive", "absent"),
  ipv4: (v) => v === null || obj(v),
};
const POOL: Shape = {
  ...NAMED,
  type: oneOf("dir"),
  path: str,
  autostart: bool,
  state: oneOf("active", "inactive", "absent"),
};
const VOLUME: Shape = {
  ...NAMED,
  pool: str,
  format: oneOf("qcow2", "raw"),
  capacityBytes: num,
  backingVolume: strOrNull,
  source: (v) => v === null || obj(v),
  state: oneOf("present", "absent"),
};
const DOMAIN: Shape = {
  ...NAMED,
  vcpus: num,
  memoryBytes: num,
  cpu: oneOf("host-model", "host-passthrough"),
  machine: strOrNull,
  disks: list,
  cdroms: list,
  interfaces: list,
  cloudInit: (v) => v === null || obj(v),
  graphics: oneOf("none", "vnc"),
  autostart: bool,
  state: oneOf("running", "shutoff", "paused", "absent"),
  restartOnChange: bool,
};
const HOST: Shape = { requireVirtualization: bool, kernelModules: list, sysctl: obj, minFreeMemoryBytes: numOrNull };
const DISK: Shape = { pool: str, volume: str, bus: oneOf("virtio", "sata", "scsi") };
const NIC: Shape = { network: str, model: str, mac: str };

function shapeProblem(v: unknown, shape: Shape, where: string): string | null {
  if (!obj(v)) return `${where} is not an object`;
  const o = v as Record<string, unknown>;
  for (const [k, check] of Object.entries(shape))
    if (!check(o[k])) return `${where}.${k} is missing or has the wrong type`;
  return null;
}

function listProblem(v: unknown, shape: Shape, where: string): string | null {
  if (!Array.isArray(v)) return `${where} is not a list`;
  for (const [i, item] of v.entries()) {
    const p = shapeProblem(item, shape, `${where}[${i}]`);
    if (p) return p;
  }
  return null;
}

export function checkResolvedPolicy(v: unknown): string | null {
  const top = shapeProblem(v, { name: str, mode: oneOf("enforce", "audit"), resources: obj }, "policy");
  if (top) return top;
  const r = (v as { resources: Record<string, unknown> }).resources;
  if (r.host !== null) {
    const p = shapeProblem(r.host, HOST, "resources.host");
    if (p) return p;
  }
  const problem =
    listProblem(r.networks, NETWORK, "resources.networks") ??
    listProblem(r.pools, POOL, "resources.pools") ??
    listProblem(r.volumes, VOLUME, "resources.volumes") ??
    listProblem(r.domains, DOMAIN, "resources.domains");
  if (problem) return problem;
  for (const [i, d] of (r.domains as Record<string, unknown>[]).entries()) {
    const p =
      listProblem(d.disks, DISK, `resources.domains[${i}].disks`) ??
      listProblem(d.interfaces, NIC, `resources.domains[${i}].interfaces`) ??
      (d.cdroms as unknown[])
        .map((c, j) =>
          obj(c) &&
          (str((c as { path?: unknown }).path) ||
            (str((c as { pool?: unknown }).pool) && str((c as { volume?: unknown }).volume)))
            ? null
            : `resources.domains[${i}].cdroms[${j}] is neither {path} nor {pool, volume}`,
        )
        .find((x) => x !== null) ??
      null;
    if (p) return p;
  }
  return null;
}
