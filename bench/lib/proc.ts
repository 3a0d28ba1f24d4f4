/**
 * Process accounting from /proc (Linux): CPU time and resident memory of a process, and the CPU time of the
 * children a process has waited for. Used to compute Envoy CPU per request (Δ(utime+stime) / Δ requests) and to
 * check that the load generator was not the bottleneck.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let clockTicks: number | undefined;

/** `sysconf(_SC_CLK_TCK)`: the unit of the times in /proc/<pid>/stat (100 on Linux x86-64). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** The fields of a /proc/<pid>/stat line after the `(comm)` field (which may contain spaces), from field 3 on. */
function statFields(line: string): string[] {
  const close = line.lastIndexOf(")");
  if (close < 0) throw new Error(`unexpected /proc stat line: ${line.slice(0, 80)}`);
  return line.slice(close + 2).trim().split(/\s+/);
}

export interface CpuTimes {
  /** utime + stime of the process itself (all threads), in seconds. */
  self: number;
  /** cutime + cstime: children the process has waited for, in seconds. */
  children: number;
}

/** CPU times from one /proc/<pid>/stat line (fields 14–17, 1-based). */
export function parseCpuTimes(statLine: string): CpuTimes {
  const fields = statFields(statLine);
  // statFields()[0] is field 3 (state); utime is field 14 → index 11.
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  if (![utime, stime, cutime, cstime].every((v) => Number.isFinite(v))) {
    throw new Error(`cannot read CPU times from /proc stat line: ${statLine.slice(0, 120)}`);
  }
  const hz = clockTicksPerSecond();
  return { self: (utime! + stime!) / hz, children: (cutime! + cstime!) / hz };
}

export function cpuTimes(pid: number): CpuTimes {
  return parseCpuTimes(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/** VmRSS of a process in bytes. */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
