/**
 * The external programs of the Envoy benchmark: wrk (Debian package), fortio (pinned, installed into .cache/bin by
 * bench/scripts/install-fortio.sh), taskset, perf. Envoy itself comes from harness/envoy/tools.ts (provision.sh).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Absolute path of `command` on PATH, or undefined. */
export function which(command: string): string | undefined {
  const run = spawnSync("sh", ["-c", 'command -v "$0"', command], { encoding: "utf8" });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

/** stdout + stderr of a short command (for version strings). */
export function commandOutput(command: string, args: string[]): string {
  const run = spawnSync(command, args, { encoding: "utf8" });
  return `${run.stdout ?? ""}${run.stderr ?? ""}`.trim();
}

export function requireWrk(): string {
  const wrk = which("wrk");
  if (!wrk) throw new Error("wrk is not installed (Debian: apt-get install -y wrk)");
  return wrk;
}

/** Installs the pinned fortio if needed and returns its path. */
export function installFortio(): string {
  const run = spawnSync("bash", [path.join(root, "bench", "scripts", "install-fortio.sh")], { encoding: "utf8", timeout: 900_000 });
  if (run.status !== 0) throw new Error(`bench/scripts/install-fortio.sh failed (exit ${run.status ?? run.signal}):\n${run.stderr}`.trimEnd());
  return run.stdout.trim().split("\n").pop()!;
}

/** `wrk debian/4.1.0-3+b2` from `wrk -v`. */
export function wrkVersion(wrk: string): string {
  return commandOutput(wrk, ["-v"]).split("\n")[0]!.replace(/\s*\[.*$/, "").replace(/ Copyright.*$/, "");
}

export function fortioVersion(fortio: string): string {
  return commandOutput(fortio, ["version"]).split("\n")[0]!;
}
