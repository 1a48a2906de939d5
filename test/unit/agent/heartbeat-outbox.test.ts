import { describe, expect, it } from "vitest";
import { ControllerLink } from "../../../agent/link/index.js";
import { silentLogger } from "../../../common/index.js";

// The outbox backlog rides on every Heartbeat (the controller's virtfleet_outbox_backlog_events):
// a fake attempt records what the link writes.
function heartbeatWith(outboxEntries: () => number, via: "tick" | "sendHealth" = "tick"): unknown {
  const written: { heartbeat?: unknown }[] = [];
  const link = new ControllerLink(
    {
      controllers: [{ host: "127.0.0.1", port: 1 }],
      insecure: true,
      backoff: { initialMs: 100, maxMs: 1000, multiplier: 2 },
      welcomeTimeoutMs: 1000,
      outboxEntries,
      libvirtUnreachable: () => true,
    },
    () => ({ hostName: "h", agentVersion: "0", factsJson: "{}", factsFingerprint: "", startedAtMs: 0 }),
    {
      sequences: () => ({ lastAgentSeq: 0, lastControllerSeq: 0 }),
      saveAgentSeq: () => {},
      saveControllerSeq: () => {},
    },
    silentLogger(),
  );
  const a = {
    done: false,
    lastMessageAt: Date.now(),
    call: { write: (m: { heartbeat?: unknown }) => void written.push(m) },
  };
  const internals = link as unknown as { tick(a: unknown): void; attempt: unknown; status: { state: string } };
  if (via === "tick") internals.tick(a);
  else {
    internals.attempt = a;
    internals.status = { ...internals.status, state: "READY" };
    expect(link.sendHealth()).toBe(true);
  }
  expect(written).toHaveLength(1);
  return written[0]!.heartbeat;
}

describe("heartbeat outbox backlog", () => {
  it("carries the outbox's unacknowledged entries", () => {
    expect(heartbeatWith(() => 42)).toMatchObject({ outboxEntries: 42 });
  });

  it("a heartbeat sent for a health change carries the whole condition too", () => {
    expect(heartbeatWith(() => 7, "sendHealth")).toMatchObject({ outboxEntries: 7, libvirtUnreachable: true });
    expect(heartbeatWith(() => 7)).toMatchObject({ outboxEntries: 7, libvirtUnreachable: true });
  });

  it("sends 0 when the count cannot be read, and clamps what a uint32 cannot hold", () => {
    expect(
      heartbeatWith(() => {
        throw new Error("disk I/O error");
      }),
    ).toMatchObject({ outboxEntries: 0 });
    expect(heartbeatWith(() => -5)).toMatchObject({ outboxEntries: 0 });
    expect(heartbeatWith(() => 2 ** 40)).toMatchObject({ outboxEntries: 0xffff_ffff });
  });
});
