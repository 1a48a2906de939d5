import { InvalidArgumentError } from "commander";

/**
 * A point in time given as ISO 8601 or as a duration ago ("90m", "2h", "7d"; units ms, s,
 * m, h, d). Returns ms since the epoch. Throws InvalidArgumentError (usage) otherwise.
 */
export function parseTimeOrAgo(value: string, parseDuration: (s: string) => number, now = Date.now()): number {
  const v = value.trim();
  const days = /^(\d+(?:\.\d+)?)d$/.exec(v);
  if (days) return now - Math.round(Number(days[1]) * 86_400_000);
  if (/^\d+(\.\d+)?(ms|s|m|h)$/.test(v)) return now - parseDuration(v);
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new InvalidArgumentError(`"${value}" is neither an ISO 8601 time nor a duration such as 30m, 2h, 7d`);
  return t;
}
