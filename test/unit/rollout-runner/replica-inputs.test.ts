import { describe, expect, it } from "vitest";
import { hostInputId, parseHostInput, type HostInput } from "../../../controller/rollout-runner/index.js";

describe("host inputs on the `host` signal", () => {
  it("round-trips online, offline and delivered", () => {
    const inputs: HostInput[] = [
      { type: "online", host: "kvm01" },
      { type: "offline", host: "kvm01.example.org" },
      { type: "removed", host: "kvm03" },
      { type: "delivered", host: "kvm01", generation: 12 },
      { type: "delivered", host: "a:b", generation: 0 },
    ];
    expect(inputs.map(hostInputId)).toEqual([
      "online:kvm01",
      "offline:kvm01.example.org",
      "removed:kvm03",
      "delivered:kvm01:12",
      "delivered:a:b:0",
    ]);
    for (const i of inputs) expect(parseHostInput(hostInputId(i))).toEqual(i);
  });

  it("ignores what this version does not know or cannot read", () => {
    for (const id of [
      "",
      "kvm01",
      "online:",
      "resync:kvm01",
      "delivered:kvm01",
      "delivered::3",
      "delivered:kvm01:x",
      "delivered:kvm01:-1",
      "delivered:kvm01:1.5",
    ])
      expect(parseHostInput(id), id).toBeUndefined();
  });
});
