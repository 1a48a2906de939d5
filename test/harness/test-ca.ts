import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A throwaway CA's files (PEM), made by `makeTestCa`. */
export interface TestCa {
  cert: string;
  key: string;
}

/** A new throwaway CA (P-256, valid 2 days) in `dir` as NAME.ca.pem / NAME.ca.key (0600). */
export function makeTestCa(dir: string, name: string): TestCa {
  const ca = { cert: join(dir, `${name}.ca.pem`), key: join(dir, `${name}.ca.key`) };
  openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    ca.key,
    "-out",
    ca.cert,
    "-days",
    "2",
    "-subj",
    `/CN=${name} test CA`,
  ]);
  chmodSync(ca.key, 0o600);
  return ca;
}

/**
 * A server certificate issued by `ca` for `names` (IP addresses and DNS names, as
 * subjectAltNames), in `dir` as NAME.pem / NAME.key (0600).
 */
export function issueServerCert(ca: TestCa, dir: string, name: string, names: readonly string[]): TestCa {
  const out = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
  writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  openssl([
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    out.key,
    "-out",
    csr,
    "-subj",
    `/CN=${names[0] ?? name}`,
  ]);
  openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-CAcreateserial",
    "-out",
    out.cert,
    "-days",
    "2",
    "-extfile",
    ext,
  ]);
  chmodSync(out.key, 0o600);
  return out;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
}
