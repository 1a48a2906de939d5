import { describe, expect, it } from "vitest";
import { EnrolmentError, onFirstController } from "../../../agent/enroll/index.js";

const A = { host: "a.example", port: 7443 };
const B = { host: "b.example", port: 7443 };
const C = { host: "c.example", port: 7443 };

describe("enrolment and renewal over several controllers (onFirstController)", () => {
  it("moves on after an unreachable controller and returns the first answer", async () => {
    const tried: string[] = [];
    const got = await onFirstController([A, B, C], async (c) => {
      tried.push(c.host);
      if (c === A)
        throw new EnrolmentError("enrolment refused by the controller at a.example:7443: unreachable", false);
      return `cert from ${c.host}`;
    });
    expect(got).toBe("cert from b.example");
    expect(tried).toEqual(["a.example", "b.example"]);
  });

  it("stops at a refusal (permanent) or an unexpected error", async () => {
    const tried: string[] = [];
    await expect(
      onFirstController([A, B], async (c) => {
        tried.push(c.host);
        throw new EnrolmentError("token refused", true);
      }),
    ).rejects.toThrow("token refused");
    expect(tried).toEqual(["a.example"]);
    await expect(
      onFirstController([A, B], async () => {
        throw new TypeError("bug");
      }),
    ).rejects.toThrow(TypeError);
  });

  it("when none answered: one transient error naming each controller (one controller: its own error)", async () => {
    const err = await onFirstController([A, B], async (c) => {
      throw new EnrolmentError(`cannot connect to ${c.host}`, false);
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnrolmentError);
    expect((err as EnrolmentError).permanent).toBe(false);
    expect((err as Error).message).toBe(
      "no controller answered: a.example:7443: cannot connect to a.example; b.example:7443: cannot connect to b.example",
    );
    const one = new EnrolmentError("cannot connect", false);
    await expect(
      onFirstController([A], async () => {
        throw one;
      }),
    ).rejects.toBe(one);
  });
});
