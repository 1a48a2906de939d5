import type { EventBody } from "./controller-link.js";

/**
 * Largest JSON size of one event the agent sends; well under the 4 MiB gRPC message limit,
 * so an outbox entry can never be refused for its size and block the entries behind it.
 */
export const MAX_EVENT_JSON_BYTES = 2 * 1024 * 1024;
const CLIPPED_ERROR_CHARS = 256;

/**
 * Returns `body` unchanged when it fits; otherwise a report with error texts clipped and,
 * if that is not enough, field changes left out (outcomes are kept: they are what the
 * controller's compliance needs), or a drift event with its fields left out. Returns null
 * when even that does not fit (the entry is then dropped and counted by the caller).
 */
export function fitEvent(body: EventBody, max = MAX_EVENT_JSON_BYTES): EventBody | null {
  const size = (b: EventBody) => Buffer.byteLength(JSON.stringify(b), "utf8");
  if (size(body) <= max) return body;
  if ("report" in body) {
    const resources = body.report.resources ?? [];
    const clipped: EventBody = {
      report: {
        ...body.report,
        resources: resources.map((r) => ({
          ...r,
          error:
            typeof r.error === "string" && r.error.length > CLIPPED_ERROR_CHARS
              ? `${r.error.slice(0, CLIPPED_ERROR_CHARS - 1)}…`
              : r.error,
        })),
      },
    };
    if (size(clipped) <= max) return clipped;
    const bare: EventBody = {
      report: {
        ...clipped.report,
        resources: (clipped as { report: { resources: typeof resources } }).report.resources.map((r) => ({
          ...r,
          changesJson: "[]",
        })),
      },
    };
    return size(bare) <= max ? bare : null;
  }
  const bare: EventBody = { drift: { ...body.drift, fields: [], detail: "fields left out: too large to send" } };
  return size(bare) <= max ? bare : null;
}
