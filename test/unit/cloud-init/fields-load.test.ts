/**
 * Loading the issue-23 cloud-init fields: a valid block resolves with only the fields it
 * sets; bad input is rejected at file:line:col with a message that never quotes a file's
 * content or a command.
 */
import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../../../common/index.js";
import { lines, load, policy } from "../policy/helpers.js";

/** A policy with one domain whose cloudInit block is `ci` (YAML, indented 8 spaces). */
function withCloudInit(ci: string): string {
  return policy(
    "ci",
    `    pools: [{name: p1, type: dir, path: /srv/p1}]
    domains:
      - name: g1
        vcpus: 1
        memory: 64MiB
        disks: [{volume: p1/g1.qcow2}]
        cloudInit:
${ci}`,
  );
}

const SECRET = "hunter2-do-not-show";

describe("cloudInit fields at load", () => {
  it("the example of spec/policy.md loads; only the fields set are in the spec", () => {
    const r = load({
      "ci.yaml": withCloudInit(`          hostname: web-01
          packages: [nginx]
          packageUpdate: true
          writeFiles: [{path: /etc/motd, content: "hello\\n", permissions: "0644", owner: "root:root"},
                       {path: /etc/app/token, contentFile: /etc/virtfleet/secrets/app-token, permissions: "0600"}]
          runcmd: [["systemctl", "enable", "--now", "nginx"], "echo ok"]
          bootcmd: []
          timezone: Europe/Berlin
          locale: en_US.UTF-8
          sshPwauth: false
          vendorData: {}
          network:
            ethernets: {eth0: {match: {macaddress: "52:54:00:00:00:10"}, addresses: ["192.168.110.10/24"],
                               routes: [{to: default, via: 192.168.110.1}], nameservers: {addresses: [192.168.110.1]}}}
`),
    });
    expect(lines(r)).toEqual([]);
    const ci = resolvePolicy(r.policies[0]!, { name: "h1" }).resources.domains[0]!.cloudInit!;
    expect(ci).toEqual({
      hostname: "web-01",
      users: [],
      packages: ["nginx"],
      packageUpdate: true,
      writeFiles: [
        { path: "/etc/motd", content: "hello\n", permissions: "0644", owner: "root:root" },
        { path: "/etc/app/token", contentFile: "/etc/virtfleet/secrets/app-token", permissions: "0600" },
      ],
      runcmd: [["systemctl", "enable", "--now", "nginx"], "echo ok"],
      bootcmd: [],
      timezone: "Europe/Berlin",
      locale: "en_US.UTF-8",
      sshPwauth: false,
      vendorData: {},
      network: {
        ethernets: {
          eth0: {
            match: { macaddress: "52:54:00:00:00:10" },
            addresses: ["192.168.110.10/24"],
            routes: [{ to: "default", via: "192.168.110.1" }],
            nameservers: { addresses: ["192.168.110.1"] },
          },
        },
      },
    });
  });

  it("a block without the new fields resolves exactly as before (no new keys)", () => {
    const r = load({ "ci.yaml": withCloudInit("          hostname: web-01\n") });
    expect(Object.keys(resolvePolicy(r.policies[0]!, { name: "h1" }).resources.domains[0]!.cloudInit!)).toEqual([
      "hostname",
      "users",
      "packages",
      "packageUpdate",
    ]);
  });

  it("content may hold line breaks and tabs; other control characters are refused, value not shown", () => {
    expect(
      lines(load({ "ci.yaml": withCloudInit(`          writeFiles: [{path: /a, content: "x\\n\\ty\\r\\n"}]\n`) })),
    ).toEqual([]);
    const bad = lines(
      load({ "ci.yaml": withCloudInit(`          writeFiles: [{path: /a, content: "${SECRET}\\u001b"}]\n`) }),
    );
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^ci\.yaml:\d+:\d+: .*writeFiles\[0\]\.content: the control character U\+001B/);
    expect(bad.join("\n")).not.toContain(SECRET);
    // elsewhere a newline stays refused
    expect(
      lines(load({ "ci.yaml": withCloudInit(`          writeFiles: [{path: "/a\\nb", content: x}]\n`) }))[0],
    ).toMatch(/writeFiles\[0\]\.path: the control character U\+000A \(newline\)/);
  });

  const cases: [string, string, RegExp][] = [
    [
      "both content and contentFile",
      `          writeFiles: [{path: /a, content: "${SECRET}", contentFile: /etc/s}]\n`,
      /ci\.yaml:14:67: spec\.resources\.domains\[0\]\.cloudInit\.writeFiles\[0\]\.contentFile: give content or contentFile, not both/,
    ],
    [
      "neither content nor contentFile",
      '          writeFiles: [{path: /a, permissions: "0644"}]\n',
      /ci\.yaml:14:24: .*writeFiles\[0\]: give the file's content: content \(in the policy\) or contentFile/,
    ],
    [
      "a relative guest path",
      "          writeFiles: [{path: etc/motd, content: x}]\n",
      /ci\.yaml:14:31: .*writeFiles\[0\]\.path: the file's path in the guest: "etc\/motd" must be an absolute path/,
    ],
    [
      "a relative contentFile",
      "          writeFiles: [{path: /a, contentFile: secrets/tok}]\n",
      /ci\.yaml:14:48: .*writeFiles\[0\]\.contentFile: contentFile must be a path on the host: "secrets\/tok" must be an absolute path/,
    ],
    [
      "permissions not octal",
      '          writeFiles: [{path: /a, content: x, permissions: "0988"}]\n',
      /ci\.yaml:14:60: .*writeFiles\[0\]\.permissions: invalid value "0988": Octal mode/,
    ],
    [
      "encoding with contentFile",
      "          writeFiles: [{path: /a, contentFile: /s, encoding: b64}]\n",
      /writeFiles\[0\]\.encoding: encoding applies to content only/,
    ],
    [
      "b64 content that is not base64",
      `          writeFiles: [{path: /a, content: "${SECRET}!", encoding: b64}]\n`,
      /writeFiles\[0\]\.content: content is not base64 text, as encoding b64 says \(value not shown\)/,
    ],
    [
      "a path written twice",
      "          writeFiles: [{path: /a, content: x}, {path: /a, content: y}]\n",
      /writeFiles\[1\]\.path: "\/a" is written twice \(first at writeFiles\[0\]\)/,
    ],
    [
      "a plaintext password on a user",
      `          users: [{name: ops, password: "${SECRET}"}]\n`,
      /ci\.yaml:14:31: .*users\[0\]\.password: plaintext passwords are not accepted; only hashes: use passwordHash/,
    ],
    [
      "a plaintext passwd in vendorData",
      `          vendorData: {users: [{name: ops, passwd: "${SECRET}"}]}\n`,
      /ci\.yaml:14:44: .*vendorData\.users\[0\]\.passwd: plaintext passwords are not accepted; only hashes: use users\[\]\.passwordHash/,
    ],
    [
      "a password key in vendorData's chpasswd",
      `          vendorData: {chpasswd: {users: [{name: ops, password: "${SECRET}"}]}}\n`,
      /vendorData\.chpasswd\.users\[0\]\.password: plaintext passwords are not accepted/,
    ],
    [
      "a timezone that is no zone name",
      '          timezone: "Europe/../etc/passwd"\n',
      /ci\.yaml:14:21: .*cloudInit\.timezone: invalid value "Europe\/\.\.\/etc\/passwd": a time zone name/,
    ],
    [
      "a malformed locale",
      '          locale: "en_US UTF-8"\n',
      /ci\.yaml:14:19: .*cloudInit\.locale: invalid value "en_US UTF-8": a locale/,
    ],
    [
      "an address without a prefix",
      "          network: {ethernets: {eth0: {addresses: [192.168.110.10]}}}\n",
      /ci\.yaml:14:52: .*network\.ethernets\.eth0\.addresses\[0\]: invalid address "192\.168\.110\.10": an address with its prefix length \(CIDR\)/,
    ],
    [
      "a prefix too long",
      '          network: {ethernets: {eth0: {addresses: ["10.0.0.1/33"]}}}\n',
      /addresses\[0\]: invalid address "10\.0\.0\.1\/33"/,
    ],
    [
      "a MAC that is no MAC",
      '          network: {ethernets: {eth0: {match: {macaddress: "52:54:00:00:10"}}}}\n',
      /ci\.yaml:14:60: .*network\.ethernets\.eth0\.match\.macaddress: invalid value "52:54:00:00:10": a MAC address/,
    ],
    [
      "a route to no network",
      "          network: {ethernets: {eth0: {routes: [{to: 10.0.0.0, via: 192.168.1.1}]}}}\n",
      /routes\[0\]\.to: invalid route destination "10\.0\.0\.0": a network in CIDR form \(10\.0\.0\.0\/8\) or default/,
    ],
    [
      "a gateway that is no address",
      "          network: {ethernets: {eth0: {routes: [{to: default, via: gw.lab}]}}}\n",
      /routes\[0\]\.via: invalid gateway "gw\.lab": an IPv4 or IPv6 address/,
    ],
    [
      "two IPv4 default routes",
      "          network: {ethernets: {eth0: {routes: [{to: default, via: 10.0.0.1}, {to: default, via: 10.0.0.2}]}}}\n",
      /routes\[1\]\.to: a second IPv4 default route on eth0: give one/,
    ],
    [
      "a DNS server that is no address",
      "          network: {ethernets: {eth0: {nameservers: {addresses: [dns.lab]}}}}\n",
      /nameservers\.addresses\[0\]: invalid DNS server "dns\.lab"/,
    ],
    [
      "an unknown write_files key",
      "          writeFiles: [{path: /a, content: x, defer: true}]\n",
      /writeFiles\[0\]\.defer: unknown field "defer"/,
    ],
    ["an empty argv", "          runcmd: [[]]\n", /cloudInit\.runcmd\[0\]/],
  ];
  for (const [what, ci, want] of cases) {
    it(`rejects ${what} at file:line:col, secrets never quoted`, () => {
      const r = load({ "ci.yaml": withCloudInit(ci) });
      const got = lines(r);
      expect(
        got.some((l) => want.test(l)),
        got.join("\n"),
      ).toBe(true);
      expect(got.join("\n")).not.toContain(SECRET);
      expect(r.policies).toEqual([]);
    });
  }
});
