import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../../common/postgres/index.js";
import { ControllerStore, parseStoreOption } from "../../../controller/database/index.js";
import { PrivatePostgres } from "../../harness/private-postgres.js";
import { makeTestCa } from "../../harness/test-ca.js";

/**
 * `--store postgres://…?sslmode=verify-full&sslrootcert=FILE` against a server of the test's
 * own that serves TLS with a certificate for 127.0.0.1 only and takes passwords only over
 * TLS: the controller store connects with the password from --store-password-file; another
 * CA, a host name the certificate does not hold, no TLS, or an unreadable sslrootcert are
 * refused with a StoreUnavailableError that names the problem and never the password.
 */
const SECRET = `pw-${randomBytes(8).toString("hex")}`;
const ROLE = `vft_tls_${randomBytes(3).toString("hex")}`;
let pg: PrivatePostgres;
let dir: string;
let passwordFile: string;
let otherCa: string;

beforeAll(async () => {
  pg = await PrivatePostgres.start({ tls: { names: ["127.0.0.1"] } });
  await pg.createRole(ROLE, SECRET);
  dir = mkdtempSync(join(tmpdir(), "vft-pgtls-"));
  passwordFile = join(dir, "pg-password");
  writeFileSync(passwordFile, `${SECRET}\n`, { mode: 0o600 });
  otherCa = makeTestCa(dir, "other").cert;
}, 60_000);

afterAll(async () => {
  await pg?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

const url = (host: string, query: string): string => `postgres://${ROLE}@${host}:${pg.port}/${ROLE}?${query}`;
const verifyFull = (ca: string, host = "127.0.0.1"): string =>
  url(host, `sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`);

async function connect(storeUrl: string): Promise<ControllerStore> {
  const data = mkdtempSync(join(dir, "data-"));
  return ControllerStore.connect(parseStoreOption(storeUrl, data, passwordFile), data, { poolMax: 2 });
}

async function refusal(storeUrl: string): Promise<StoreUnavailableError> {
  const err = await connect(storeUrl).then(
    async (store) => {
      await store.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreUnavailableError);
  const e = err as StoreUnavailableError;
  expect(e.message).not.toContain(SECRET);
  expect(e.message).toContain(`${ROLE}@`);
  return e;
}

describe("sslmode=verify-full against a TLS PostgreSQL", () => {
  it("connects with the server's CA as sslrootcert and the password from the file, over TLS", async () => {
    const store = await connect(verifyFull(pg.caFile));
    try {
      const row = await store.db.get<{ ssl: boolean; u: string }>(
        "SELECT ssl, current_user AS u FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
      );
      expect(row).toEqual({ ssl: true, u: ROLE });
      // the store's schema was created over that connection
      expect(await store.db.get("SELECT count(*) AS n FROM hosts")).toEqual({ n: 0 });
    } finally {
      await store.close();
    }
  }, 30_000);

  it("refuses a server whose certificate another CA signed", async () => {
    const e = await refusal(verifyFull(otherCa));
    expect(e.reason).toBe("tls");
    expect(e.message).toMatch(/the server's certificate is not signed by the CA in the URL's sslrootcert file/);
  }, 30_000);

  it("refuses without sslrootcert (the system's CAs do not know the server's)", async () => {
    const e = await refusal(url("127.0.0.1", "sslmode=verify-full"));
    expect(e.reason).toBe("tls");
    expect(e.message).toMatch(/not signed by the CA/);
  }, 30_000);

  it("refuses a host name the certificate does not hold", async () => {
    const e = await refusal(verifyFull(pg.caFile, "localhost"));
    expect(e.reason).toBe("tls");
    expect(e.message).toMatch(/the server's certificate does not name the host in --store/);
    expect(e.message).toContain("localhost");
  }, 30_000);

  it("refuses a connection without TLS to a server that takes this user only over TLS", async () => {
    const e = await refusal(url("127.0.0.1", "sslmode=disable"));
    expect(e.reason).toBe("tls");
    expect(e.message).toMatch(/refused this user without TLS/);
  }, 30_000);

  it("an unreadable sslrootcert is a configuration error naming the file, not an unreachable server", async () => {
    const missing = join(dir, "no-such-ca.pem");
    const e = await refusal(verifyFull(missing));
    expect(e.reason).toBe("config");
    expect(e.message).toContain(missing);
  }, 30_000);
});
