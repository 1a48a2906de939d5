import type { FieldChange } from "../../../common/changes.js";
import type { Link } from "./links.js";
import { ADOPTED_ALIAS, aliasFor, CREATED_ALIAS, ownershipOf, type Ownership } from "./ownership.js";
import type { BondSpec, BridgeSpec, HostNetworkSpec, VlanSpec } from "./spec.js";

/**
 * One `ip` invocation of a plan. `touches`: the interfaces it changes (what the uplink rule
 * looks at); `undo`: the invocations that put back what it changed, run in order (the plan's
 * steps are undone last to first).
 */
export interface Step {
  argv: string[];
  touches: string[];
  undo: string[][];
}

/** What converging host networking would do, computed without touching anything. */
export interface NetworkPlan {
  changes: FieldChange[];
  steps: Step[];
  /** Declared interfaces that exist but are not virtfleet's (no marker, no adopt), or are of another type. */
  conflicts: string[];
  /** Members or VLAN links that exist neither on the host nor in the declaration. */
  missing: string[];
}

/** Kinds of bridge members that belong to someone else: a guest's tap (libvirt), never detached. */
const FOREIGN_MEMBER_KINDS = new Set(["tun"]);

type Declared =
  | { list: "bridges"; spec: BridgeSpec }
  | { list: "bonds"; spec: BondSpec }
  | { list: "vlans"; spec: VlanSpec };

/**
 * Diffs the desired host networking against the host's interfaces (`actual`, from
 * links.ts) and plans the `ip` argv that converge it. Contract:
 * - pure: reads nothing, runs nothing; the same input gives the same plan;
 * - order: dropped interfaces virtfleet created are deleted first (VLANs, bridges, bonds);
 *   then bonds, bridges and VLANs are created or changed, members enslaved or released,
 *   MTUs set and interfaces brought up — so a VLAN may sit on a bond or bridge, and a bond
 *   or VLAN may be a bridge's member;
 * - a bond whose mode changes, or a VLAN whose id or link changes, is deleted and created
 *   again (`recreate`);
 * - an interface virtfleet did not create and was not told to adopt is listed in
 *   `conflicts` (the caller refuses the whole plan); one that is dropped from the policy is
 *   left alone when adopted (only the marker goes) and deleted when virtfleet created it;
 * - members not declared are released from an owned bridge or bond, except guests' taps;
 * - every step carries its undo, computed from `actual` (commit-confirm's snapshot).
 * `persisted`: what the persistent files say about each name's ownership (ownership.ts);
 * `drop: false`: undeclared interfaces are left alone (another resource owns them).
 */
export function planHostNetwork(
  desired: HostNetworkSpec,
  actual: ReadonlyMap<string, Link>,
  persisted: ReadonlyMap<string, "created" | "adopted"> = new Map(),
  o: { drop?: boolean } = {},
): NetworkPlan {
  const p = new Planner(actual, persisted);
  const declared: Declared[] = [
    ...desired.bonds.map((spec) => ({ list: "bonds" as const, spec })),
    ...desired.vlans.map((spec) => ({ list: "vlans" as const, spec })),
    ...desired.bridges.map((spec) => ({ list: "bridges" as const, spec })),
  ];
  const names = new Set(declared.map((d) => d.spec.name));
  if (o.drop !== false) p.dropUndeclared(names);
  // bridges before VLANs (a VLAN may sit on a bridge), members after both (a VLAN may be a member)
  for (const b of desired.bonds) p.bond(b);
  for (const b of desired.bridges) p.bridge(b);
  for (const v of desired.vlans) p.vlan(v);
  for (const b of desired.bonds) p.members("bonds", b.name, b.interfaces);
  for (const b of desired.bridges) p.members("bridges", b.name, b.interfaces);
  for (const d of declared) p.mtuAndUp(d.list, d.spec.name, d.spec.mtu);
  return { changes: p.changes, steps: p.steps, conflicts: p.conflicts, missing: [...new Set(p.missing)] };
}

class Planner {
  readonly changes: FieldChange[] = [];
  readonly steps: Step[] = [];
  readonly conflicts: string[] = [];
  readonly missing: string[] = [];
  /** The state the steps so far lead to (new and deleted interfaces, masters). */
  private readonly state: Map<string, Link>;
  private readonly skipped = new Set<string>();

