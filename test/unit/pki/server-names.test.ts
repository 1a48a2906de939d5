import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { serverNames } from "../../../controller/pki/server-names.js";

describe("the server certificate's names", () => {
  it("cover loopback, the listen host and the extras (the dashboard's --web-listen host)", () => {
    const n = serverNames("127.0.0.1", ["dash.example.org", "10.1.2.3"]);
    expect(n.dnsNames).toEqual(["dash.example.org", "localhost"]);
    expect(n.ipAddresses).toEqual(["10.1.2.3", "127.0.0.1", "::1"]);
  });

  it("read a wildcard among the extras as the listen host's wildcard: this machine's name, not 0.0.0.0", () => {
    const n = serverNames("127.0.0.1", ["0.0.0.0"]);
    expect(n.ipAddresses).not.toContain("0.0.0.0");
    expect(n.dnsNames).toContain(hostname().toLowerCase());
  });
});
