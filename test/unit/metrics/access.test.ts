import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OptionError } from "../../../common/index.js";
import { decideAccess, isLoopbackPeer, readMetricsToken } from "../../../controller/metrics/index.js";

const token = "a-metrics-token-of-32-characters";
const cert = new Uint8Array([1, 2, 3]);
const req = (over: Partial<Parameters<typeof decideAccess>[1]> = {}) => ({
  remoteAddress: "127.0.0.1",
  authorization: undefined,
  peerCertificate: undefined,
  ...over,
});

describe("who may read /metrics", () => {
  it("serves loopback peers only when no token is configured", () => {
    for (const a of ["127.0.0.1", "127.9.8.7", "::1", "::ffff:127.0.0.1"])
      expect(decideAccess({}, req({ remoteAddress: a }))).toEqual({ ok: true, via: "loopback" });
    for (const a of ["192.0.2.2", "::ffff:192.0.2.2", "fd00::2", "localhost", undefined]) {
      const v = decideAccess({}, req({ remoteAddress: a }));
      expect(v).toMatchObject({ ok: false, status: 403 });
    }
    // a bearer token means nothing when none is configured
    expect(decideAccess({}, req({ remoteAddress: "192.0.2.2", authorization: `Bearer ${token}` }))).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it("with a token: the right bearer token from anywhere, 401 for everything else, loopback included", () => {
    const access = { token };
    expect(decideAccess(access, req({ remoteAddress: "192.0.2.2", authorization: `Bearer ${token}` }))).toEqual({
      ok: true,
      via: "token",
    });
    expect(decideAccess(access, req({ authorization: `bearer   ${token} ` }))).toMatchObject({ ok: true });
    for (const authorization of [
      undefined,
      `Bearer ${token}x`,
      `Bearer ${token.slice(1)}`,
      `Basic ${token}`,
      token,
      "Bearer",
    ]) {
      const v = decideAccess(access, req({ authorization }));
      expect(v).toMatchObject({ ok: false, status: 401 });
      if (!v.ok) expect(v.reason).not.toContain(token.slice(0, 8));
    }
  });

  it("a client certificate the controller accepts opens it from anywhere; a refused one does not", () => {
    const seen: Uint8Array[] = [];
    const accept = (der: Uint8Array) => {
      seen.push(der);
      return der[0] === 1;
    };
    expect(
      decideAccess({ token, clientCertificate: accept }, req({ remoteAddress: "192.0.2.2", peerCertificate: cert })),
    ).toEqual({
      ok: true,
      via: "certificate",
    });
    expect(seen).toEqual([cert]);
    const refused = new Uint8Array([9]);
    expect(
      decideAccess({ clientCertificate: accept }, req({ remoteAddress: "192.0.2.2", peerCertificate: refused })),
    ).toMatchObject({
      ok: false,
      status: 403,
    });
    // --insecure: no certificate rule at all
    expect(decideAccess({}, req({ remoteAddress: "192.0.2.2", peerCertificate: cert }))).toMatchObject({ ok: false });
  });

  it("isLoopbackPeer reads socket addresses, not host names", () => {
    expect(isLoopbackPeer("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopbackPeer("localhost")).toBe(false);
    expect(isLoopbackPeer("")).toBe(false);
  });
});

describe("--metrics-token-file", () => {
  const dir = mkdtempSync(join(tmpdir(), "vf-metrics-token-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string, mode: number) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    chmodSync(p, mode);
    return p;
  };

  it("reads a private file's token without its surrounding whitespace", async () => {
    expect(await readMetricsToken(file("ok", `  ${token}\n`, 0o600))).toBe(token);
    expect(await readMetricsToken(file("ro", token, 0o400))).toBe(token);
  });

  it("refuses files others can read, symlinks, short or multi-word tokens, naming the option and never the content", async () => {
    const cases: [string, RegExp][] = [
      [file("group", token, 0o640), /accessible by group/],
      [file("short", "tooshort", 0o600), /shorter than 16 bytes/],
      [file("words", `${token} second-${token}`, 0o600), /whitespace/],
      [join(dir, "missing"), /does not exist/],
    ];
    const link = join(dir, "link");
    symlinkSync(join(dir, "ok"), link);
    cases.push([link, /symbolic link/]);
    for (const [path, why] of cases) {
      const err = await readMetricsToken(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OptionError);
      expect((err as Error).message).toMatch(/^--metrics-token-file: /);
      expect((err as Error).message).toMatch(why);
      expect((err as Error).message).not.toContain(token);
    }
  });
});
