import { describe, expect, it } from "vitest";
import {
  formatHostPort,
  formatHostPortList,
  isLoopback,
  OptionError,
  parseHostPort,
  parseHostPortList,
} from "../../../common/index.js";

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

describe("parseHostPortList", () => {
  it("keeps one address or several, in order", () => {
    expect(parseHostPortList("a:7443", "--controller")).toEqual([{ host: "a", port: 7443 }]);
    expect(parseHostPortList("a:7443, b:7443,[::1]:9", "--controller")).toEqual([
      { host: "a", port: 7443 },
      { host: "b", port: 7443 },
      { host: "::1", port: 9 },
    ]);
    expect(formatHostPortList(parseHostPortList("a:1,[::1]:2", "x"))).toBe("a:1,[::1]:2");
  });

  it("refuses empty entries, bad ports and duplicates, naming the option", () => {
    const refuses = (text: string, why: RegExp) => {
      expect(() => parseHostPortList(text, "--controller")).toThrow(OptionError);
      expect(() => parseHostPortList(text, "--controller")).toThrow(why);
      expect(() => parseHostPortList(text, "--controller")).toThrow(/^--controller: /);
    };
    refuses("", /is empty/);
    refuses("  ", /is empty/);
    refuses("a:1,,b:2", /entry 2 of "a:1,,b:2" is empty/);
    refuses("a:1,", /entry 2 .* is empty/);
    refuses(",a:1", /entry 1 .* is empty/);
    refuses("a:1,b:99999", /port 99999 is out of range/);
    refuses("a:1,b:0", /port 0 is out of range/);
    refuses("a:1,b", /"b" is not HOST:PORT/);
    refuses("a:7443,b:7443,a:7443", /a:7443 is given twice/);
    refuses("A:7443,a:7443", /given twice/);
    expect(() => parseHostPortList("a:1,,b:2", "VIRTFLEET_CONTROLLER")).toThrow(/^VIRTFLEET_CONTROLLER: /);
  });
});
