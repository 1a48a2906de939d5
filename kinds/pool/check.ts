import type { SpecChecker } from "../spec-checker.js";
import { deviceProblem, hostPortProblem, iqnProblem, secretFileProblem } from "./rules.js";
import type { PoolSpec } from "./spec.js";
import { isPoolType, POOL_TYPE_INFO } from "./types.js";

/** The loader's value rules for a resolved pool (kinds/spec-checker.ts), per type (types.ts). */
export function checkPoolSpec(c: SpecChecker, p: PoolSpec): void {
  c.format(p.name, "name", "resourceName");
  if (!isPoolType(p.type)) {
    c.add("type", `unknown pool type ${JSON.stringify(String(p.type)).slice(0, 40)}`);
    return;
  }
  const info = POOL_TYPE_INFO[p.type];
  if (info.path === "none") {
    if (p.path !== null && p.path !== undefined) c.add("path", `a ${p.type} pool has no target path`);
  } else c.path(p.path, "path");
  const s = (p.source ?? {}) as Record<string, unknown>;
  for (const f of Object.keys(s))
    if (!(info.allowedSource as readonly string[]).includes(f))
      c.add(`source.${f}`, `a ${p.type} pool takes no source.${f}`);
  if (p.state !== "absent")
    for (const f of info.requiredSource) if (s[f] === undefined) c.add(`source.${f}`, "is required");
  const one = (f: string, v: unknown, rule: (v: string) => string | null) => {
    if (v === undefined) return;
    const bad = typeof v === "string" ? rule(v) : "must be a string";
    if (bad) c.add(f, bad);
  };
  one("source.device", s.device, deviceProblem);
  if (s.devices !== undefined)
    (Array.isArray(s.devices) ? s.devices : [null]).forEach((d, i) => one(`source.devices[${i}]`, d, deviceProblem));
  if (s.format !== undefined && (info.formats === null || !info.formats.includes(String(s.format))))
    c.add("source.format", `not a ${p.type} format`);
  one("source.target", s.target, iqnProblem);
  one("source.initiator", s.initiator, iqnProblem);
  one("source.host", s.host, (v) => hostPortProblem(v, false));
  if (s.dir !== undefined) c.path(s.dir, "source.dir");
  if (s.hosts !== undefined)
    (Array.isArray(s.hosts) ? s.hosts : [null]).forEach((h, i) =>
      one(`source.hosts[${i}]`, h, (v) => hostPortProblem(v, true)),
    );
  if (s.port !== undefined && !(Number.isInteger(s.port) && (s.port as number) >= 1 && (s.port as number) <= 65535))
    c.add("source.port", "must be an integer from 1 to 65535");
  for (const f of ["chap", "auth"] as const) {
    const cred = s[f] as { secretFile?: unknown; username?: unknown } | undefined;
    if (cred === undefined) continue;
    one(`source.${f}.secretFile`, cred.secretFile, secretFileProblem);
    if (typeof cred.username !== "string" || cred.username === "")
      c.add(`source.${f}.username`, "must be a non-empty string");
  }
  if (p.build === true && info.build !== "formats") c.add("build", `a ${p.type} pool has nothing to format`);
}
