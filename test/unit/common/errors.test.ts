import { describe, expect, it } from "vitest";
import {
  describeError,
  hasCode,
  isNotFound,
  NotFoundError,
  ProtocolError,
  VirtfleetError,
} from "../../../common/index.js";

describe("typed errors", () => {
  it("carry name, code and cause", () => {
    const cause = new Error("socket closed");
    const e = new ProtocolError("bad frame", { cause });
    expect(e.name).toBe("ProtocolError");
    expect(e.code).toBe("PROTOCOL");
    expect(e.cause).toBe(cause);
    expect(e).toBeInstanceOf(VirtfleetError);
  });

  it("predicates walk the cause chain", () => {
    const wrapped = new VirtfleetError("OUTER", "reading host failed", { cause: new NotFoundError("no host x") });
    expect(isNotFound(wrapped)).toBe(true);
    expect(hasCode(wrapped, "OUTER")).toBe(true);
    expect(isNotFound(new Error("x"))).toBe(false);
    expect(isNotFound(undefined)).toBe(false);
  });

  it("survive cause cycles", () => {
    const a = new VirtfleetError("A", "a");
    const b = new VirtfleetError("B", "b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(hasCode(a, "C")).toBe(false);
    expect(describeError(a)).toBe("a: b");
  });

  it("describe errors, causes and gRPC status objects in one line", () => {
    expect(describeError(new VirtfleetError("X", "outer", { cause: new Error("inner") }))).toBe("outer: inner");
    expect(describeError({ code: 3, details: "bad seq" })).toBe("bad seq");
    expect(describeError("plain")).toBe("plain");
  });
});