  constructor(
    private readonly actual: ReadonlyMap<string, Link>,
    private readonly persisted: ReadonlyMap<string, "created" | "adopted">,
  ) {
    this.state = new Map([...actual].map(([k, v]) => [k, { ...v }]));
  }

  private change(field: string, from: unknown, to: unknown, disruption: FieldChange["disruption"] = "live"): void {
    this.changes.push({ field, from, to, disruption });
  }

  private step(argv: string[], touches: string[], undo: string[][] = []): void {
    this.steps.push({ argv, touches, undo });
  }

  private owner(l: Link): Ownership {
    return ownershipOf(l, this.persisted.get(l.name) ?? null);
  }

  /** The steps that make `l` (as it is in `actual`) again after a delete: the undo of a delete. */
  private recreate(l: Link): string[][] {
    const out: string[][] = [];
    if (l.kind === "bridge")
      out.push([
        "link",
        "add",
        l.name,
        "type",
        "bridge",
        "stp_state",
        l.bridge?.stp ? "1" : "0",
        ...(l.bridge?.vlanFiltering ? ["vlan_filtering", "1"] : []),
      ]);
    else if (l.kind === "bond")
      out.push(["link", "add", l.name, "type", "bond", "mode", l.bond!.mode, "miimon", String(l.bond!.miimon)]);
    else if (l.kind === "vlan")
      out.push(["link", "add", "link", l.vlan!.link, "name", l.name, "type", "vlan", "id", String(l.vlan!.id)]);
    else return out;
    if (l.alias) out.push(["link", "set", l.name, "alias", l.alias]);
    out.push(["link", "set", l.name, "mtu", String(l.mtu)]);
    for (const m of this.actual.values()) if (m.master === l.name) out.push(...enslave(m.name, l.name, l.kind, m.up));
    if (l.master) out.push(["link", "set", l.name, "master", l.master]);
    if (l.up) out.push(["link", "set", l.name, "up"]);
    return out;
  }

  private del(list: string, l: Link, reason: "dropped" | "recreate"): void {
    this.step(["link", "del", l.name], [l.name, ...this.membersOf(l.name)], this.recreate(l));
    if (reason === "dropped") this.change(`${list}.${l.name}`, "present", "absent");
    this.state.delete(l.name);
    for (const m of this.state.values()) if (m.master === l.name) m.master = null;
  }

  private membersOf(name: string): string[] {
    return [...this.state.values()].filter((m) => m.master === name).map((m) => m.name);
  }

