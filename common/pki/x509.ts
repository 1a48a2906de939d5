// @peculiar/x509 needs a Reflect metadata polyfill loaded before it; this module is the one
// way the rest of the code reaches the library, so the order holds everywhere.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(globalThis.crypto);

/** ECDSA P-256 with SHA-256: every key and signature virtfleet makes. */
export const SIGNING_ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export { x509 };
