/**
 * Envoy overhead per variant (issue #8 item 1), following performance.md §4.1:
 *
 * - one Envoy (`--concurrency 1`), every thread pinned to CPU `envoyCpu` with `taskset -a -p`; the load
 *   generator pinned to CPU `loadgenCpu`; access logs off; wasm log level `warning` (Istio's default);
 * - rounds: one warm-up round (discarded; its slowest saturation sets the fixed rate), then `rounds` measured
 *   rounds, each visiting the variants in rotated order; per variant and round:
 *     1. saturation: wrk closed loop for `saturationSeconds` → throughput (ratio to no-filter in the same round);
 *     2. fixed rate: fortio at `fixedRate` for `fixedSeconds` → Envoy CPU per request = Δ(utime+stime of Envoy)
 *        / Δ `http.<id>.downstream_rq_completed`, latency p50/p90/p99;
 * - the `upstream` listener (the direct_response every variant forwards to) measured the same way at the fixed
 *   rate, so the proxy's own share of the CPU per request can be derived;
 * - memory: each variant alone in a fresh Envoy (plus the upstream listener), RSS after a short saturation run;
 * - validity gates: no non-2xx and no socket errors (client and Envoy counters), load generator below 90% of its
 *   CPU, Envoy busy ≥ 80% of its CPU during saturation (else something else limited the run), achieved rate ≥ 99%
 *   of the fixed rate. A failing measurement is repeated at once (up to `retries` times); failed attempts stay
 *   in the raw data and are left out of the medians.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { send } from "../../harness/envoy/client";
import { EnvoyProcess } from "../../harness/envoy/envoy-process";
import { freePort } from "../../harness/envoy/ports";
import { appendCustomSection } from "../../harness/envoy/wasm-module";
import { buildBenchBootstrap, envoyVariants, UPSTREAM_ID, type EnvoyVariant } from "./envoy-config";
import { runFortio, runWrk, type LoadRequest, type LoadResult } from "./loadgen";
import { moduleBytes, type Modules } from "./modules";
import { cpuTimes, residentBytes } from "./proc";
import { rotate } from "./stats";
import { BENCH_REQUEST, DENIED_REQUEST } from "./workload";

export interface EnvoyBenchOptions {
  envoyBinary: string;
  wrk: string;
  fortio: string;
  /** The release modules (read once at the start of the run). */
  modules: Modules;
  rounds: number;
  warmupSeconds: number;
  saturationSeconds: number;
  fixedSeconds: number;
  /**
   * Fixed rate as a fraction of the *slowest* variant's saturation throughput in the warm-up round: a rate every
   * variant sustains with room to spare (40 % of no filter would saturate a variant that costs 2.5× as much).
   */
  fixedRateFraction: number;
  /** Overrides the fixed rate (requests/s). */
  fixedRate?: number;
  memorySeconds: number;
  /** A measurement that fails a gate is repeated at once, up to this many times (the failed ones are kept). */
  retries: number;
  connections: number;
  /** CPUs to pin Envoy and the load generator to; undefined = no pinning (fewer than 2 CPUs). */
  envoyCpu?: number;
  loadgenCpu?: number;
  log: (line: string) => void;
}

/** Envoy's counters for one listener (HCM stat prefix). */
interface ListenerCounters {
  completed: number;
  rq2xx: number;
  rq4xx: number;
  rq5xx: number;
}

export interface Measurement {
  round: number;
  variant: string;
  kind: "saturation" | "fixed";
  /** 0 for the first try; a retry after a failed gate counts up. The analysis uses the last attempt. */
  attempt: number;
  load: LoadResult;
  /** Envoy CPU seconds over the run and requests Envoy completed on the listener. */
  envoyCpuSeconds: number;
  envoyCompleted: number;
  /** Responses Envoy counted as 4xx / 5xx on the listener (a 403 is a deny). */
  envoy4xx: number;
  envoy5xx: number;
  envoyCpuUsPerRequest: number;
  /** Envoy CPU seconds / wall seconds. */
  envoyBusy: number;
  /** Empty when the measurement passed every gate. */
  invalid: string[];
}

