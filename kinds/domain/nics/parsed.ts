/** The NICs area of a ParsedDomain (see ../parsed.ts): only what an InterfaceSpec can set. */

export interface ParsedNicRate {
  average: number;
  peak: number | null;
  burst: number | null;
}

export interface ParsedInterface {
  /** Lower-case. */
  mac: string;
  /** `<interface type=…>`: `network`, `bridge`, `direct`, … */
  type: string;
  /** `<source network>` of a type network NIC, else null. */
  network: string | null;
  /** `<source portgroup>` of a type network NIC, else null. */
  portgroup: string | null;
  /** `<source bridge>` of a type bridge NIC, else null. */
  bridge: string | null;
  /** `<source dev>` of a type direct NIC, else null. */
  direct: string | null;
  /** `<source mode>` of a type direct NIC (libvirt writes `vepa` when none was given), else null. */
  macvtapMode: string | null;
  model: string | null;
  /** `<vlan><tag id>` ids in order (empty: none); `vlanTrunk`: `<vlan trunk='yes'>`. */
  vlanTags: number[];
  vlanTrunk: boolean;
  /** `<bandwidth>` directions (null: none; a direction without `average`, e.g. floor only, is null). */
  inbound: ParsedNicRate | null;
  outbound: ParsedNicRate | null;
  /** `<link state>`, null when absent (= up). */
  link: string | null;
  /** `<boot order>`. */
  bootIndex: number | null;
  /** `<driver queues>`. */
  queues: number | null;
}

export interface ParsedNics {
  interfaces: ParsedInterface[];
}
