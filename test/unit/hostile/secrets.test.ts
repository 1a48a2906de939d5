/**
 * Secrets (password hashes, tokens, private keys, URL credentials) never reach logs,
 * stored events or reported changes: by field name at any depth, and by shape in text.
 */
import { describe, expect, it } from "vitest";
import { isSecretField, redactChange, redactDeep, REDACTED, scrubSecrets } from "../../../common/index.js";
import { validateDrift, validateReport } from "../../../controller/agent-messages/index.js";
import { renderSeed } from "../../../kinds/index.js";
import { seedFieldChanges } from "../../../kinds/cloud-init-seed/seed-diff.js";
import { captureLog } from "../../harness/log-capture.js";
import { cloudInit, KEY_A, KEY_B } from "../cloud-init/specs.js";
import { driftMsg, reportMsg } from "../ingest/fixtures.js";

const HASH = "$6$rounds=5000$vfsalt$Tq0S9fY1uMxQxW0gH2kz8sVdQ0Jq3nYhU0aP8rR9w1Zb";
const PEM = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----";
const TOKEN = "vft_tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0";

describe("secret detection", () => {
  it("names secret fields, also as the last segment of a field path", () => {
    for (const f of [
      "passwordHash",
      "password",
      "passwd",
      "token",
      "enrolToken",
      "bootstrap_token",
      "privateKey",
      "private_key",
      "secret",
      "clientSecret",
      "authorization",
      "cloudInit.users[ops].passwordHash",
      'labels["x"].token',
    ]) {
      expect(isSecretField(f), f).toBe(true);
    }
    for (const f of [
      "name",
      "sshAuthorizedKeys",
      "cloudInit.users[ops].sshAuthorizedKeys",
      "keys",
      "tokenCount",
      "lock_passwd",
      "state",
      "cloudInit.instanceId",
    ]) {
      expect(isSecretField(f), f).toBe(false);
    }
  });

  it("scrubs crypt hashes, PEM private keys (also JSON-escaped) and URL credentials from text", () => {
    const text = `hash ${HASH} key ${PEM} json ${JSON.stringify(PEM)} url https://bob:pw@img.example/x and $6$ alone, price $5 ok`;
    const out = scrubSecrets(text);
    expect(out).not.toContain("vfsalt");
    expect(out).not.toContain("MIGHAgEAMBMG");
    expect(out).not.toContain("bob:pw");
    expect(out).toContain("https://[redacted]@img.example/x");
    expect(out).toContain("$6$ alone, price $5 ok");
  });

  it("redactDeep replaces secret fields at any depth, scrubs strings, survives cycles and Errors", () => {
    const cyclic: Record<string, unknown> = {
      a: { b: { c: { d: { e: { passwordHash: HASH, token: TOKEN, keep: "x" } } } } },
    };
    cyclic.self = cyclic;
    const err = new Error(`failed with ${HASH}`);
    const out = JSON.stringify(redactDeep({ ...cyclic, err, lock_passwd: false }));
    expect(out).not.toContain("vfsalt");
    expect(out).not.toContain(TOKEN);
    expect(out).toContain('"keep":"x"');
    expect(out).toContain('"lock_passwd":false');
    expect(out).toContain("[circular]");
  });

  it("redactChange keeps the field and redacts both values of a secret field", () => {
    expect(
      redactChange({
        field: "cloudInit.users[ops].passwordHash",
        from: HASH,
        to: "$6$other$aaaaaaaaaaaa",
        disruption: "live",
      }),
    ).toEqual({ field: "cloudInit.users[ops].passwordHash", from: REDACTED, to: REDACTED, disruption: "live" });
    expect(redactChange({ field: "vcpus", desired: 2, actual: 1 })).toEqual({ field: "vcpus", desired: 2, actual: 1 });
    expect(redactChange({ field: "cloudInit.users[ops].passwordHash", from: null, to: HASH })).toMatchObject({
      from: null,
      to: REDACTED,
    });
  });
});