export interface EnvoyRawResults {
  envoyPid: number;
  fixedRate: number;
  warmup: Measurement[];
  measurements: Measurement[];
  /** RSS of the shared process after the rounds. */
  sharedRssBytes: number;
  /** RSS per variant, each alone in a fresh Envoy after `memorySeconds` of saturation. */
  rssBytes: Record<string, number>;
  variants: Array<{ id: string; label: string; port: number }>;
  sanity: string[];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

type RequestShape = Omit<LoadRequest, "port">;

/** The load generators' view of `request` (default: the benchmark request) sent to 127.0.0.1:`port`. */
export function loadRequest(port: number, request: RequestShape = BENCH_REQUEST): LoadRequest {
  return { port, method: request.method, path: request.path, authority: request.authority, headers: request.headers };
}

/** Pins every thread of `pid` (and the threads it creates later) to `cpu`. */
function pinProcess(pid: number, cpu: number): void {
  execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
}

async function readCounters(envoy: EnvoyProcess, ids: readonly string[]): Promise<Map<string, ListenerCounters>> {
  const alternatives = ids.map((id) => id.replace(/[^A-Za-z0-9_]/g, "")).join("|");
  const stats = await envoy.stats(`^http\\.(${alternatives})\\.downstream_rq_(completed|2xx|4xx|5xx)$`);
  const counters = new Map<string, ListenerCounters>();
  for (const id of ids) {
    counters.set(id, {
      completed: stats.get(`http.${id}.downstream_rq_completed`) ?? 0,
      rq2xx: stats.get(`http.${id}.downstream_rq_2xx`) ?? 0,
      rq4xx: stats.get(`http.${id}.downstream_rq_4xx`) ?? 0,
      rq5xx: stats.get(`http.${id}.downstream_rq_5xx`) ?? 0,
    });
  }
  return counters;
}

export interface Deployment {
  envoy: EnvoyProcess;
  /** Listener port per variant id (and the upstream listener's). */
  ports: Map<string, number>;
}

/** Writes module copies and the bootstrap for `variants` into `directory`, starts Envoy, pins it, waits until it serves. */
export async function deploy(
  variants: EnvoyVariant[],
  options: Pick<EnvoyBenchOptions, "envoyBinary" | "modules" | "envoyCpu">,
  directory: string,
  tag: string,
): Promise<Deployment> {
  const adminPort = await freePort();
  const upstreamPort = await freePort();
  const ports = new Map<string, number>([[UPSTREAM_ID, upstreamPort]]);
  const listeners: Array<{ variant: EnvoyVariant; port: number }> = [];
  for (const variant of variants) {
    const port = await freePort();
    ports.set(variant.id, port);
    listeners.push({ variant, port });
  }
  const modules = new Map<string, string>();
  for (const variant of variants) {
    for (const [index, spec] of variant.filters.entries()) {
      if (spec.kind !== "wasm") continue;
      const bytes = moduleBytes(options.modules, spec.filter);
      const copy = path.join(directory, `${tag}-${variant.id}-${index}-${spec.filter}.wasm`);
      await writeFile(copy, appendCustomSection(bytes, "as-proxy-runtime.bench", `${tag}/${variant.id}/${index}`));
      modules.set(`${variant.id}/${index}`, copy);
    }
  }
  const bootstrap = buildBenchBootstrap({
    adminPort,
    upstreamPort,
    listeners,
    modulePath: (variant, index) => modules.get(`${variant.id}/${index}`)!,
  });
  const bootstrapPath = path.join(directory, `${tag}-bootstrap.json`);
  await writeFile(bootstrapPath, JSON.stringify(bootstrap, null, 1));
  const envoy = await EnvoyProcess.start({
    envoyBinary: options.envoyBinary,
    bootstrapPath,
    adminPort,
    concurrency: 1,
    componentLogLevel: "wasm:warning",
    readyTimeoutMs: 120_000,
  });
  if (options.envoyCpu !== undefined) pinProcess(envoy.pid!, options.envoyCpu);
  return { envoy, ports };
}

/** One request per variant must answer 200, a request outside the policies 403 where policies are enforced. */
async function sanityCheck(deployment: Deployment, variants: EnvoyVariant[]): Promise<string[]> {
  const notes: string[] = [];
  const request = (port: number, shape: typeof BENCH_REQUEST | typeof DENIED_REQUEST) =>
    send({
      protocol: "http1",
      port,
      method: shape.method,
      path: shape.path,
      authority: shape.authority,
      headers: shape.headers.map(([n, v]) => [n, v]),
      body: "",
      trailers: [],
      timeoutMs: 10_000,
    });
  for (const variant of [...variants, { id: UPSTREAM_ID, enforces: false } as EnvoyVariant]) {
    const port = deployment.ports.get(variant.id)!;
    const allowed = await request(port, BENCH_REQUEST);
    if (allowed.status !== 200) {
      throw new Error(
        `sanity check: ${variant.id} answered ${allowed.status} to the benchmark request (expected 200): ` +
          `${allowed.body.slice(0, 300)}\n${deployment.envoy.tail(20)}`,
      );
    }
    if (variant.enforces) {
      const denied = await request(port, DENIED_REQUEST);
      if (denied.status !== 403) {
        throw new Error(`sanity check: ${variant.id} answered ${denied.status} to a request outside its policies (expected 403)`);
      }
      notes.push(`${variant.id}: benchmark request 200, request outside the policies 403`);
    } else {
      notes.push(`${variant.id}: benchmark request 200`);
    }
  }
  return notes;
}

async function measure(
  envoy: EnvoyProcess,
  id: string,
  round: number,
  kind: Measurement["kind"],
  run: () => Promise<LoadResult>,
  fixedRate?: number,
): Promise<Measurement> {
  const pid = envoy.pid!;
  // Counters are read outside the CPU window, so the admin requests do not count as work per request.
  const before = (await readCounters(envoy, [id])).get(id)!;
  const cpuBefore = cpuTimes(pid).self;
  const started = process.hrtime.bigint();
  const load = await run();
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = cpuTimes(pid).self;
  const after = (await readCounters(envoy, [id])).get(id)!;
  const completed = after.completed - before.completed;
  const envoyCpuSeconds = cpuAfter - cpuBefore;
  const m: Measurement = {
    round,
    variant: id,
    kind,
    attempt: 0,
    load,
    envoyCpuSeconds,
    envoyCompleted: completed,
    envoy4xx: after.rq4xx - before.rq4xx,
    envoy5xx: after.rq5xx - before.rq5xx,
    envoyCpuUsPerRequest: completed > 0 ? (envoyCpuSeconds / completed) * 1e6 : Number.NaN,
    envoyBusy: envoyCpuSeconds / wall,
    invalid: [],
  };
  if (load.non2xx > 0) m.invalid.push(`${load.non2xx} non-2xx responses`);
  if (m.envoy4xx + m.envoy5xx > 0) m.invalid.push(`Envoy counted ${m.envoy4xx} 4xx (denies) and ${m.envoy5xx} 5xx`);
  if (load.socketErrors > 0) m.invalid.push(`${load.socketErrors} socket errors`);
  if (load.loadgenCpuShare >= 0.9) m.invalid.push(`load generator at ${(load.loadgenCpuShare * 100).toFixed(0)}% CPU`);
  if (kind === "saturation" && m.envoyBusy < 0.8) m.invalid.push(`Envoy busy only ${(m.envoyBusy * 100).toFixed(0)}% during saturation`);
  if (fixedRate !== undefined && load.rps < 0.99 * fixedRate) {
    m.invalid.push(`achieved ${load.rps.toFixed(0)} of ${fixedRate} requests/s`);
  }
  return m;
}

function describe(m: Measurement): string {
  const l = m.load;
  const base =
    `${m.kind === "saturation" ? "sat " : "rate"} ${m.variant.padEnd(16)} ${l.rps.toFixed(0).padStart(6)} rq/s  ` +
    `envoy ${m.envoyCpuUsPerRequest.toFixed(1).padStart(6)} µs/rq  busy ${(m.envoyBusy * 100).toFixed(0).padStart(3)}%  ` +
    `p50 ${l.p50Ms.toFixed(3)} p99 ${l.p99Ms.toFixed(3)} ms  loadgen ${(l.loadgenCpuShare * 100).toFixed(0)}%`;
  return m.invalid.length ? `${base}  INVALID: ${m.invalid.join("; ")}` : base;
}

export async function runEnvoyBench(options: EnvoyBenchOptions): Promise<EnvoyRawResults> {
  const variants = envoyVariants();
  const directory = await mkdtemp(path.join(tmpdir(), "as-proxy-bench-"));
  const log = options.log;
  let deployment: Deployment | undefined;
  try {
    log(`envoy: starting one Envoy with ${variants.length} variant listeners + the upstream listener`);
    deployment = await deploy(variants, options, directory, "shared");
    const { envoy, ports } = deployment;
    const sanity = await sanityCheck(deployment, variants);
    for (const note of sanity) log(`envoy: sanity ${note}`);
    const ids = variants.map((v) => v.id);
    const saturation = (id: string, round: number, seconds: number) =>
      measure(envoy, id, round, "saturation", () =>
        runWrk(options.wrk, loadRequest(ports.get(id)!), { connections: options.connections, seconds, cpu: options.loadgenCpu }));
    const fixed = (id: string, round: number, rate: number) =>
      measure(envoy, id, round, "fixed", () =>
        runFortio(options.fortio, loadRequest(ports.get(id)!), {
          rate,
          connections: options.connections,
          seconds: options.fixedSeconds,
          cpu: options.loadgenCpu,
        }), rate);

    // Warm-up round: JIT tier-up, connection pools, and the slowest saturation, which sets the fixed rate.
    const warmup: Measurement[] = [];
    for (const id of ids) {
      const m = await saturation(id, 0, options.warmupSeconds);
      warmup.push(m);
      log(`envoy: warm-up ${describe(m)}`);
    }
    const slowest = warmup.reduce((a, b) => (b.load.rps < a.load.rps ? b : a));
    const fixedRate =
      options.fixedRate ?? Math.max(100, Math.round((slowest.load.rps * options.fixedRateFraction) / 100) * 100);
    log(
      `envoy: fixed rate ${fixedRate} requests/s (${
        options.fixedRate ? "set by --rate" : `${options.fixedRateFraction} × the slowest warm-up saturation, ${slowest.variant} ${slowest.load.rps.toFixed(0)}/s`
      })`,
    );

    const measurements: Measurement[] = [];
    // A measurement that fails a gate (usually: another process took Envoy's CPU) is repeated at once.
    const measured = async (take: () => Promise<Measurement>): Promise<void> => {
      for (let attempt = 0; attempt <= options.retries; attempt++) {
        const m = await take();
        m.attempt = attempt;
        measurements.push(m);
        log(`envoy:   ${describe(m)}${attempt > 0 ? ` (retry ${attempt})` : ""}`);
        if (m.invalid.length === 0) return;
      }
    };
    const order = [...ids, UPSTREAM_ID];
    for (let round = 1; round <= options.rounds; round++) {
      const rotated = rotate(order, round - 1);
      log(`envoy: round ${round}/${options.rounds}: ${rotated.join(" → ")}`);
      for (const id of rotated) {
        if (id !== UPSTREAM_ID) await measured(() => saturation(id, round, options.saturationSeconds));
        await measured(() => fixed(id, round, fixedRate));
      }
    }
    const sharedRssBytes = residentBytes(envoy.pid!);
    const envoyPid = envoy.pid!;
    await envoy.stop();
    deployment = undefined;

    const rssBytes: Record<string, number> = {};
    for (const variant of variants) {
      const alone = await deploy([variant], options, directory, `rss-${variant.id}`);
      try {
        await runWrk(options.wrk, loadRequest(alone.ports.get(variant.id)!), {
          connections: options.connections,
          seconds: options.memorySeconds,
          cpu: options.loadgenCpu,
        });
        await delay(200);
        rssBytes[variant.id] = residentBytes(alone.envoy.pid!);
        log(`envoy: RSS ${variant.id.padEnd(16)} ${(rssBytes[variant.id]! / 2 ** 20).toFixed(1)} MiB (alone, after ${options.memorySeconds} s of load)`);
      } finally {
        await alone.envoy.stop();
      }
    }
    return {
      envoyPid,
      fixedRate,
      warmup,
      measurements,
      sharedRssBytes,
      rssBytes,
      variants: [
        ...variants.map((v) => ({ id: v.id, label: v.label, port: ports.get(v.id)! })),
        { id: UPSTREAM_ID, label: "upstream listener (direct_response), measured directly", port: ports.get(UPSTREAM_ID)! },
      ],
      sanity,
    };
  } finally {
    if (deployment) await deployment.envoy.stop();
    await rm(directory, { recursive: true, force: true });
  }
}
