import type { ServerResponse } from "node:http";

/** A comment line sent this often keeps proxies and the browser from timing the stream out. */
export const SSE_KEEPALIVE_MS = 15_000;
/** A client that lets this much pile up unread is cut off (its stream ends; the browser reconnects). */
export const SSE_MAX_BUFFERED_BYTES = 1024 * 1024;

/** One `event:`/`data:` frame; data lines are split so a newline in data cannot start a new field. */
export function sseFrame(event: string, data: string): string {
  const name = event.replace(/[\r\n]/g, "");
  const lines = data.split(/\r\n|\r|\n/).map((l) => `data: ${l}\n`);
  return `event: ${name}\n${lines.join("")}\n`;
}

/**
 * Serves one server-sent event stream: headers, keep-alive comments every SSE_KEEPALIVE_MS,
 * `stream(send, signal)` until it resolves or the client goes away (signal aborted). A client
 * whose unread data passes SSE_MAX_BUFFERED_BYTES is disconnected (bounded memory per stream).
 * Never rejects: an error in `stream` ends the response.
 */
export async function serveEvents(
  res: ServerResponse,
  signal: AbortSignal,
  abort: () => void,
  stream: (send: (event: string, data: string) => void, signal: AbortSignal) => Promise<void>,
  onError: (err: unknown) => void,
): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    "x-accel-buffering": "no",
  });
  res.write(": stream open\n\n");
  const write = (text: string) => {
    if (signal.aborted || res.writableEnded) return;
    if (res.writableLength > SSE_MAX_BUFFERED_BYTES) {
      abort();
      res.destroy();
      return;
    }
    res.write(text);
  };
  const keepAlive = setInterval(() => write(": keep-alive\n\n"), SSE_KEEPALIVE_MS);
  keepAlive.unref();
  try {
    await stream((event, data) => write(sseFrame(event, data)), signal);
  } catch (err) {
    if (!signal.aborted) onError(err);
  } finally {
    clearInterval(keepAlive);
    if (!res.writableEnded) res.end();
  }
}
