import { describe, expect, it } from "vitest";
import { complianceWord, type FleetHost } from "../../../controller/web/fleet-index.js";
import { filterSelector, pageOf, parseHostsQuery } from "../../../controller/web/pages/hosts.js";

const host = (
  name: string,
  state: FleetHost["state"],
  compliance: FleetHost["compliance"],
  lastSeen: number,
): FleetHost =>
  ({
    name,
    state,
    compliance,
    stateDetail: "",
    policies: 1,
    notCompliant: 0,
    groups: [],
    labels: {},
    row: { name, lastSeen, agentVersion: "1" },
  }) as unknown as FleetHost;

const q = (s: string) => parseHostsQuery(new URL(`http://x/hosts${s}`));

describe("the hosts table", () => {
  const hosts = Array.from({ length: 120 }, (_, i) =>
    host(
      `kvm${String(i).padStart(3, "0")}`,
      i % 3 === 0 ? "disconnected" : "connected",
      i % 4 === 0 ? "drifted" : "compliant",
      i,
    ),
  );

  it("reads its query with defaults and bounds", () => {
    expect(q("")).toMatchObject({ sort: "name", dir: "asc", page: 1, size: 50, state: "" });
    expect(q("?sort=evil&dir=up&page=-3&size=999999&state=nonsense")).toMatchObject({
      sort: "name",
      dir: "asc",
      page: 1,
      size: 500,
      state: "",
    });
    expect(q("?state=libvirt-unreachable&sort=lastSeen&dir=desc&page=2")).toMatchObject({
      state: "libvirt-unreachable",
      sort: "lastSeen",
      dir: "desc",
      page: 2,
    });
  });

  it("pages, filters by name and state (host state or compliance), and sorts", () => {
    const first = pageOf(hosts, q(""));
    expect(first).toMatchObject({ total: 120, pages: 3, page: 1 });
    expect(first.rows.map((h) => h.name).slice(0, 2)).toEqual(["kvm000", "kvm001"]);
    expect(pageOf(hosts, q("?page=3")).rows).toHaveLength(20);
    expect(pageOf(hosts, q("?page=99")).page).toBe(3);
    expect(pageOf(hosts, q("?q=KVM11")).total).toBe(10);
    expect(pageOf(hosts, q("?state=disconnected")).total).toBe(40);
    expect(pageOf(hosts, q("?state=drifted")).total).toBe(30);
    expect(pageOf(hosts, q("?sort=lastSeen&dir=desc")).rows[0]!.name).toBe("kvm119");
    const byState = pageOf(hosts, q("?sort=state&size=120")).rows;
    expect(byState[0]!.state).toBe("connected");
    expect(byState.at(-1)!.state).toBe("disconnected");
  });

  it("makes selector terms of the label and fact filters", () => {
    expect(filterSelector("rack=r1", "cpu.cores=8")).toBe("rack=r1,facts.cpu.cores=8");
    expect(filterSelector("", "facts.os.id=debian")).toBe("facts.os.id=debian");
    expect(() => filterSelector("group=web", "")).toThrow(/not a label term/);
  });

  it("names a host's compliance with the contract's words, worst first", () => {
    const doc = (statuses: string[], unknownReason?: string) =>
      ({
        name: "h",
        compliant: false,
        connected: true,
        generation: 1,
        observedGeneration: 1,
        unknownReason,
        policies: statuses.map((status) => ({ name: "p", revision: "r", status, resources: {} })),
      }) as never;
    expect(complianceWord(undefined)).toBe("compliant");
    expect(complianceWord(doc([]))).toBe("compliant");
    expect(complianceWord(doc(["compliant", "drifted", "failed"]))).toBe("failed");
    expect(complianceWord(doc(["compliant", "drifted", "pending"]))).toBe("drifted");
    expect(complianceWord(doc(["pending-restart"]))).toBe("pending");
    expect(complianceWord(doc(["compliant"], "store failing"))).toBe("pending");
  });
});
