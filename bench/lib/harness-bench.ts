/**
 * The harness side (issue #8 items 2 and 4): request lifecycles per second through the Node harness, for the
 * same request and configurations as the Envoy benchmark, next to the `noop` module (the floor of the harness
 * plus the SDK); host calls per request by name (deterministic); Wasm memory before and after the rounds (a leak
 * shows as growth); and compile + start + configure time (`createHost` from bytes) with fresh module bytes each
 * time (a unique custom section defeats V8's compiled-module cache), next to V8's compile time alone.
 *
 * One lifecycle = `host.http()`: context create → request headers → response headers (upstream answers 200, no
 * body) → on_log → on_done → on_delete, with the recorder's export callouts answered by the harness.
 * Rounds are interleaved (rotated order); the first round is a warm-up and is discarded.
 */
import { createHost, type Host, type HttpRequest } from "../../harness";
import { appendCustomSection } from "../../harness/envoy/wasm-module";
import { moduleBytes, type Modules } from "./modules";
import { rotate } from "./stats";
import { BENCH_REQUEST, COLLECTOR_CLUSTER, DENIED_REQUEST, HELLO_CONFIG, RECORDER_CONFIG, abacPolicies } from "./workload";

export interface HarnessVariant {
  id: string;
  label: string;
  filter: string;
  configuration?: unknown;
  enforces: boolean;
}

export function harnessVariants(): HarnessVariant[] {
  return [
    { id: "noop", label: "no-op (`noop`), the floor", filter: "noop", enforces: false },
    { id: "hello", label: "`hello`", filter: "hello", configuration: HELLO_CONFIG, enforces: false },
    { id: "abac10", label: "ABAC, 10 policies", filter: "abac", configuration: abacPolicies(10), enforces: true },
    { id: "abac50", label: "ABAC, 50 policies", filter: "abac", configuration: abacPolicies(50), enforces: true },
    { id: "abac500", label: "ABAC, 500 policies", filter: "abac", configuration: abacPolicies(500), enforces: true },
    { id: "recorder", label: "recorder (`l7-metadata`)", filter: "l7-metadata", configuration: RECORDER_CONFIG, enforces: false },
  ];
}

/** Variants whose compile + start + configure time is measured. */
const STARTUP_IDS = ["noop", "hello", "abac50", "abac500", "recorder"];

export interface HarnessBenchOptions {
  /** The release modules (read once at the start of the run). */
  modules: Modules;
  /** Measured rounds (a warm-up round is added). */
  rounds: number;
  /** Lifecycles per round and variant. */
  requests: number;
  warmupRequests: number;
  startupSamples: number;
  log: (line: string) => void;
}

export interface HarnessRawResults {
  /** Lifecycles per second, per variant, one entry per measured round. */
  perSecond: Record<string, number[]>;
  hostcalls: Record<string, { total: number; byName: Record<string, number> }>;
  memoryBytes: Record<string, { afterWarmup: number; afterRounds: number }>;
  /** V8 compile alone, and `createHost` from bytes: compile + module checks + instantiate + start + configure. */
  startup: Record<string, { compileMs: number[]; totalMs: number[] }>;
  sanity: string[];
}

const REQUEST: HttpRequest = {
  method: BENCH_REQUEST.method,
  path: BENCH_REQUEST.path,
  authority: BENCH_REQUEST.authority,
  headers: BENCH_REQUEST.headers.map(([n, v]) => [n, v] as [string, string]),
};
const DENIED: HttpRequest = { ...REQUEST, headers: DENIED_REQUEST.headers.map(([n, v]) => [n, v] as [string, string]) };
const UPSTREAM = { status: 200 };

function hostOptions(variant: HarnessVariant, extra: { recordCalls?: boolean } = {}) {
  return {
    ...(variant.configuration !== undefined ? { configuration: variant.configuration } : {}),
    clusters: { [COLLECTOR_CLUSTER]: { respond: { status: 200 } } },
    ...extra,
  };
}

function lifecycles(host: Host, count: number): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) host.http(REQUEST, UPSTREAM);
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

