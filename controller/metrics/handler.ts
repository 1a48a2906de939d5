import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { describeError, type Logger } from "../../common/index.js";
import { decideAccess, type MetricsAccess } from "./access.js";

/** A raw HTTP handler (the web listener mounts it at /metrics, before its own session checks). */
export type MetricsRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** What the handler serves: ControllerMetrics. */
export interface MetricsSource {
  scrape(): Promise<{ contentType: string; body: string }>;
}

/**
 * GET (or HEAD) /metrics: the exposition text, after `decideAccess` (access.ts). Refusals are
 * 401 (with `WWW-Authenticate: Bearer`) or 403 with a plain-text reason that repeats nothing the
 * client sent; a failed scrape is 500 (logged). Never throws, never rejects.
 */
export function metricsHandler(metrics: MetricsSource, access: MetricsAccess, log?: Logger): MetricsRequestHandler {
  return async (req, res) => {
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        send(res, 405, "only GET and HEAD are served here\n", { allow: "GET, HEAD" });
        return;
      }
      const verdict = decideAccess(access, {
        remoteAddress: req.socket.remoteAddress,
        authorization: req.headers.authorization,
        peerCertificate: peerCertificateOf(req),
      });
      if (!verdict.ok) {
        log?.warn({ peer: req.socket.remoteAddress, status: verdict.status }, "metrics request refused");
        send(
          res,
          verdict.status,
          `${verdict.reason}\n`,
          verdict.status === 401 ? { "www-authenticate": 'Bearer realm="virtfleet metrics"' } : {},
        );
        return;
      }
      const { contentType, body } = await metrics.scrape();
      send(res, 200, req.method === "HEAD" ? "" : body, { "content-type": contentType });
    } catch (err) {
      log?.error({ err: describeError(err) }, "serving metrics failed");
      if (!res.headersSent) send(res, 500, "metrics are unavailable (see the controller's log)\n");
      else res.destroy();
    }
  };
}

/** The certificate the TLS peer presented (DER), or undefined (plain HTTP, or none presented). */
function peerCertificateOf(req: IncomingMessage): Uint8Array | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true || typeof socket.getPeerCertificate !== "function") return undefined;
  const cert = socket.getPeerCertificate(false);
  return cert && Buffer.isBuffer(cert.raw) && cert.raw.length > 0 ? cert.raw : undefined;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(body);
}
