/**
 * A guest's paused reason as the real libvirtd reports it, and a start that races another
 * client's start: the converge must neither resume a guest libvirt is still starting nor fail
 * on "domain is already running" (the retry of a timed-out DOMAIN_CREATE_WITH_FLAGS).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { silentLogger } from "../../../common/index.js";
import type { DomainSpec } from "../../../common/index.js";
import { DomainPausedReason, Hypervisor } from "../../../libvirt/index.js";
import { detectDomainEnv, DomainResource, type DomainHostEnv } from "../../../kinds/index.js";
import { busyOperation, type ObservedDomainState } from "../../../kinds/domain/state.js";
import { tinyDomainSpec } from "../../harness/specs.js";
import { cleanupPrefix, KVM_AVAILABLE, NO_KVM, testPrefix, virsh } from "../../harness/virsh.js";

const prefix = testPrefix();
const name = `${prefix}busy`;
let hv: Hypervisor;
let other: Hypervisor;
let env: DomainHostEnv;

const spec = (state: DomainSpec["state"]): DomainSpec => tinyDomainSpec(name, { cpu: "host-passthrough", state });

/** `hv` with every domainState answer recorded. */
function recording(seen: ObservedDomainState[]): Hypervisor {
  return new Proxy(hv, {
    get(target, prop, receiver) {
      if (prop === "domainState") {
        return async (...args: Parameters<Hypervisor["domainState"]>) => {
          const s = await target.domainState(...args);
          seen.push({ state: s.state, reason: s.reason });
          return s;
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

const resource = (h: Hypervisor, state: DomainSpec["state"]) =>
  new DomainResource(spec(state), "p", [], { hv: h, log: silentLogger(), shutdownTimeoutMs: 5_000 }, env, {
    timeoutMs: 30_000,
    intervalMs: 20,
  });
const signal = () => new AbortController().signal;

beforeAll(async () => {
  hv = await Hypervisor.open();
  other = await Hypervisor.open();
  env = await detectDomainEnv();
  await resource(hv, "shutoff").checkApply(signal(), true);
});

afterAll(async () => {
  await other?.close();
  await hv?.close();
  await cleanupPrefix(prefix);
});

if (!KVM_AVAILABLE) console.warn(`domain-busy.test.ts: ${NO_KVM}`);

describe.skipIf(!KVM_AVAILABLE)("paused reasons on a real libvirtd (CPU mode host-passthrough: needs kvm)", () => {
  test("a guest paused by `virsh suspend` reports reason user, is not busy, and is resumed", async () => {
    await resource(hv, "running").checkApply(signal(), true);
    await virsh("suspend", name);
    expect((await virsh("domstate", "--reason", name)).trim()).toBe("paused (user)");
    const s = await hv.domainState(name);
    expect(s).toMatchObject({ state: "paused", reason: DomainPausedReason.USER });
    expect(busyOperation(s)).toBeNull();
    const r = await resource(hv, "running").checkApply(signal(), true);
    expect(r.changes).toEqual([{ field: "state", from: "paused", to: "running", disruption: "live" }]);
    expect((await virsh("domstate", name)).trim()).toBe("running");
    await virsh("destroy", name);
  });

  test("a converge racing another client's start neither resumes the starting guest nor fails", async () => {
    const seen: ObservedDomainState[] = [];
    for (let round = 0; round < 5; round++) {
      expect((await virsh("domstate", name)).trim()).toBe("shut off");
      // The other client's start (the one whose reply timed out) is already in libvirtd when
      // the converge reads the state: it sees the guest shut off, paused (starting up), or running.
      const started = other.startDomain(name);
      await new Promise((r) => setTimeout(r, round * 15));
      await expect(resource(recording(seen), "running").checkApply(signal(), true)).resolves.toBeDefined();
      await started;
      expect((await virsh("domstate", "--reason", name)).trim()).toBe("running (booted)");
      await virsh("destroy", name);
    }
    // informational: which states the race produced on this machine
    console.log(
      `states seen while racing a start: ${[...new Set(seen.map((s) => `${s.state}(${s.reason})`))].join(", ")}`,
    );
  });
});
