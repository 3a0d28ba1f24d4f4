/**
 * The two load generators, each run pinned to one CPU through `sh -c`, which reports the generator's own CPU
 * time afterwards (cutime + cstime of the shell once it has waited for the generator: /proc/<sh>/stat).
 *
 * - wrk 4.1 (Debian): closed loop, the fastest generator available — saturation throughput. Its latency
 *   percentiles are closed-loop service times (coordinated omission), reported only as an indication.
 * - fortio (Istio's tool, pinned by bench/scripts/install-fortio.sh): fixed rate (`-qps`, `-uniform`) for CPU
 *   per request and latency at a moderate load.
 *
 * Both use HTTP/1.1 keep-alive, a fixed number of connections and the benchmark request (no body).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseCpuTimes } from "./proc";

const WRK_SCRIPT = fileURLToPath(new URL("./wrk-summary.lua", import.meta.url));

export interface LoadRequest {
  port: number;
  method: string;
  path: string;
  authority: string;
  headers: ReadonlyArray<readonly [string, string]>;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Responses with a status other than 2xx. */
  non2xx: number;
  /** Connect/read/write errors and timeouts. */
  socketErrors: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** CPU seconds the generator used. */
  loadgenCpuSeconds: number;
  /** loadgenCpuSeconds / wall seconds (1 = one core). */
  loadgenCpuShare: number;
}

interface Run {
  stdout: string;
  stderr: string;
  cpuSeconds: number;
  wallSeconds: number;
}

const STAT_MARKER = "LOADGEN_STAT ";

/** Runs `argv` (pinned to `cpu` with taskset when given) and returns its output and CPU time. */
function runMeasured(argv: string[], cpu: number | undefined, timeoutMs: number): Promise<Run> {
  const script = `${cpu === undefined ? '"$@"' : 'taskset -c "$0" "$@"'}; s=$?; printf '\\n${STAT_MARKER}'; cat /proc/$$/stat; exit $s`;
  const args = ["-c", script, cpu === undefined ? "sh" : String(cpu), ...argv];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn("sh", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${argv[0]}: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const at = stdout.lastIndexOf(STAT_MARKER);
      if (code !== 0 || at < 0) {
        reject(new Error(`${argv[0]} failed (exit ${code ?? signal}): ${(stderr || stdout).trim().slice(-2000)}`));
        return;
      }
      const cpuSeconds = parseCpuTimes(stdout.slice(at + STAT_MARKER.length).trim()).children;
      resolve({ stdout: stdout.slice(0, at), stderr, cpuSeconds, wallSeconds });
    });
  });
}

function headerArgs(request: LoadRequest): string[] {
  const args = ["-H", `Host: ${request.authority}`];
  for (const [name, value] of request.headers) args.push("-H", `${name}: ${value}`);
  return args;
}

function url(request: LoadRequest): string {
  return `http://127.0.0.1:${request.port}${request.path}`;
}

interface WrkSummary {
  requests: number;
  durationUs: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
}

/** Parses the WRK_JSON line and wrk's "Non-2xx or 3xx responses" line (3xx counts as non-2xx here). */
export function parseWrkOutput(stdout: string): { summary: WrkSummary; non2xxOr3xx: number } {
  const line = stdout.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (!line) throw new Error(`wrk printed no summary (is bench/lib/wrk-summary.lua loaded?):\n${stdout.slice(-1000)}`);
  const summary = JSON.parse(line.slice("WRK_JSON ".length)) as WrkSummary;
  const non2xx = /Non-2xx or 3xx responses:\s*(\d+)/.exec(stdout);
  return { summary, non2xxOr3xx: non2xx ? Number(non2xx[1]) : 0 };
}

/** Closed-loop saturation run: `wrk -t1 -c<connections> -d<seconds>s`. */
export async function runWrk(
  wrk: string,
  request: LoadRequest,
  options: { connections: number; seconds: number; cpu?: number },
): Promise<LoadResult> {
  if (request.method !== "GET") throw new Error(`runWrk: only GET is supported, got ${request.method}`);
  const argv = [
    wrk,
    "-t1",
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--timeout",
    "5s",
    "-s",
    WRK_SCRIPT,
    ...headerArgs(request),
    url(request),
  ];
  const run = await runMeasured(argv, options.cpu, (options.seconds + 30) * 1000);
  const { summary, non2xxOr3xx } = parseWrkOutput(run.stdout);
  const seconds = summary.durationUs / 1e6;
  return {
    requests: summary.requests,
    seconds,
    rps: summary.requests / seconds,
    non2xx: Math.max(non2xxOr3xx, summary.statusErrors),
    socketErrors: summary.connectErrors + summary.readErrors + summary.writeErrors + summary.timeouts,
    p50Ms: summary.p50Us / 1000,
    p90Ms: summary.p90Us / 1000,
    p99Ms: summary.p99Us / 1000,
    loadgenCpuSeconds: run.cpuSeconds,
    loadgenCpuShare: run.cpuSeconds / run.wallSeconds,
  };
}

interface FortioJson {
  ActualQPS: number;
  ActualDuration: number;
  DurationHistogram: { Count: number; Percentiles: Array<{ Percentile: number; Value: number }> };
  RetCodes: Record<string, number>;
}

/** Reads fortio's `-json` result. Return code -1 is fortio's socket error. */
export function parseFortioJson(text: string): Omit<LoadResult, "loadgenCpuSeconds" | "loadgenCpuShare"> {
  const result = JSON.parse(text) as FortioJson;
  const percentile = (p: number): number => {
    const entry = result.DurationHistogram.Percentiles.find((e) => e.Percentile === p);
    if (!entry) throw new Error(`fortio result has no p${p}`);
    return entry.Value * 1000;
  };
  let ok = 0;
  let socketErrors = 0;
  let other = 0;
  for (const [code, count] of Object.entries(result.RetCodes ?? {})) {
    const status = Number(code);
    if (status >= 200 && status < 300) ok += count;
    else if (status < 0) socketErrors += count;
    else other += count;
  }
  const seconds = result.ActualDuration / 1e9;
  return {
    requests: result.DurationHistogram.Count,
    seconds,
    rps: result.ActualQPS,
    non2xx: other,
    socketErrors,
    p50Ms: percentile(50),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
  };
}

/** Fixed-rate run: `fortio load -qps <rate> -c <connections> -t <seconds>s -uniform`. */
export async function runFortio(
  fortio: string,
  request: LoadRequest,
  options: { rate: number; connections: number; seconds: number; cpu?: number },
): Promise<LoadResult> {
  if (request.method !== "GET") throw new Error(`runFortio: only GET is supported, got ${request.method}`);
  const directory = mkdtempSync(path.join(tmpdir(), "as-proxy-fortio-"));
  const jsonPath = path.join(directory, "result.json");
  try {
    const argv = [
      fortio,
      "load",
      "-qps",
      String(options.rate),
      "-c",
      String(options.connections),
      "-t",
      `${options.seconds}s`,
      "-uniform",
      "-p",
      "50,90,99",
      "-loglevel",
      "Warning",
      "-json",
      jsonPath,
      ...headerArgs(request),
      url(request),
    ];
    const run = await runMeasured(argv, options.cpu, (options.seconds + 30) * 1000);
    const parsed = parseFortioJson(readFileSync(jsonPath, "utf8"));
    return { ...parsed, loadgenCpuSeconds: run.cpuSeconds, loadgenCpuShare: run.cpuSeconds / run.wallSeconds };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
