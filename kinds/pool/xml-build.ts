/**
 * Desired pool XML: `type='dir'` with `<target><path>` (absolute); pass `uuid` to redefine.
 */
import { isAbsolute } from "node:path";
import type { PoolSpec } from "./spec.js";
import { ValidationError } from "../../common/errors.js";
import { buildXml, xmlString, xmlUuid, type XmlNode } from "../libvirt-xml/xml-io.js";

export function buildPoolXml(spec: PoolSpec, ctx: { uuid?: string } = {}): string {
  const where = `pool ${spec.name}`;
  if (spec.type !== "dir")
    throw new ValidationError(`${where}: type ${JSON.stringify(spec.type)} is not supported (dir)`);
  if (!isAbsolute(spec.path)) throw new ValidationError(`${where}: path ${JSON.stringify(spec.path)} must be absolute`);
  const pool: XmlNode = { "@_type": "dir", name: xmlString(spec.name, `${where}: name`) };
  if (ctx.uuid !== undefined) pool.uuid = xmlUuid(ctx.uuid, `${where}: uuid`);
  pool.target = { path: xmlString(spec.path, `${where}: path`) };
  return buildXml("pool", pool);
}
