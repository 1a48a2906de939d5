import { describe, expect, it } from "vitest";
import { MAX_FACTS_BYTES, ProtocolError } from "../../../common/index.js";
import { validateEnvelope, validateFactsJson, validateHello } from "../../../controller/agent-messages/index.js";

const env = (over: object = {}) => ({
  seq: 2,
  ack: 1,
  body: "heartbeat" as const,
  heartbeat: { libvirtUnreachable: false, sentAtMs: 1, health: null, outboxEntries: 0 },
  ...over,
});
const hello = (over: object = {}) => ({
  hostName: "kvm01.lab",
  agentVersion: "0.1.0",
  factsJson: "{}",
  factsFingerprint: "abc123",
  lastControllerSeq: 0,
  startedAtMs: 1,
  bundleRevision: "",
  // a pre-versioning agent's Hello as the controller decodes it (proto3 default)
  protocolVersion: 0,
  health: null,
  ...over,
});

describe("validateEnvelope", () => {
  it("accepts increasing seqs and acks of sent messages", () => {
    expect(() => validateEnvelope(env(), 1, 1)).not.toThrow();
    expect(() => validateEnvelope(env({ ack: 50 }), 1, undefined)).not.toThrow();
  });

  it.each([
    [env({ body: undefined }), /no body/],
    [env({ seq: 0 }), /not a positive integer/],
    [env({ seq: 1 }), /does not increase/],
    [env({ ack: 5 }), /acks controller seq 5, but only 1/],
    [env({ ack: -1 }), /not a non-negative integer/],
  ])("rejects %j", (msg, pattern) => {
    expect(() => validateEnvelope(msg as never, 1, 1)).toThrow(ProtocolError);
    expect(() => validateEnvelope(msg as never, 1, 1)).toThrow(pattern);
  });
});

describe("validateHello", () => {
  it("accepts a well-formed hello", () => {
    expect(validateHello(hello())).toMatchObject({ hostName: "kvm01.lab", lastControllerSeq: 0 });
  });

  it.each([
    [{ hostName: "" }, /hostName/],
    [{ hostName: "a/b" }, /hostName/],
    [{ hostName: "-lead" }, /hostName/],
    [{ hostName: "x".repeat(300) }, /hostName/],
    [{ agentVersion: "" }, /agentVersion/],
    [{ factsJson: "[1]" }, /must be a JSON object/],
    [{ factsJson: "{" }, /not valid JSON/],
    [{ factsFingerprint: "x y" }, /factsFingerprint/],
  ])("rejects %j naming the field", (over, pattern) => {
    expect(() => validateHello(hello(over))).toThrow(pattern);
  });

  it("bounds the facts size", () => {
    const big = JSON.stringify({ pad: "x".repeat(MAX_FACTS_BYTES) });
    expect(() => validateFactsJson(big, "f")).toThrow(/larger than/);
  });
});
