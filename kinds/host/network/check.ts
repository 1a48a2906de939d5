import type { SpecChecker } from "../../spec-checker.js";
import { hostNetworkProblems } from "./rules.js";
import type { HostNetworkSpec } from "./spec.js";

/** The agent's re-check of resolved host networking (kinds/spec-checker.ts): names, then rules.ts. */
export function checkHostNetworkSpec(c: SpecChecker, n: HostNetworkSpec): void {
  n.bridges.forEach((b, i) => {
    c.format(b.name, `network.bridges[${i}].name`, "bridgeName");
    b.interfaces.forEach((m, j) => c.format(m, `network.bridges[${i}].interfaces[${j}]`, "bridgeName"));
  });
  n.bonds.forEach((b, i) => {
    c.format(b.name, `network.bonds[${i}].name`, "bridgeName");
    b.interfaces.forEach((m, j) => c.format(m, `network.bonds[${i}].interfaces[${j}]`, "bridgeName"));
  });
  n.vlans.forEach((v, i) => {
    c.format(v.name, `network.vlans[${i}].name`, "bridgeName");
    c.format(v.link, `network.vlans[${i}].link`, "bridgeName");
    if (!Number.isInteger(v.id) || v.id < 1 || v.id > 4094) c.add(`network.vlans[${i}].id`, "must be 1 to 4094");
  });
  for (const p of hostNetworkProblems({
    bridges: n.bridges.map((b) => ({ name: b.name, members: b.interfaces })),
    bonds: n.bonds.map((b) => ({ name: b.name, members: b.interfaces })),
    vlans: n.vlans,
  }))
    c.add(
      `network.${p.path
        .map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`))
        .join("")
        .slice(1)}`,
      p.message,
    );
}
