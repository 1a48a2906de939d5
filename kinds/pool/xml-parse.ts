/**
 * Actual pool XML (`pool-dumpxml --inactive`) → ParsedPool, the source read back under the
 * policy's field names (types.ts). Ignores what libvirt adds: capacity/allocation/available,
 * permissions, a logical pool's lvm2 format, the target path of types without one.
 */
import { ProtocolError } from "../../common/errors.js";
import type { ParsedCredentials, ParsedPool, ParsedPoolSource } from "./parsed.js";
import { attr, child, children, parseXml, text, type XmlNode } from "../libvirt-xml/xml-io.js";

export function parsePoolXml(xml: string): ParsedPool {
  const p = parseXml(xml, "pool");
  const name = text(p, "name");
  if (!name) throw new ProtocolError("pool XML from libvirt has no <name>");
  const type = attr(p, "type") ?? "";
  return {
    name,
    uuid: text(p, "uuid")?.toLowerCase() ?? null,
    type,
    path: text(child(p, "target"), "path"),
    source: parseSource(type, child(p, "source")),
  };
}

function parseSource(type: string, s: XmlNode | undefined): ParsedPoolSource {
  if (s === undefined) return {};
  const out: ParsedPoolSource = {};
  const devices = children(s, "device")
    .map((d) => attr(d, "path"))
    .filter((d): d is string => d !== null);
  const hosts = children(s, "host");
  const format = attr(child(s, "format"), "type");
  const name = text(s, "name");
  const dir = attr(child(s, "dir"), "path");
  const initiator = attr(child(child(s, "initiator"), "iqn"), "name");
  const auth = child(s, "auth");
  switch (type) {
    case "fs":
    case "disk":
      if (devices[0] !== undefined) out.device = devices[0];
      if (format !== null) out.format = format;
      break;
    case "logical":
      if (devices.length > 0) out.devices = devices;
      if (name !== null) out.name = name;
      break;
    case "netfs":
      if (hosts[0] !== undefined) out.host = attr(hosts[0], "name") ?? undefined;
      if (dir !== null) out.dir = dir;
      if (format !== null) out.format = format;
      break;
    case "iscsi":
    case "iscsi-direct": {
      if (hosts[0] !== undefined) {
        out.host = attr(hosts[0], "name") ?? undefined;
        const port = attr(hosts[0], "port");
        if (port !== null && /^[0-9]+$/.test(port)) out.port = Number(port);
      }
      if (devices[0] !== undefined) out.target = devices[0];
      if (initiator !== null) out.initiator = initiator;
      if (auth !== undefined) out.chap = credentials(auth);
      break;
    }
    case "rbd":
      if (hosts.length > 0)
        out.hosts = hosts.map((h) => {
          const port = attr(h, "port");
          return `${attr(h, "name") ?? ""}${port !== null ? `:${port}` : ""}`;
        });
      if (name !== null) out.name = name;
      if (auth !== undefined) out.auth = credentials(auth);
      break;
  }
  return out;
}

function credentials(auth: XmlNode): ParsedCredentials {
  return { username: attr(auth, "username"), usage: attr(child(auth, "secret"), "usage") };
}