function countHostcalls(bytes: Buffer, variant: HarnessVariant): { total: number; byName: Record<string, number> } {
  const host = createHost(bytes, hostOptions(variant, { recordCalls: true }));
  for (let i = 0; i < 20; i++) host.http(REQUEST, UPSTREAM); // past lazily defined metrics and first-use paths
  const from = host.calls.length;
  host.http(REQUEST, UPSTREAM);
  const byName: Record<string, number> = {};
  for (const call of host.calls.slice(from)) byName[call.name] = (byName[call.name] ?? 0) + 1;
  host.shutdown();
  return { total: host.calls.length - from, byName };
}

export function runHarnessBench(options: HarnessBenchOptions): HarnessRawResults {
  const variants = harnessVariants();
  const log = options.log;
  const sanity: string[] = [];
  const hosts = new Map<string, Host>();
  const memoryBytes: HarnessRawResults["memoryBytes"] = {};
  const hostcalls: HarnessRawResults["hostcalls"] = {};
  for (const variant of variants) {
    const bytes = moduleBytes(options.modules, variant.filter);
    const host = createHost(bytes, hostOptions(variant));
    const allowed = host.http(REQUEST, UPSTREAM);
    if (allowed.status !== 200) throw new Error(`harness sanity check: ${variant.id} answered ${allowed.status} to the benchmark request (expected 200)`);
    if (variant.enforces) {
      const denied = host.http(DENIED, UPSTREAM);
      if (denied.status !== 403) throw new Error(`harness sanity check: ${variant.id} answered ${denied.status} to a request outside its policies (expected 403)`);
    }
    sanity.push(`${variant.id}: benchmark request 200${variant.enforces ? ", request outside the policies 403" : ""}`);
    lifecycles(host, options.warmupRequests);
    memoryBytes[variant.id] = { afterWarmup: host.vm().memoryBytes, afterRounds: 0 };
    hosts.set(variant.id, host);
    hostcalls[variant.id] = countHostcalls(bytes, variant);
    log(`harness: ${variant.id.padEnd(9)} ${hostcalls[variant.id]!.total} host calls per request`);
  }

  const perSecond: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.id, []]));
  for (let round = 0; round <= options.rounds; round++) {
    const line: string[] = [];
    for (const variant of rotate(variants, round)) {
      const rate = lifecycles(hosts.get(variant.id)!, options.requests);
      if (round > 0) perSecond[variant.id]!.push(rate);
      line.push(`${variant.id} ${Math.round(rate)}/s`);
    }
    log(`harness: ${round === 0 ? "warm-up" : `round ${round}/${options.rounds}`}: ${line.join(", ")}`);
  }
  for (const variant of variants) {
    const host = hosts.get(variant.id)!;
    memoryBytes[variant.id]!.afterRounds = host.vm().memoryBytes;
    host.shutdown();
  }

  const startup: HarnessRawResults["startup"] = {};
  for (const id of STARTUP_IDS) {
    const variant = variants.find((v) => v.id === id)!;
    const bytes = moduleBytes(options.modules, variant.filter);
    const compileMs: number[] = [];
    const totalMs: number[] = [];
    for (let i = 0; i < options.startupSamples; i++) {
      // Two distinct copies: V8 would reuse the first compilation for identical bytes.
      const fresh = (what: string) => appendCustomSection(bytes, "as-proxy-runtime.bench", `${what} ${id} ${i} ${process.hrtime.bigint()}`);
      const forCompile = fresh("compile");
      const forHost = fresh("host");
      const t0 = process.hrtime.bigint();
      new WebAssembly.Module(forCompile);
      const t1 = process.hrtime.bigint();
      const host = createHost(forHost, hostOptions(variant));
      const t2 = process.hrtime.bigint();
      host.shutdown();
      compileMs.push(Number(t1 - t0) / 1e6);
      totalMs.push(Number(t2 - t1) / 1e6);
    }
    startup[id] = { compileMs, totalMs };
  }
  return { perSecond, hostcalls, memoryBytes, startup, sanity };
}
