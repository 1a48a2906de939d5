/**
 * Desired pool XML from a resolved spec, per type as types.ts describes it (libvirt's
 * formatstorage): `<source>` with the fields the type takes, `<target><path>` when the type
 * has one. Credentials refer to the secret object virtfleet manages for the pool, by usage
 * (`<auth type='chap'|'ceph' username=…><secret usage=…/></auth>`); the secret's content is
 * never in the XML. Pass `uuid` to redefine.
 */
import { isAbsolute } from "node:path";
import { ValidationError } from "../../common/errors.js";
import { buildXml, xmlString, xmlUuid, type XmlNode } from "../libvirt-xml/xml-io.js";
import { poolSecretUsage } from "./secret-usage.js";
import type { PoolSpec } from "./spec.js";
import { isPoolType, POOL_TYPE_INFO } from "./types.js";

export function buildPoolXml(spec: PoolSpec, ctx: { uuid?: string } = {}): string {
  const where = `pool ${spec.name}`;
  if (!isPoolType(spec.type))
    throw new ValidationError(`${where}: type ${JSON.stringify(spec.type)} is not a pool type`);
  const info = POOL_TYPE_INFO[spec.type];
  const pool: XmlNode = { "@_type": spec.type, name: xmlString(spec.name, `${where}: name`) };
  if (ctx.uuid !== undefined) pool.uuid = xmlUuid(ctx.uuid, `${where}: uuid`);
  const source = buildSource(spec, where);
  if (source !== null) pool.source = source;
  if (info.path !== "none") {
    if (spec.path === null || !isAbsolute(spec.path))
      throw new ValidationError(`${where}: path ${JSON.stringify(spec.path)} must be absolute`);
    pool.target = { path: xmlString(spec.path, `${where}: path`) };
  }
  return buildXml("pool", pool);
}

function buildSource(spec: PoolSpec, where: string): XmlNode | null {
  const s = spec.source ?? {};
  const x = (v: string, f: string) => xmlString(v, `${where}: source.${f}`);
  const node: XmlNode = {};
  switch (spec.type) {
    case "dir":
      return null;
    case "fs":
    case "disk":
      node.device = { "@_path": x(need(s.device, where, "device"), "device") };
      if (s.format !== undefined) node.format = { "@_type": x(s.format, "format") };
      return node;
    case "logical":
      if (s.devices !== undefined && s.devices.length > 0)
        node.device = s.devices.map((d) => ({ "@_path": x(d, "devices") }));
      node.name = x(need(s.name, where, "name"), "name");
      return node;
    case "netfs":
      node.host = { "@_name": x(need(s.host, where, "host"), "host") };
      node.dir = { "@_path": x(need(s.dir, where, "dir"), "dir") };
      if (s.format !== undefined) node.format = { "@_type": x(s.format, "format") };
      return node;
    case "iscsi":
    case "iscsi-direct":
      node.host = {
        "@_name": x(need(s.host, where, "host"), "host"),
        ...(s.port !== undefined ? { "@_port": String(s.port) } : {}),
      };
      node.device = { "@_path": x(need(s.target, where, "target"), "target") };
      if (s.chap !== undefined) node.auth = auth("chap", s.chap.username, spec.name, where);
      if (s.initiator !== undefined) node.initiator = { iqn: { "@_name": x(s.initiator, "initiator") } };
      return node;
    case "rbd":
      node.host = need(s.hosts, where, "hosts").map((h) => {
        const m = /^(.*?)(?::([0-9]{1,5}))?$/.exec(h)!;
        return { "@_name": x(m[1]!, "hosts"), ...(m[2] !== undefined ? { "@_port": m[2] } : {}) };
      });
      node.name = x(need(s.name, where, "name"), "name");
      if (s.auth !== undefined) node.auth = auth("ceph", s.auth.username, spec.name, where);
      return node;
    default:
      return null;
  }
}

function auth(type: "chap" | "ceph", username: string, pool: string, where: string): XmlNode {
  return {
    "@_type": type,
    "@_username": xmlString(username, `${where}: username`),
    secret: { "@_usage": poolSecretUsage(pool) },
  };
}

function need<T>(v: T | undefined, where: string, field: string): T {
  if (v === undefined) throw new ValidationError(`${where}: source.${field} is required`);
  return v;
}
