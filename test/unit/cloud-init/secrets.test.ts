/**
 * Secrets in cloud-init (issue 23): `writeFiles[].content`, what a `contentFile` holds,
 * `runcmd`, `bootcmd` and vendor-data never appear in a reported change, a drift event the
 * controller stores, a log line, an error, or the agent's spec re-check; a contentFile that
 * is missing or readable by group/others fails in the plan stage naming the host and the field.
 */
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isSecretField, REDACTED, redactChange, redactDeep, silentLogger } from "../../../common/index.js";
import { validateDrift, validateReport } from "../../../controller/agent-messages/index.js";
import type { Hypervisor } from "../../../libvirt/index.js";
import {
  CloudInitSeedResource,
  readContentFiles,
  renderSeed,
  seedFieldChanges,
} from "../../../kinds/cloud-init-seed/index.js";
import { specProblems } from "../../../kinds/spec-checker.js";
import { checkDomainSpec } from "../../../kinds/domain/check.js";
import { captureLog } from "../../harness/log-capture.js";
import { secretFile, tempDir } from "../../harness/processes.js";
import { driftMsg, reportMsg } from "../ingest/fixtures.js";
import { cloudInit, domainWithCloudInit, fullCloudInit } from "./specs.js";

const CONTENT = "db_password=Zq8-content-secret";
const RUN = "curl -H 'X-Key: Rk7-runcmd-secret' https://x";
const BOOT = "echo Bt4-bootcmd-secret";
const VENDOR = "Vd2-vendor-secret";
const FILE_BYTES = "Ft6-file-secret\n";
const SECRETS = [
  "Zq8-content-secret",
  "Rk7-runcmd-secret",
  "Bt4-bootcmd-secret",
  "Vd2-vendor-secret",
  "Ft6-file-secret",
];
const FILE_B64 = Buffer.from(FILE_BYTES).toString("base64");

const temp = tempDir("vft-ci-secret-");
const dir = temp.path;
afterAll(temp.cleanup);
const tokenFile = secretFile(dir, "token", FILE_BYTES);

function secretSpec(v: string) {
  return cloudInit({
    writeFiles: [
      { path: "/etc/app.env", content: `${CONTENT}${v}`, permissions: "0600" },
      { path: "/etc/app/token", contentFile: tokenFile, permissions: "0600" },
    ],
    runcmd: [`${RUN}${v}`, ["sh", "-c", `${RUN}${v}`]],
    bootcmd: [`${BOOT}${v}`],
    vendorData: { write_files: [{ path: "/v", content: `${VENDOR}${v}` }], runcmd: [`${VENDOR}${v}`] },
  });
}

function expectNoSecret(text: string): void {
  for (const s of [...SECRETS, FILE_B64]) expect(text).not.toContain(s);
}

describe("field names", () => {
  it("content, runcmd, bootcmd and vendorData are secret fields, wherever they are named", () => {
    for (const f of [
      "cloudInit.writeFiles[/etc/app.env].content",
      "spec.resources.domains[0].cloudInit.writeFiles[0].content",
      "cloudInit.runcmd",
      "cloudInit.runcmd[0]",
      "cloudInit.runcmd[1][2]",
      "cloudInit.bootcmd",
      "cloudInit.vendorData",
      "cloudInit.vendorData.write_files[0].content",
      "runcmd",
      "vendor_data",
    ])
      expect(isSecretField(f), f).toBe(true);
    for (const f of [
      "cloudInit.writeFiles[/etc/app.env].permissions",
      "cloudInit.writeFiles[/etc/app.env].owner",
      "cloudInit.writeFiles[0].contentFile",
      "cloudInit.timezone",
      "content",
      "cloudInit.network.ethernets[eth0]",
    ])
      expect(isSecretField(f), f).toBe(false);
  });

  it("redactDeep hides them in any structure (a log line, a stored event) and keeps the rest", () => {
    const out = redactDeep({ spec: { cloudInit: secretSpec("") }, content: "a plain content field" }) as any;
    const ci = out.spec.cloudInit;
    expect(ci.writeFiles).toEqual([
      { path: "/etc/app.env", content: REDACTED, permissions: "0600" },
      { path: "/etc/app/token", contentFile: tokenFile, permissions: "0600" },
    ]);
    expect(ci.runcmd).toBe(REDACTED);
    expect(ci.bootcmd).toBe(REDACTED);
    expect(ci.vendorData).toBe(REDACTED);
    expect(out.content).toBe("a plain content field");
    expect(redactDeep({ write_files: [{ path: "/x", content: CONTENT }] })).toEqual({
      write_files: [{ path: "/x", content: REDACTED }],
    });
  });

  it("no log line carries them", () => {
    const { log, text: logged } = captureLog();
    log.info({ domain: { name: "g1", cloudInit: secretSpec("") } }, "spec");
    log.info({ changes: [{ field: "cloudInit.runcmd", from: [RUN], to: [RUN, BOOT] }] }, "changes");
    const text = logged();
    expectNoSecret(text);
    expect(text).toContain('"path":"/etc/app.env"');
  });
});

