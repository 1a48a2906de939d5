/**
 * The devices area's XML: `<console type='pty'/>` + `<serial type='pty'/>` always; graphics
 * `vnc` listens on 127.0.0.1 only, `none` adds no `<graphics>`.
 */
import { xmlChoice } from "../../libvirt-xml/xml-io.js";
import type { DomainXmlParts } from "../area.js";
import type { DomainSpec } from "../spec.js";

export function buildDevices(spec: DomainSpec, parts: DomainXmlParts, where: string): void {
  const graphics = xmlChoice(spec.graphics, ["none", "vnc"], `${where}: graphics`);
  parts.devices.serial = { "@_type": "pty" };
  parts.devices.console = { "@_type": "pty" };
  if (graphics === "vnc") {
    parts.devices.graphics = {
      "@_type": "vnc",
      "@_port": "-1",
      "@_autoport": "yes",
      "@_listen": "127.0.0.1",
      listen: { "@_type": "address", "@_address": "127.0.0.1" },
    };
  }
}
