import type { Command } from "commander";

/** `30000` → `30s`, `300000` → `5m`, `5400000` → `90m`, `250` → `250ms`: the largest unit that divides exactly. */
export function durationText(ms: number): string {
  if (ms === 0) return "0";
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/**
 * `--help` shows defaults as a user would type them, for every command (run once by
 * cli/program.ts): a `<duration>` option's default in ms as `30s`/`5m`, a `<host:port>`
 * option's parsed address as `127.0.0.1:7443`. Options that
 * describe their default themselves are left alone.
 */
export function describeDefaults(cmd: Command): void {
  for (const c of cmd.commands) describeDefaults(c);
  for (const o of cmd.options) {
    if (o.defaultValueDescription !== undefined || o.defaultValue === undefined) continue;
    const v: unknown = o.defaultValue;
    if (typeof v === "number" && o.flags.includes("<duration>")) o.defaultValueDescription = durationText(v);
    else if (v !== null && typeof v === "object" && "host" in v && "port" in v) {
      const { host, port } = v as { host: string; port: number };
      o.defaultValueDescription = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    }
  }
}
