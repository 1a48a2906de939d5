import { createRequire } from "node:module";
import type * as X509 from "@peculiar/x509";

/** ECDSA P-256 with SHA-256: every key and signature virtfleet makes. */
export const SIGNING_ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

const require = createRequire(import.meta.url);
let lib: typeof X509 | undefined;

/**
 * @peculiar/x509, loaded on first use: it costs about 0.3 s at start-up, which CLI commands
 * that never touch a certificate should not pay. It needs a Reflect metadata polyfill loaded
 * first, and WebCrypto (Node's globalThis.crypto) as its provider; both are set up here, the
 * one way the rest of the code reaches the library.
 */
function load(): typeof X509 {
  if (!lib) {
    require("reflect-metadata");
    const loaded = require("@peculiar/x509") as typeof X509;
    loaded.cryptoProvider.set(globalThis.crypto as never);
    lib = loaded;
  }
  return lib;
}

/** The library's namespace (classes and functions resolve on first access). */
export const x509: typeof X509 = new Proxy({} as typeof X509, {
  get: (_target, key) => load()[key as keyof typeof X509],
});

// The types, under the same name as the value (a type-only namespace takes no value slot).
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace x509 {
  export type X509Certificate = X509.X509Certificate;
  export type PublicKey = X509.PublicKey;
  export type Extension = X509.Extension;
  export type Pkcs10CertificateRequest = X509.Pkcs10CertificateRequest;
  export type Name = X509.Name;
}