describe("logs", () => {
  it("no hash, token, key or credential reaches a log line, however it is logged", () => {
    const { log, text: lines } = captureLog();
    log.info({ spec: { domains: [{ cloudInit: { users: [{ name: "ops", passwordHash: HASH }] } }] } }, "deep object");
    log.info({ token: TOKEN, enrol: { bootstrapToken: TOKEN } }, "tokens");
    log.warn(`a message quoting ${HASH} and ${PEM}`);
    log.error(
      { err: new Error(`cannot fetch https://u:${TOKEN}@img.example/i.qcow2 (hash ${HASH})`) },
      "error objects",
    );
    log.error({ detail: `resolvedJson ${JSON.stringify({ passwordHash: HASH })}` }, "json inside a string");
    const text = lines();
    expect(text.split("\n").filter(Boolean)).toHaveLength(5);
    for (const secret of ["vfsalt", TOKEN, "MIGHAgEAMBMG"]) expect(text).not.toContain(secret);
    expect(text).toContain("[redacted]");
    expect(text).toContain('"name":"ops"');
  });
});

describe("the controller's ingest stores no secrets", () => {
  it("drift fields named as secrets are stored redacted; secret-shaped text is scrubbed", () => {
    const d = validateDrift(
      driftMsg({
        kind: "volume",
        name: "pool/web-cidata.iso",
        fields: [
          {
            field: "cloudInit.users[ops].passwordHash",
            desiredJson: JSON.stringify(HASH),
            actualJson: JSON.stringify("$6$old$bbbbbbbbbbbbbbbb"),
          },
          { field: "note", desiredJson: JSON.stringify(`uses ${HASH}`), actualJson: "" },
        ],
        source: "resync",
        detail: `seed had ${HASH}`,
      }).drift!,
    );
    expect(d.fields[0]).toEqual({ field: "cloudInit.users[ops].passwordHash", desired: REDACTED, actual: REDACTED });
    expect(JSON.stringify(d)).not.toContain("vfsalt");
    expect(JSON.stringify(d)).not.toContain("bbbbbbbbbbbbbbbb");
  });

  it("report changes and errors are stored redacted", () => {
    const r = validateReport(
      reportMsg({
        resources: [
          {
            kind: "volume",
            name: "p/s.iso",
            policy: "p",
            outcome: "changed",
            changesJson: JSON.stringify([
              { field: "cloudInit.users[ops].passwordHash", from: HASH, to: "$y$j9T$abcdefghijk", disruption: "live" },
            ]),
            error: "",
            pendingRestart: false,
          },
          {
            kind: "domain",
            name: "d",
            policy: "p",
            outcome: "failed",
            changesJson: "",
            error: `libvirt said ${HASH}`,
            pendingRestart: false,
          },
        ],
      }).report!,
    );
    const text = JSON.stringify(r);
    expect(text).not.toContain("vfsalt");
    expect(text).not.toContain("abcdefghijk");
    expect(JSON.parse(r.resources[0]!.changesJson)).toEqual([
      { field: "cloudInit.users[ops].passwordHash", from: REDACTED, to: REDACTED, disruption: "live" },
    ]);
  });
});

describe("cloud-init seed changes", () => {
  it("a changed password hash is reported by field, both values redacted; other fields show their values", () => {
    const before = renderSeed("web", cloudInit());
    const ci = cloudInit();
    ci.users[0]!.passwordHash = HASH;
    ci.users[0]!.sshAuthorizedKeys = [KEY_B];
    ci.hostname = "web-02";
    const after = renderSeed("web", ci);
    const changes = seedFieldChanges({ userData: before.userData, metaData: before.metaData }, after);
    expect(changes).toEqual([
      { field: "cloudInit.hostname", from: "web-01", to: "web-02", disruption: "live" },
      { field: "cloudInit.users[ansible].passwordHash", from: REDACTED, to: REDACTED, disruption: "live" },
      { field: "cloudInit.users[ansible].sshAuthorizedKeys", from: [KEY_A], to: [KEY_B], disruption: "live" },
    ]);
    expect(JSON.stringify(changes)).not.toContain("vfsalt");
  });

  it("an unreadable or hostile seed on disk yields no field changes (the instance-id change still rebuilds it)", () => {
    const seed = renderSeed("web", cloudInit());
    expect(seedFieldChanges({ userData: null, metaData: seed.metaData }, seed)).toEqual([]);
    const bomb =
      "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n";
    expect(seedFieldChanges({ userData: bomb, metaData: seed.metaData }, seed)).toEqual([]);
  });
});
