import type * as grpc from "@grpc/grpc-js";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { OptionError, VirtfleetError } from "../common/errors.js";
import { channelCredentials } from "../common/grpc/credentials.js";
import { ADMIN_DIR, ADMIN_FILES, DEFAULT_CONTROLLER_DATA_DIR } from "../controller/defaults.js";

/**
 * Where the CLI finds its admin credential, like a kubeconfig: `--data DIR` (set by main.ts on
 * every admin command), else env VIRTFLEET_DATA, else the controller's default data folder.
 * DIR is the controller's data folder (the credential is in DIR/admin/) or a folder holding
 * key.pem, cert.pem and ca.pem itself (e.g. one written from `virtfleet admin create`).
 */
let dataDirFlag: string | undefined;

export function useAdminDataDir(dir: string | undefined): void {
  dataDirFlag = dir;
}

export function adminDataDir(): { dir: string; from: string } {
  if (dataDirFlag) return { dir: dataDirFlag, from: "--data" };
  if (process.env.VIRTFLEET_DATA) return { dir: process.env.VIRTFLEET_DATA, from: "VIRTFLEET_DATA" };
  return { dir: DEFAULT_CONTROLLER_DATA_DIR, from: "the default data folder" };
}

/** The admin credential's three PEM files; a missing one is an OptionError saying where it looked and what to do. */
export function loadAdminCredential(): { caPem: string; certPem: string; keyPem: string } {
  const { dir, from } = adminDataDir();
  const candidates = [join(dir, ADMIN_DIR), dir];
  const found = candidates.find(
    (d) =>
      existsSync(join(d, ADMIN_FILES.cert)) &&
      existsSync(join(d, ADMIN_FILES.key)) &&
      existsSync(join(d, ADMIN_FILES.ca)),
  );
  if (!found) {
    throw new OptionError(
      "--data",
      `no admin credential in ${resolve(dir, ADMIN_DIR)} (${from}): the controller writes one there on its first start; ` +
        "point --data (or VIRTFLEET_DATA) at the controller's data folder, or pass --insecure for a controller started with --insecure",
    );
  }
  const read = (name: string) => readFileSync(join(found, name), "utf8");
  return { caPem: read(ADMIN_FILES.ca), certPem: read(ADMIN_FILES.cert), keyPem: read(ADMIN_FILES.key) };
}

/** Channel credentials for admin calls: plaintext with --insecure, else mTLS with the admin credential. */
export function adminChannelCredentials(insecure: boolean): grpc.ChannelCredentials {
  return insecure
    ? channelCredentials({ insecure: true })
    : channelCredentials({ insecure: false, tls: loadAdminCredential() });
}

/** The controller refused the CLI's credential (UNAUTHENTICATED): none, expired, revoked or from another controller. */
export class NotAuthenticatedError extends VirtfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("UNAUTHENTICATED", message, options);
  }
}

/**
 * More words for an unreachable controller when TLS may be on one side only: a plaintext
 * client sees a TLS controller as "Failed to connect", a TLS client a plaintext one as a
 * broken handshake.
 */
export function transportHint(details: string, insecure: boolean): string {
  if (insecure) {
    return /failed to connect|connection dropped|ECONNRESET|socket|protocol/i.test(details)
      ? " — if the controller was started without --insecure it only speaks TLS: drop --insecure and pass --data (or VIRTFLEET_DATA)"
      : "";
  }
  if (
    !/ssl|tls|certificate|handshake|wrong version|ECONNRESET|Connection dropped|socket closed|protocol/i.test(details)
  )
    return "";
  return " — the TLS handshake failed: a controller started with --insecure speaks plaintext (then pass --insecure), or the admin credential in --data is from another controller";
}
