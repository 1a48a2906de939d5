import { describe, expect, it } from "vitest";
import {
  afterFailure,
  controllerOrder,
  firstChoice,
  hostNameHash,
  inHostOrder,
  waitForChosen,
} from "../../../agent/link/index.js";

const names = Array.from({ length: 3_000 }, (_, i) => `kvm${String(i).padStart(4, "0")}.dc1.example`);

describe("controllerOrder: which replica a host tries first, and next", () => {
  it("is a permutation, the same for the same name (FNV-1a over UTF-8)", () => {
    expect(hostNameHash("")).toBe(0x811c9dc5);
    expect(hostNameHash("a")).toBe(0xe40c292c); // FNV-1a test vector
    for (const n of [1, 2, 3, 5]) {
      for (const name of names.slice(0, 50)) {
        const order = controllerOrder(name, n);
        expect([...order].sort()).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(controllerOrder(name, n)).toEqual(order);
      }
    }
    expect(controllerOrder("h", 1)).toEqual([0]);
    expect(inHostOrder(["a", "b", "c"], "kvm0001")).toEqual(controllerOrder("kvm0001", 3).map((i) => "abc"[i]));
  });

  it("spreads a fleet's first choices evenly over three replicas", () => {
    const first = [0, 0, 0];
    for (const name of names) first[controllerOrder(name, 3)[0]!]! += 1;
    // 1,000 each expected; a spread this uneven by chance is far below one in a million
    for (const count of first) expect(Math.abs(count - 1_000)).toBeLessThan(150);
  });

  it("spreads the hosts of a failed replica evenly over the others", () => {
    const next = [0, 0, 0];
    let onZero = 0;
    for (const name of names) {
      const order = controllerOrder(name, 3);
      if (order[0] !== 0) continue;
      onZero += 1;
      next[order[1]!]! += 1;
    }
    expect(next[0]).toBe(0);
    expect(Math.abs(next[1]! - onZero / 2)).toBeLessThan(onZero * 0.12);
    expect(Math.abs(next[2]! - onZero / 2)).toBeLessThan(onZero * 0.12);
  });
});

describe("ControllerChoice: moving on after a failure", () => {
  it("goes round the list; a controller's own wait delays only the next attempt to it", () => {
    let c = firstChoice(3);
    expect(c.index).toBe(0);
    c = afterFailure(c, 1_000, 20_000); // controller 0 asked for 20 s
    expect(c.index).toBe(1);
    expect(waitForChosen(c, 1_000)).toBe(0); // its replica need not wait
    c = afterFailure(c, 2_000, 0);
    expect(c.index).toBe(2);
    expect(waitForChosen(c, 2_000)).toBe(0);
    c = afterFailure(c, 3_000, 0);
    expect(c.index).toBe(0);
    expect(waitForChosen(c, 3_000)).toBe(18_000); // back to 0: the rest of its wait
    expect(waitForChosen(c, 30_000)).toBe(0);
  });

  it("with one controller, every wait it asks for applies", () => {
    let c = firstChoice(1);
    c = afterFailure(c, 5_000, 7_000);
    expect(c.index).toBe(0);
    expect(waitForChosen(c, 5_000)).toBe(7_000);
    expect(() => firstChoice(0)).toThrow(/at least one controller/);
  });
});
