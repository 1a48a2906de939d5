import type { PathSegment } from "../../../policy-primitives/issues.js";
import { absentOf, type PolicyReferences, type ValueChecker } from "../../../policy-primitives/value-checker.js";
import type { DomainDocument } from "../spec.js";

/**
 * A domain's NICs beyond the schema: networks not declared absent in this policy (for a
 * present guest), MACs unicast and unique across the policy (`refs.seenMacs`).
 */
export function checkNicsDocument(
  d: DomainDocument,
  index: number,
  path: PathSegment[],
  c: ValueChecker,
  refs: PolicyReferences,
): void {
  const present = d.state !== "absent";
  (d.interfaces ?? []).forEach((nic, j) => {
    const net = c.format(nic.network, [...path, "interfaces", j, "network"], "resourceName");
    if (net !== undefined && present && absentOf(refs, "network").has(net)) {
      c.issues.add([...path, "interfaces", j, "network"], `network "${net}" is declared absent in this policy`);
    }
    const mac = c.mac(nic.mac, [...path, "interfaces", j, "mac"]);
    if (mac !== undefined) {
      const where = `domains[${index}].interfaces[${j}]`;
      const first = refs.seenMacs.get(mac);
      if (first) c.issues.add([...path, "interfaces", j, "mac"], `MAC ${mac} is also used by ${first}`);
      else refs.seenMacs.set(mac, where);
    }
  });
}