describe("seed changes (dry-run, apply --json, drift events)", () => {
  const files = (b: string) => new Map([[tokenFile, Buffer.from(b)]]);
  const before = renderSeed("g1", secretSpec(""), files(FILE_BYTES));
  const after = renderSeed("g1", secretSpec("-v2"), files("Ft6-file-secret-v2\n"));
  const changes = seedFieldChanges(
    {
      userData: before.userData,
      metaData: before.metaData,
      networkConfig: null,
      vendorData: before.vendorData ?? null,
    },
    after,
  );

  it("name each changed secret field, both values redacted", () => {
    expect(changes).toEqual([
      { field: "cloudInit.writeFiles[/etc/app.env].content", from: REDACTED, to: REDACTED, disruption: "live" },
      { field: "cloudInit.writeFiles[/etc/app/token].content", from: REDACTED, to: REDACTED, disruption: "live" },
      { field: "cloudInit.bootcmd", from: REDACTED, to: REDACTED, disruption: "live" },
      { field: "cloudInit.runcmd", from: REDACTED, to: REDACTED, disruption: "live" },
      { field: "cloudInit.vendorData", from: REDACTED, to: REDACTED, disruption: "live" },
    ]);
  });

  it("show non-secret fields: permissions, timezone, network", () => {
    const a = renderSeed("g1", fullCloudInit(), new Map([["/etc/virtfleet/secrets/app-token", Buffer.from("x")]]));
    const b = renderSeed(
      "g1",
      fullCloudInit({
        timezone: "UTC",
        writeFiles: [{ path: "/etc/motd", content: "hello\n\tworld\n", permissions: "0640", owner: "root:root" }],
      }),
    );
    const got = seedFieldChanges(
      { userData: a.userData, metaData: a.metaData, networkConfig: a.networkConfig, vendorData: a.vendorData },
      b,
    );
    expect(got).toEqual([
      { field: "cloudInit.writeFiles[/etc/app/b64]", from: "present", to: "absent", disruption: "live" },
      // a path ending in a secret-looking name (token) is redacted by name: over-cautious, never leaky
      { field: "cloudInit.writeFiles[/etc/app/token]", from: REDACTED, to: REDACTED, disruption: "live" },
      { field: "cloudInit.writeFiles[/etc/motd].permissions", from: "0644", to: "0640", disruption: "live" },
      { field: "cloudInit.timezone", from: "Europe/Berlin", to: "UTC", disruption: "live" },
    ]);
    const c = renderSeed("g1", cloudInit({ network: { ethernets: { eth0: { dhcp4: true } } } }));
    expect(
      seedFieldChanges({ userData: c.userData, metaData: c.metaData, networkConfig: a.networkConfig }, c).find((x) =>
        x.field.startsWith("cloudInit.network"),
      ),
    ).toMatchObject({ field: "cloudInit.network.ethernets[eth0]", to: { dhcp4: true } });
  });

  it("stay redacted through the controller's ingest of reports and drift events", () => {
    const unredacted = [{ field: "cloudInit.runcmd", from: [RUN], to: [BOOT], disruption: "live" }];
    const r = validateReport(
      reportMsg({
        resources: [
          {
            kind: "volume",
            name: "p1/g1-cidata.iso",
            policy: "p",
            outcome: "changed",
            changesJson: JSON.stringify([...changes, ...unredacted]),
            error: "",
            pendingRestart: false,
          },
        ],
      }).report!,
    );
    expectNoSecret(JSON.stringify(r));
    const d = validateDrift(
      driftMsg({
        kind: "volume",
        name: "p1/g1-cidata.iso",
        fields: [
          { field: "cloudInit.writeFiles[/etc/app.env].content", desiredJson: JSON.stringify(CONTENT), actualJson: "" },
          { field: "cloudInit.bootcmd", desiredJson: JSON.stringify([BOOT]), actualJson: JSON.stringify([]) },
          { field: "cloudInit.vendorData", desiredJson: JSON.stringify({ x: VENDOR }), actualJson: "" },
        ],
        source: "resync",
      }).drift!,
    );
    expectNoSecret(JSON.stringify(d));
    expect(redactChange(unredacted[0]!)).toMatchObject({ from: REDACTED, to: REDACTED });
  });
});

