import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderMetaData, renderSeed, renderUserData } from "../../../kinds/index.js";
import { hasPyyaml, pyyamlLoad } from "./pyyaml.js";
import { cloudInit, HASH, KEY_A, KEY_B } from "./specs.js";

const load = (text: string): unknown => parse(text, { version: "1.1" });

describe("user-data", () => {
  it("is #cloud-config YAML with users, groups, sudo, password hash, keys, packages and package_update", () => {
    const text = renderUserData(cloudInit());
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    expect(load(text)).toEqual({
      users: [
        {
          name: "ansible",
          groups: ["wheel", "adm"],
          sudo: "ALL=(ALL) NOPASSWD:ALL",
          shell: "/bin/bash",
          lock_passwd: false,
          passwd: HASH,
          ssh_authorized_keys: [KEY_A],
        },
      ],
      packages: ["httpd", "git"],
      package_update: true,
    });
  });

  it("leaves out what the spec does not set; no password hash keeps the password locked", () => {
    const text = renderUserData(
      cloudInit({
        users: [{ name: "ops", groups: [], sudo: null, passwordHash: null, sshAuthorizedKeys: [] }],
        packages: [],
        packageUpdate: false,
      }),
    );
    expect(load(text)).toEqual({
      users: [{ name: "ops", shell: "/bin/bash", lock_passwd: true }],
      package_update: false,
    });
    expect(load(renderUserData(cloudInit({ users: [] })))).not.toHaveProperty("users");
  });

  it("keeps hostile strings as strings: no injected keys, no YAML 1.1 booleans or nulls", () => {
    const evilKey = `${KEY_A}\nsudo: ALL=(ALL) NOPASSWD:ALL\n- name: root`;
    const spec = cloudInit({
      users: [
        {
          name: "yes",
          groups: ["on", "null", "1:20"],
          sudo: "ALL\n  lock_passwd: false\nruncmd: [reboot]",
          passwordHash: null,
          sshAuthorizedKeys: [evilKey, '"quoted" # not a comment'],
        },
      ],
      packages: ["~", "no", "pkg=1.0"],
    });
    const text = renderUserData(spec);
    const expected = {
      users: [
        {
          name: "yes",
          groups: ["on", "null", "1:20"],
          sudo: "ALL\n  lock_passwd: false\nruncmd: [reboot]",
          shell: "/bin/bash",
          lock_passwd: true,
          ssh_authorized_keys: [evilKey, '"quoted" # not a comment'],
        },
      ],
      packages: ["~", "no", "pkg=1.0"],
      package_update: true,
    };
    expect(load(text)).toEqual(expected);
    expect(text).not.toMatch(/^runcmd:/m);
    expect(text.split("\n").filter((l) => /^\S/.test(l))).toEqual([
      "#cloud-config",
      "users:",
      "packages:",
      "package_update: true",
    ]);
    if (hasPyyaml) expect(pyyamlLoad(text)).toEqual(expected);
  });

  it.skipIf(!hasPyyaml)("reads back identically with PyYAML (the parser cloud-init uses)", () => {
    const text = renderUserData(cloudInit());
    expect(pyyamlLoad(text)).toEqual(load(text));
  });
});

describe("meta-data and instance-id", () => {
  it("meta-data has the instance-id and the hostname, defaulting to the domain name", () => {
    const seed = renderSeed("g1", cloudInit());
    expect(seed.instanceId).toMatch(/^vf-[0-9a-f]{16}$/);
    expect(load(seed.metaData)).toEqual({ "instance-id": seed.instanceId, "local-hostname": "web-01" });
    expect(load(renderMetaData("g1", cloudInit({ hostname: null }), "vf-x"))).toEqual({
      "instance-id": "vf-x",
      "local-hostname": "g1",
    });
  });

  it("is stable for equal content", () => {
    expect(renderSeed("g1", cloudInit())).toEqual(renderSeed("g1", cloudInit()));
    expect(renderSeed("g1", cloudInit()).instanceId).toBe(renderSeed("g2", cloudInit()).instanceId);
  });

  it("changes with every part of the content", () => {
    const base = renderSeed("g1", cloudInit()).instanceId;
    const variants = [
      cloudInit({ users: [{ ...cloudInit().users[0]!, sshAuthorizedKeys: [KEY_B] }] }),
      cloudInit({ users: [{ ...cloudInit().users[0]!, groups: ["wheel"] }] }),
      cloudInit({ users: [{ ...cloudInit().users[0]!, sudo: null }] }),
      cloudInit({ users: [{ ...cloudInit().users[0]!, passwordHash: null }] }),
      cloudInit({ hostname: "web-02" }),
      cloudInit({ packages: ["httpd"] }),
      cloudInit({ packageUpdate: false }),
    ];
    const ids = variants.map((v) => renderSeed("g1", v).instanceId);
    expect(new Set([base, ...ids]).size).toBe(variants.length + 1);
    // Without a hostname the domain name is the hostname, so it is part of the content.
    expect(renderSeed("g1", cloudInit({ hostname: null })).instanceId).not.toBe(
      renderSeed("g2", cloudInit({ hostname: null })).instanceId,
    );
  });
});
