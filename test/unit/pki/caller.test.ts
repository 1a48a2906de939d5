import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPair } from "../../../common/pki/index.js";
import { callerOf, installPeerAuthority, INSECURE_CALLER } from "../../../controller/auth/index.js";
import { CertificateAuthority, PeerVerifier } from "../../../controller/pki/index.js";
import { tempDir } from "../../harness/processes.js";

const dir = tempDir("vft-caller-");
let ca: CertificateAuthority;
let uninstall: (() => void) | undefined;

beforeAll(async () => {
  ca = await CertificateAuthority.open(dir.path);
  return () => dir.cleanup();
});
afterEach(() => uninstall?.());

/** A call as grpc-js hands it to a handler: the verified TLS peer certificate, or none. */
const callWith = (raw?: Uint8Array) => ({
  getAuthContext: () => (raw ? { transportSecurityType: "ssl", sslPeerCertificate: { raw } } : {}),
});

async function cert(subject: string) {
  const keys = await generateKeyPair();
  return new Uint8Array(
    (await ca.issue({ subject, publicKey: keys.publicKey, ttlMs: 60_000, usage: "client" })).rawData,
  );
}

describe("callerOf", () => {
  it("is anonymous until a controller installs how to check peers", () => {
    expect(callerOf(callWith())).toMatchObject({ kind: "anonymous" });
  });

  it("is the insecure admin for every call of an --insecure controller", () => {
    uninstall = installPeerAuthority("insecure");
    expect(callerOf(callWith())).toBe(INSECURE_CALLER);
  });

  it("takes the identity from the verified certificate: agent, admin with its role, nobody", async () => {
    const verifier = new PeerVerifier(ca.certPem, { isRevoked: () => false, issuedWithFingerprint: () => undefined });
    uninstall = installPeerAuthority({ verifyPeer: (der) => verifier.verify(der) });
    expect(callerOf(callWith(await cert("CN=kvm01, O=virtfleet-agent")))).toEqual({ kind: "agent", host: "kvm01" });
    expect(callerOf(callWith(await cert("CN=alice, O=virtfleet-admin, OU=viewer")))).toEqual({
      kind: "admin",
      name: "alice",
      role: "viewer",
    });
    expect(callerOf(callWith(await cert("CN=mallory, O=virtfleet-admin, OU=root")))).toMatchObject({
      kind: "anonymous",
      reason: expect.stringMatching(/unknown role/),
    });
    expect(callerOf(callWith(await cert("CN=x, O=someone")))).toMatchObject({ kind: "anonymous" });
    expect(callerOf(callWith())).toMatchObject({
      kind: "anonymous",
      reason: expect.stringMatching(/no valid client certificate/),
    });
  });

  it("an uninstalled authority stops answering for that controller", () => {
    const off = installPeerAuthority("insecure");
    off();
    expect(callerOf(callWith())).toMatchObject({ kind: "anonymous" });
  });
});