describe("the agent's re-check", () => {
  it("takes multi-line content and commands, and never quotes them in a problem", () => {
    const ok = domainWithCloudInit("g1", {
      cloudInit: cloudInit({ writeFiles: [{ path: "/a", content: "l1\nl2\t\r\n" }], runcmd: ["a\nb"] }),
    });
    expect(specProblems(ok, checkDomainSpec)).toEqual([]);
    const bad = domainWithCloudInit("g1", {
      cloudInit: cloudInit({
        writeFiles: [
          { path: "/a", content: `${CONTENT}\u0007` },
          { path: "rel", contentFile: "also-rel", content: CONTENT, permissions: "999" },
        ],
        runcmd: [[]],
        timezone: "../x",
        vendorData: { password: VENDOR },
      }),
    });
    const problems = specProblems(bad, checkDomainSpec);
    expectNoSecret(problems.join("\n"));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^cloudInit\.writeFiles\[0\]\.content: the control character U\+0007/),
        expect.stringMatching(/^cloudInit\.writeFiles\[1\]\.path: "rel" must be an absolute path/),
        "cloudInit.writeFiles[1]: needs exactly one of content and contentFile",
        expect.stringMatching(/^cloudInit\.writeFiles\[1\]\.permissions: invalid value/),
        expect.stringMatching(/^cloudInit\.runcmd\[0\]: must be a command line or a non-empty list/),
        expect.stringMatching(/^cloudInit\.timezone: invalid value/),
        expect.stringMatching(/^cloudInit\.vendorData: plaintext passwords are not accepted/),
      ]),
    );
  });
});

describe("contentFile on the host (plan stage)", () => {
  const where = { host: "host h1", domain: "g1" };
  const spec = (path: string) =>
    cloudInit({
      writeFiles: [
        { path: "/etc/x", content: "x" },
        { path: "/etc/app/token", contentFile: path },
      ],
    });

  it("reads a 0600 file of the agent's user", async () => {
    const files = await readContentFiles(spec(tokenFile), where);
    expect(files.get(tokenFile)?.toString()).toBe(FILE_BYTES);
  });

  it("refuses a missing file, a group/other-readable one, a symlink and one of another owner, naming host and field only", async () => {
    const open = secretFile(dir, "open", FILE_BYTES, 0o644);
    const link = join(dir, "link");
    symlinkSync(tokenFile, link);
    const cases: [string, RegExp, number | undefined][] = [
      [join(dir, "missing"), /does not exist/, undefined],
      [
        open,
        /is accessible by group and others \(mode 0644\): make it readable by its owner only \(chmod 600\)/,
        undefined,
      ],
      [link, /is a symbolic link/, undefined],
      [tokenFile, /is owned by uid \d+: it must be owned by uid 4242, the agent's user/, 4242],
    ];
    for (const [path, why, uid] of cases) {
      const err = await readContentFiles(spec(path), where, uid).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(
        new RegExp(
          `^host h1: domain g1 cloudInit\\.writeFiles\\[1\\]\\.contentFile: file ${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} `,
        ),
      );
      expect(err?.message).toMatch(why);
      expect(err?.message).toMatch(/nothing was applied$/);
      expectNoSecret(err!.message);
    }
  });

  it("the seed resource fails in dry-run before it touches libvirt", async () => {
    const untouchable = new Proxy({} as Hypervisor, {
      get: (_t, p) => {
        throw new Error(`libvirt was used (${String(p)})`);
      },
    });
    const d = domainWithCloudInit("g1", { cloudInit: spec(join(dir, "missing")) });
    const seed = new CloudInitSeedResource(d, "p", [], {
      hv: untouchable,
      log: silentLogger(),
      shutdownTimeoutMs: 1000,
      hostName: "h1",
    });
    await expect(seed.checkApply(new AbortController().signal, false)).rejects.toThrow(
      /^host h1: domain g1 cloudInit\.writeFiles\[1\]\.contentFile: file .*missing does not exist; nothing was applied$/,
    );
  });
});
