import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

/** One reading of a process's memory and CPU counters from /proc (Linux). */
export interface ProcSample {
  /** Date.now() when read. */
  at: number;
  /** VmRSS, RssAnon, RssFile and VmHWM (peak RSS since start or the last reset) in KiB. */
  rssKb: number;
  rssAnonKb: number;
  rssFileKb: number;
  hwmKb: number;
  /** utime + stime of the process itself, in clock ticks. */
  ticks: number;
  /** cutime + cstime: CPU of children it waited for (e.g. `ip`), in clock ticks. */
  childTicks: number;
}

/** Clock ticks per second (`getconf CLK_TCK`; 100 on every common Linux). */
export function clockTicks(): number {
  try {
    const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // fall through
  }
  return 100;
}

function statusKb(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return m ? Number(m[1]) : 0;
}

/** Reads /proc/PID/status and /proc/PID/stat; throws when the process is gone. */
export function sampleProc(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // comm (field 2) may hold spaces and parentheses: count fields after the last ')'
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // f[0] is field 3 (state); utime/stime/cutime/cstime are fields 14-17
  const n = (i: number) => Number(f[i - 3]);
  return {
    at: Date.now(),
    rssKb: statusKb(status, "VmRSS"),
    rssAnonKb: statusKb(status, "RssAnon"),
    rssFileKb: statusKb(status, "RssFile"),
    hwmKb: statusKb(status, "VmHWM"),
    ticks: n(14) + n(15),
    childTicks: n(16) + n(17),
  };
}

/** Resets VmHWM (peak RSS) of PID to its current RSS (`echo 5 > /proc/PID/clear_refs`, Linux ≥ 4.0, needs root or ptrace rights). False when refused. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Least-squares slope of y over x (0 with fewer than two distinct x). */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