  dropUndeclared(declared: ReadonlySet<string>): void {
    const order = ["vlan", "bridge", "bond"];
    const dropped = [...this.actual.values()]
      .filter((l) => !declared.has(l.name) && order.includes(l.kind) && this.owner(l) !== "foreign")
      .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || (a.name < b.name ? -1 : 1));
    for (const l of dropped) {
      const list = `${l.kind}s`;
      if (this.owner(l) === "created") this.del(list, l, "dropped");
      else {
        // adopted: it was there before virtfleet; only the marker goes
        this.change(`${list}.${l.name}.ownership`, "adopted", "unmanaged");
        if (l.alias !== null)
          this.step(["link", "set", l.name, "alias", ""], [], [["link", "set", l.name, "alias", l.alias]]);
      }
    }
  }

  /** Common start for a declared interface: conflicts, adoption. Returns the existing link or null (create). */
  private existing(list: string, name: string, kind: string, adopt: boolean): Link | null | "skip" {
    const l = this.state.get(name);
    if (!l) return null;
    if (l.kind !== kind) {
      this.conflicts.push(`${name} exists and is ${l.kind ? `a ${l.kind}` : "a plain interface"}, not a ${kind}`);
      this.skipped.add(name);
      return "skip";
    }
    const o = this.owner(l);
    if (o === "foreign") {
      if (!adopt) {
        this.conflicts.push(`${name} exists and virtfleet did not create it (set adopt: true on it to manage it)`);
        this.skipped.add(name);
        return "skip";
      }
      this.change(`${list}.${name}.ownership`, "unmanaged", "adopted");
      this.step(["link", "set", name, "alias", ADOPTED_ALIAS], [], [["link", "set", name, "alias", l.alias ?? ""]]);
    } else if (l.alias === null) {
      // recreated from its persistent file after a reboot: mark it again (not a change of the policy's)
      this.step(["link", "set", name, "alias", aliasFor(o)], [], []);
    }
    return l;
  }

  private created(name: string, l: Link): void {
    this.state.set(name, l);
  }

  bond(b: BondSpec): void {
    let l = this.existing("bonds", b.name, "bond", b.adopt);
    if (l === "skip") return;
    let recreated = false;
    if (l && l.bond!.mode !== b.mode) {
      this.change(`bonds.${b.name}.mode`, l.bond!.mode, b.mode, "recreate");
      this.del("bonds", l, "recreate");
      l = null;
      recreated = true;
    }
    if (!l) {
      if (!recreated) this.change(`bonds.${b.name}`, "absent", "present");
      this.step(
        ["link", "add", b.name, "type", "bond", "mode", b.mode, "miimon", String(b.miimon)],
        [b.name],
        [["link", "del", b.name]],
      );
      this.step(["link", "set", b.name, "alias", CREATED_ALIAS], []);
      this.created(b.name, newLink(b.name, "bond", { bond: { mode: b.mode, miimon: b.miimon } }));
      return;
    }
    if (l.bond!.miimon !== b.miimon) {
      this.change(`bonds.${b.name}.miimon`, l.bond!.miimon, b.miimon);
      this.step(
        ["link", "set", b.name, "type", "bond", "miimon", String(b.miimon)],
        [b.name],
        [["link", "set", b.name, "type", "bond", "miimon", String(l.bond!.miimon)]],
      );
    }
  }

  vlan(v: VlanSpec): void {
    let l = this.existing("vlans", v.name, "vlan", v.adopt);
    if (l === "skip") return;
    let recreated = false;
    if (l && (l.vlan!.id !== v.id || l.vlan!.link !== v.link)) {
      const field = l.vlan!.id !== v.id ? "id" : "link";
      this.change(`vlans.${v.name}.${field}`, l.vlan![field], v[field], "recreate");
      this.del("vlans", l, "recreate");
      l = null;
      recreated = true;
    }
    if (l) return;
    if (!this.state.has(v.link)) {
      this.missing.push(`${v.link} (link of VLAN ${v.name})`);
      return;
    }
    if (!recreated) this.change(`vlans.${v.name}`, "absent", "present");
    this.step(
      ["link", "add", "link", v.link, "name", v.name, "type", "vlan", "id", String(v.id)],
      [v.name, v.link],
      [["link", "del", v.name]],
    );
    this.step(["link", "set", v.name, "alias", CREATED_ALIAS], []);
    this.created(v.name, newLink(v.name, "vlan", { vlan: { id: v.id, link: v.link } }));
  }

  bridge(b: BridgeSpec): void {
    const l = this.existing("bridges", b.name, "bridge", b.adopt);
    if (l === "skip") return;
    if (!l) {
      this.change(`bridges.${b.name}`, "absent", "present");
      this.step(
        [
          "link",
          "add",
          b.name,
          "type",
          "bridge",
          "stp_state",
          b.stp ? "1" : "0",
          ...(b.vlanFiltering ? ["vlan_filtering", "1"] : []),
        ],
        [b.name],
        [["link", "del", b.name]],
      );
      this.step(["link", "set", b.name, "alias", CREATED_ALIAS], []);
      this.created(b.name, newLink(b.name, "bridge", { bridge: { stp: b.stp, vlanFiltering: b.vlanFiltering } }));
      return;
    }
    const have = l.bridge!;
    if (have.stp !== b.stp) {
      this.change(`bridges.${b.name}.stp`, have.stp, b.stp);
      this.step(
        ["link", "set", b.name, "type", "bridge", "stp_state", b.stp ? "1" : "0"],
        [b.name],
        [["link", "set", b.name, "type", "bridge", "stp_state", have.stp ? "1" : "0"]],
      );
    }
    if (have.vlanFiltering !== b.vlanFiltering) {
      this.change(`bridges.${b.name}.vlanFiltering`, have.vlanFiltering, b.vlanFiltering);
      this.step(
        ["link", "set", b.name, "type", "bridge", "vlan_filtering", b.vlanFiltering ? "1" : "0"],
        [b.name],
        [["link", "set", b.name, "type", "bridge", "vlan_filtering", have.vlanFiltering ? "1" : "0"]],
      );
    }
  }

  /**
   * Enslaves the declared members that are not yet `name`'s and releases the undeclared ones
   * (guests' taps excepted); a member that is down is brought up (a bond's slave goes down to
   * be enslaved, then up). A member that does not exist (and is not created by this plan) is
   * listed in `missing`.
   */
  members(list: "bridges" | "bonds", name: string, want: readonly string[]): void {
    if (this.skipped.has(name) || !this.state.has(name)) return;
    const kind = list === "bridges" ? "bridge" : "bond";
    const before = this.membersOf(name).sort();
    const release = before.filter((m) => !want.includes(m) && !FOREIGN_MEMBER_KINDS.has(this.state.get(m)!.kind));
    const add = want.filter((m) => this.state.has(m) && this.state.get(m)!.master !== name);
    for (const m of want) if (!this.state.has(m)) this.missing.push(`${m} (member of ${name})`);
    const down = want.filter((m) => this.state.get(m)?.master === name && !this.state.get(m)!.up);
    if (release.length === 0 && add.length === 0 && down.length === 0) return;
    if (release.length > 0 || add.length > 0) {
      const after = [...new Set([...before.filter((m) => !release.includes(m)), ...add])].sort();
      this.change(`${list}.${name}.interfaces`, before, after);
    }
    for (const m of release) {
      this.step(["link", "set", m, "nomaster"], [m, name], [["link", "set", m, "master", name]]);
      this.state.get(m)!.master = null;
    }
    for (const m of add) {
      const l = this.state.get(m)!;
      const undo = l.master ? [["link", "set", m, "master", l.master]] : [["link", "set", m, "nomaster"]];
      if (kind === "bond") {
        this.step(["link", "set", m, "down"], [m], l.up ? [["link", "set", m, "up"]] : []);
        this.step(["link", "set", m, "master", name], [m, name], undo);
        this.step(["link", "set", m, "up"], [m], l.up ? [] : [["link", "set", m, "down"]]);
      } else {
        this.step(["link", "set", m, "master", name], [m, name], undo);
        if (!l.up) this.step(["link", "set", m, "up"], [m], [["link", "set", m, "down"]]);
      }
      l.master = name;
      l.up = true;
    }
    for (const m of down) {
      this.change(`${list}.${name}.interfaces.${m}.state`, "down", "up");
      this.step(["link", "set", m, "up"], [m], [["link", "set", m, "down"]]);
    }
  }

  mtuAndUp(list: string, name: string, mtu: number | null): void {
    const l = this.state.get(name);
    if (this.skipped.has(name) || !l) return;
    const existed = l.alias !== "new";
    if (mtu !== null && l.mtu !== mtu) {
      if (existed) this.change(`${list}.${name}.mtu`, l.mtu, mtu);
      this.step(
        ["link", "set", name, "mtu", String(mtu)],
        [name],
        existed ? [["link", "set", name, "mtu", String(l.mtu)]] : [],
      );
    }
    if (!l.up) {
      if (existed) this.change(`${list}.${name}.state`, "down", "up");
      this.step(["link", "set", name, "up"], [name], existed ? [["link", "set", name, "down"]] : []);
    }
  }
}

/** A link the plan creates (not in `actual`): marked "new" so later phases report no extra change. */
function newLink(name: string, kind: string, extra: Partial<Link>): Link {
  return { name, kind, master: null, mtu: 0, up: false, alias: "new", ...extra };
}

/** Enslaving `m` to a bridge or bond (a bond's slave goes down first). */
function enslave(m: string, master: string, kind: string, up: boolean): string[][] {
  const out = kind === "bond" ? [["link", "set", m, "down"]] : [];
  out.push(["link", "set", m, "master", master]);
  if (up) out.push(["link", "set", m, "up"]);
  return out;
}
