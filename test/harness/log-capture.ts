import { Writable } from "node:stream";
import { pino } from "pino";
import { loggerOptions } from "../../common/index.js";

/**
 * A logger made with the agent's and controller's own options (so their redaction applies)
 * whose lines are kept in memory: `text()` is everything logged so far, one JSON line each.
 */
export function captureLog(name = "test", level = "debug"): { log: pino.Logger; text: () => string } {
  let out = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return { log: pino(loggerOptions(name, level), stream), text: () => out };
}
