/** A loopback-only HTTP server for import tests; counts requests per path. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  url(path: string): string;
  hits: Map<string, number>;
  route(path: string, h: Handler): void;
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const h = routes.get(path);
    if (h) h(req, res);
    else res.writeHead(404).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    hits,
    route: (path, h) => routes.set(path, h),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves `body` with a Content-Length. */
export const serveBytes =
  (body: Buffer): Handler =>
  (_req, res) => {
    res.writeHead(200, { "content-length": body.length, "content-type": "application/octet-stream" });
    res.end(body);
  };

/** Serves `body` in `chunks` pieces, `gapMs` apart, without a Content-Length (chunked). */
export const serveSlowly =
  (body: Buffer, chunks: number, gapMs: number): Handler =>
  (_req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    const size = Math.ceil(body.length / chunks);
    let i = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      res.write(body.subarray(i * size, (i + 1) * size));
      if (++i >= chunks) {
        clearInterval(timer);
        res.end();
      }
    }, gapMs);
    res.on("close", () => clearInterval(timer));
  };
