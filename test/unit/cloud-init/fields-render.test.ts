/**
 * The cloud-init fields of issue 23 (writeFiles, runcmd, bootcmd, timezone, locale,
 * sshPwauth, vendorData, network) rendered into the seed: each field, the files they add,
 * seeds that do not use them unchanged, and an instance-id that moves with every content
 * change (contentFile bytes included). PyYAML, the parser cloud-init uses, is the oracle
 * when installed.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  contentFilesOf,
  renderNetworkConfig,
  renderSeed,
  renderUserData,
  renderVendorData,
} from "../../../kinds/cloud-init-seed/index.js";
import type { CloudInitSpec } from "../../../kinds/domain/spec.js";
import { hasPyyaml, pyyamlLoad } from "./pyyaml.js";
import { cloudInit, fullCloudInit, TOKEN } from "./specs.js";

const load = (text: string): Record<string, unknown> => parse(text, { version: "1.1" });

const FILES = new Map([["/etc/virtfleet/secrets/app-token", TOKEN]]);

describe("user-data: the issue-23 fields", () => {
  it("write_files, bootcmd, runcmd, timezone, locale and ssh_pwauth, after the existing keys", () => {
    const text = renderUserData(fullCloudInit(), FILES);
    const doc = load(text);
    expect(doc.write_files).toEqual([
      { path: "/etc/motd", content: "hello\n\tworld\n", owner: "root:root", permissions: "0644" },
      { path: "/etc/app/token", content: TOKEN.toString("base64"), encoding: "b64", permissions: "0600" },
      { path: "/etc/app/b64", content: "aGVsbG8K", encoding: "b64" },
    ]);
    expect(doc.bootcmd).toEqual([["mkdir", "-p", "/run/app"]]);
    expect(doc.runcmd).toEqual([["systemctl", "enable", "--now", "nginx"], "echo done > /run/done"]);
    expect(doc.timezone).toBe("Europe/Berlin");
    expect(doc.locale).toBe("en_US.UTF-8");
    expect(doc.ssh_pwauth).toBe(false);
    expect(text.split("\n").filter((l) => /^\S/.test(l))).toEqual([
      "#cloud-config",
      "users:",
      "packages:",
      "package_update: true",
      "write_files:",
      "bootcmd:",
      "runcmd:",
      'timezone: "Europe/Berlin"',
      'locale: "en_US.UTF-8"',
      "ssh_pwauth: false",
    ]);
    // contentFile bytes survive exactly (binary, NUL included) through base64
    const token = (doc.write_files as { content: string }[])[1]!.content;
    expect(Buffer.from(token, "base64").equals(TOKEN)).toBe(true);
    if (hasPyyaml) expect(pyyamlLoad(text)).toEqual(doc);
  });

  it("hostile strings stay strings: content, commands and paths cannot add keys", () => {
    const evil = 'x"\nruncmd: [reboot]\n- name: root\n';
    const text = renderUserData(
      cloudInit({
        writeFiles: [{ path: "/etc/yes", content: evil, owner: "null", permissions: "0644" }],
        runcmd: [evil, ["on", "no", "~", evil]],
        bootcmd: ["yes"],
        timezone: "UTC",
      }),
    );
    const doc = load(text);
    expect(doc.write_files).toEqual([{ path: "/etc/yes", content: evil, owner: "null", permissions: "0644" }]);
    expect(doc.runcmd).toEqual([evil, ["on", "no", "~", evil]]);
    expect(doc.bootcmd).toEqual(["yes"]);
    expect(text.match(/^runcmd:/gm)).toHaveLength(1);
    if (hasPyyaml) expect(pyyamlLoad(text)).toEqual(doc);
  });

  it("a file owned by a user or group the seed creates is deferred (write_files runs before users-groups)", () => {
    const doc = load(
      renderUserData(
        cloudInit({
          writeFiles: [
            { path: "/home/ansible/.env", content: "x", owner: "ansible:ansible" },
            { path: "/srv/adm.txt", content: "x", owner: "root:adm" },
            { path: "/etc/motd", content: "x", owner: "root:root" },
            { path: "/var/www/i", content: "x", owner: "www-data" },
          ],
        }),
      ),
    );
    expect((doc.write_files as { defer?: boolean }[]).map((f) => f.defer)).toEqual([true, true, undefined, undefined]);
  });

  it("empty runcmd/bootcmd/writeFiles are left out (cloud-init's schema wants at least one entry)", () => {
    const doc = load(renderUserData(cloudInit({ runcmd: [], bootcmd: [], writeFiles: [] })));
    expect(Object.keys(doc)).toEqual(["users", "packages", "package_update"]);
  });

  it("a contentFile not read is a programming error, never an empty file", () => {
    expect(() => renderUserData(fullCloudInit())).toThrow(/contentFile for \/etc\/app\/token was not read/);
    expect(contentFilesOf(fullCloudInit())).toEqual(["/etc/virtfleet/secrets/app-token"]);
  });
});

describe("network-config and vendor-data", () => {
  it("network-config is version 2 with the ethernets; an IPv4 default route is written 0.0.0.0/0, an IPv6 one as gateway6 (cloud-init 22.4)", () => {
    const text = renderNetworkConfig(fullCloudInit())!;
    const doc = load(text);
    expect(doc).toEqual({
      version: 2,
      ethernets: {
        eth0: {
          match: { macaddress: "52:54:00:00:00:10" },
          "set-name": "eth0",
          dhcp4: false,
          dhcp6: false,
          addresses: ["192.168.110.10/24", "2001:db8::10/64"],
          gateway6: "2001:db8::1",
          routes: [
            { to: "0.0.0.0/0", via: "192.168.110.1" },
            { to: "10.0.0.0/8", via: "192.168.110.254" },
          ],
          nameservers: { addresses: ["192.168.110.1"], search: ["lab.example"] },
        },
      },
    });
    expect(text.startsWith("version: 2\n")).toBe(true);
    if (hasPyyaml) expect(pyyamlLoad(text)).toEqual(doc);
  });

  it("interface ids that YAML 1.1 reads as booleans or null stay strings", () => {
    const text = renderNetworkConfig(cloudInit({ network: { ethernets: { yes: { dhcp4: true }, null: {} } } }))!;
    expect(Object.keys(load(text).ethernets as object).sort()).toEqual(["null", "yes"]);
    if (hasPyyaml) expect(Object.keys((pyyamlLoad(text) as any).ethernets).sort()).toEqual(["null", "yes"]);
  });

  it("vendor-data is #cloud-config and the document", () => {
    const text = renderVendorData(fullCloudInit())!;
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    expect(load(text)).toEqual({ runcmd: [["touch", "/run/vendor"]], ntp: { enabled: true } });
    expect(renderVendorData(cloudInit())).toBeUndefined();
    expect(renderNetworkConfig(cloudInit())).toBeUndefined();
  });

  it("renderSeed carries both files only when set", () => {
    const seed = renderSeed("g1", fullCloudInit(), FILES);
    expect(seed.networkConfig).toBe(renderNetworkConfig(fullCloudInit()));
    expect(seed.vendorData).toBe(renderVendorData(fullCloudInit()));
    expect(Object.keys(renderSeed("g1", cloudInit()))).toEqual(["userData", "metaData", "instanceId"]);
  });
});

describe("instance-id", () => {
  it("a seed that uses none of the new fields keeps its instance-id (the formula of before)", () => {
    const seed = renderSeed("g1", cloudInit());
    const before = `vf-${createHash("sha256")
      .update(JSON.stringify([seed.userData, "web-01"]), "utf8")
      .digest("hex")
      .slice(0, 16)}`;
    expect(seed.instanceId).toBe(before);
  });

  it("changes with each content change, contentFile bytes included; the bytes are never in meta-data", () => {
    const base = renderSeed("g1", fullCloudInit(), FILES);
    const edit = (over: Partial<CloudInitSpec>) => renderSeed("g1", fullCloudInit(over), FILES).instanceId;
    const full = fullCloudInit();
    const eth0 = full.network!.ethernets.eth0!;
    const ids = [
      edit({ writeFiles: [{ ...full.writeFiles![0]!, content: "hello\n" }, ...full.writeFiles!.slice(1)] }),
      edit({ writeFiles: [{ ...full.writeFiles![0]!, permissions: "0640" }, ...full.writeFiles!.slice(1)] }),
      edit({ writeFiles: [{ ...full.writeFiles![0]!, owner: "root:adm" }, ...full.writeFiles!.slice(1)] }),
      edit({ runcmd: ["true"] }),
      edit({ bootcmd: ["true"] }),
      edit({ timezone: "UTC" }),
      edit({ locale: "C.UTF-8" }),
      edit({ sshPwauth: true }),
      edit({ vendorData: {} }),
      edit({ vendorData: undefined }),
      edit({ network: { ethernets: { eth0: { ...eth0, addresses: ["192.168.110.11/24"] } } } }),
      edit({ network: { ethernets: { eth0: { ...eth0, routes: [] } } } }),
      edit({ network: { ethernets: { eth0: { ...eth0, nameservers: { addresses: ["1.1.1.1"] } } } } }),
      edit({ network: undefined }),
      renderSeed("g1", fullCloudInit(), new Map([["/etc/virtfleet/secrets/app-token", Buffer.from("other")]]))
        .instanceId,
    ];
    expect(new Set([base.instanceId, ...ids]).size).toBe(ids.length + 1);
    expect(renderSeed("g1", fullCloudInit(), FILES)).toEqual(base);
    expect(base.metaData).not.toContain(TOKEN.toString("base64"));
    expect(base.metaData).not.toContain("tok-3f9a1c");
  });
});
