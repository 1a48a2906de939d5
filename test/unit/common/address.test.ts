import { describe, expect, it } from "vitest";
import { formatHostPort, isLoopback, OptionError, parseHostPort } from "../../../common/index.js";

describe("parseHostPort", () => {
  it("parses names, IPv4 and bracketed IPv6", () => {
    expect(parseHostPort("127.0.0.1:7443", "--listen")).toEqual({ host: "127.0.0.1", port: 7443 });
    expect(parseHostPort("ctl.example:443", "--controller")).toEqual({ host: "ctl.example", port: 443 });
    expect(parseHostPort("[::1]:7443", "--listen")).toEqual({ host: "::1", port: 7443 });
  });

  it("rejects malformed addresses naming the option", () => {
    for (const bad of ["7443", "host:", "host:99999", "a b:1", ""]) {
      expect(() => parseHostPort(bad, "--listen")).toThrow(OptionError);
      expect(() => parseHostPort(bad, "--listen")).toThrow(/^--listen: /);
    }
    expect(() => parseHostPort("h:0", "--listen")).toThrow(/out of range/);
    expect(parseHostPort("h:0", "--listen", true).port).toBe(0);
  });

  it("round-trips through formatHostPort", () => {
    for (const t of ["127.0.0.1:1", "[::1]:7443", "x.y:80"]) expect(formatHostPort(parseHostPort(t, "x"))).toBe(t);
  });

  it("knows loopback addresses", () => {
    expect(["127.0.0.1", "127.8.9.10", "::1", "localhost"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "10.0.0.1", "::", "example.com"].some(isLoopback)).toBe(false);
  });
});
