/**
 * The opening exchange on a fresh socket: authentication, CONNECT_OPEN, and whether the
 * daemon speaks keepalive.
 *
 * Contract: `handshake()` resolves once auth (none, or polkit when the daemon offers
 * only that) and CONNECT_OPEN of `uri` succeeded, telling whether the daemon supports
 * the keepalive program. It rejects with `LibvirtConnectionError` reason
 * `auth-unsupported` when the daemon requires SASL, or with the failing call's error.
 */
import { AUTH_TYPE_LIST_MAX, AuthType, DrvFeature, Proc, STRING_MAX } from "../constants.js";
import { LibvirtConnectionError } from "../errors.js";
import type { ArgsEncoder, CallOptions, ReplyDecoder } from "./calls.js";

/** A call on the socket being set up (it is not `ready` yet). */
export type SetupCall = <T>(
  procedure: number,
  encode: ArgsEncoder | null,
  decode: ReplyDecoder<T> | null,
  options: CallOptions,
) => Promise<T>;

export async function handshake(
  call: SetupCall,
  o: { socketPath: string; uri: string; callTimeoutMs: number },
): Promise<{ keepalive: boolean }> {
  const opts = { timeoutMs: o.callTimeoutMs };
  const auth = await call(Proc.AUTH_LIST, null, (r) => r.array(AUTH_TYPE_LIST_MAX, (x) => x.int()), opts);
  if (!auth.includes(AuthType.NONE)) {
    if (auth.includes(AuthType.POLKIT)) {
      await call(Proc.AUTH_POLKIT, null, (r) => r.int(), opts);
    } else {
      throw new LibvirtConnectionError(
        "auth-unsupported",
        o.socketPath,
        `libvirtd on ${o.socketPath} requires SASL authentication, which this client does not implement; configure auth_unix_rw = "none" or "polkit"`,
      );
    }
  }
  await call(
    Proc.CONNECT_OPEN,
    (w) => {
      w.optional(o.uri, (x, s) => x.string(s, STRING_MAX));
      w.uint(0);
    },
    null,
    opts,
  );
  const keepalive = await call(
    Proc.CONNECT_SUPPORTS_FEATURE,
    (w) => w.int(DrvFeature.PROGRAM_KEEPALIVE),
    (r) => r.int(),
    opts,
  );
  return { keepalive: keepalive === 1 };
}
