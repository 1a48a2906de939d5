import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { VirtfleetError } from "../../common/index.js";

/**
 * Headers on every dashboard response: no inline script or style (CSP), no framing, no
 * Referer sent anywhere (a sign-in link must not leak through it), no type sniffing.
 */
export const SECURITY_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
});

/** Largest POST body read (url-encoded forms are small). */
export const MAX_FORM_BYTES = 64 * 1024;

/** A request the server refuses before any route runs (too large, wrong content type). */
export class WebRequestError extends VirtfleetError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super("WEB_REQUEST", message);
  }
}

/** The cookies of a request, by name (the first of each name wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** A POST's url-encoded form, at most MAX_FORM_BYTES. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded" && type !== "")
    throw new WebRequestError(415, "forms are sent as application/x-www-form-urlencoded");
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_FORM_BYTES) throw new WebRequestError(413, "the form is too large");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new WebRequestError(413, "the form is too large");
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** Sends a complete response with the security headers. */
export function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: OutgoingHttpHeaders = {},
  head = false,
): void {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  res.writeHead(status, { "content-length": bytes.length, ...headers });
  res.end(head ? undefined : bytes);
}
