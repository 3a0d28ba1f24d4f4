/**
 * The runtime choice in numbers (docs/SIZE.md "Runtime"): per-request cost, memory over 100,000 requests, and the
 * cost of one full garbage collection, for the filter modules as built (not a test: run it, read the numbers).
 *
 *   npx tsx bench/runtime.ts [--against <dir>] [--requests N] [--only <case>]    (after `npm run build`)
 *
 * - Per request: mean µs per request lifecycle through the harness (create → headers → body → log → done →
 *   delete), best of 7 rounds, for noop, hello, l7-metadata (a typical configuration) and abac with 10 and 500
 *   policies. With `--against <dir>` the same modules from `<dir>` (e.g. a copy of build/ from before a change)
 *   run in the same rounds, interleaved, and the ratio is printed: machine noise hits both alike.
 * - Memory: linear memory after 2,000 requests of warm-up and after 100,000 more. Growth means a leak or an
 *   unbounded collection interval.
 * - Collection: the time of one full `__collect()` (median of 30) right after the warm-up, on a build of the same
 *   entry with `--exportRuntime` added (same code, plus the runtime exports). It grows with the live data: the
 *   parsed configuration above all.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHost, type HttpRequest, type UpstreamBehaviour } from "../harness";
import { compile } from "../scripts/lib/compile.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** ABAC policies of path / host / method rules (the shape bench/abac.ts uses). */
function abacPolicies(n: number): unknown {
  const policies: unknown[] = [];
  for (let i = 0; i < n; i++) {
    policies.push({
      name: `ns-${i % 7}/policy-${i}`,
      spec: {
        ...(i % 10 === 9 ? { action: "DENY" } : {}),
        rules: [
          { to: [{ operation: { methods: ["GET", "HEAD"], paths: [`/svc-${i}/items`, `/svc-${i}/api/*`] } }] },
          { to: [{ operation: { hosts: [`svc-${i}.example.com`], methods: ["POST"] } }] },
          { to: [{ operation: { methods: [`PURGE${i}`] } }] },
        ],
      },
    });
  }
  return { policies };
}

/** The typical recorder configuration of bench/l7-metadata.ts. */
const L7_CONFIG = {
  fields: [
    "method", "path", "query", "route", "authority", "userAgent", "clientAddress", "status", "duration",
    "responseCodeDetails", { fact: "requestHeader", header: "x-tenant" }, { fact: "requestHeader", header: "authorization" },
  ],
  routes: [{ template: "/users/{id}" }, { template: "/users/{id}/orders" }, { template: "/orders/{id}" }, { template: "/health" }, { template: "/static/{rest...}" }],
  metrics: {},
  export: { cluster: "collector", batchRecords: 100, flushIntervalMs: 1000 },
};

interface Case {
  name: string;
  module: string;
  configuration?: unknown;
  requests: HttpRequest[];
  upstream?: UpstreamBehaviour;
}

const upstream = { status: 200, headers: [["content-type", "application/json"]] as Array<[string, string]>, body: "{}" };

const CASES: Case[] = [
  { name: "noop", module: "noop", requests: [{ path: "/" }], upstream },
  { name: "hello", module: "hello", configuration: { header: "x-hello", value: "world" }, requests: [{ path: "/", headers: [["x-a", "1"]] }], upstream },
  {
    name: "l7-metadata",
    module: "l7-metadata",
    configuration: L7_CONFIG,
    requests: [{ path: "/users/42?page=2&token=abc", headers: [["user-agent", "bench/1.0 (linux)"], ["x-tenant", "acme"], ["authorization", "Bearer abc"]] }],
    upstream,
  },
  ...[10, 500].map((n) => ({
    name: `abac-${n}`,
    module: "abac",
    configuration: abacPolicies(n),
    requests: [
      { method: "GET", path: `/svc-${n >> 1}/items` },
      { method: "GET", path: `/svc-${n - 1}/api/v1/things?limit=10` },
      { method: "POST", path: "/submit", authority: `svc-${n >> 1}.example.com` },
      { method: "GET", path: "/nowhere/at/all" },
    ],
    upstream,
  })),
];

type Host = ReturnType<typeof createHost>;

function hostFor(c: Case, wasm: Uint8Array): Host {
  return createHost(wasm, { configuration: c.configuration, clusters: { collector: { respond: { status: 200 } } } });
}

function run(host: Host, c: Case, count: number): void {
  for (let i = 0; i < count; i++) host.http(c.requests[i % c.requests.length]!, c.upstream);
}

/** Mean µs per request over `count` requests. */
function time(host: Host, c: Case, count: number): number {
  const start = process.hrtime.bigint();
  run(host, c, count);
  return Number(process.hrtime.bigint() - start) / count / 1000;
}

function exportsOf(host: Host): Record<string, unknown> {
  // The harness keeps the instance internal; reaching it is fine for a benchmark.
  const vm = (host as unknown as { proxy: { plugins: Array<{ workers: Map<number, { vm: { instance: WebAssembly.Instance } }> }> } }).proxy
    .plugins[0]!.workers.get(0)!.vm;
  return vm.instance.exports as Record<string, unknown>;
}

function usage(message: string): never {
  process.stderr.write(`runtime: ${message}\nusage: tsx bench/runtime.ts [--against <dir>] [--requests N] [--only <case>]\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let against: string | null = null;
  let requests = 10_000;
  let only: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--against") against = args[++i] ?? usage("--against needs a directory");
    else if (arg === "--requests") requests = Number(args[++i]);
    else if (arg === "--only") only = args[++i] ?? usage("--only needs a case name");
    else usage(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(requests) || requests <= 0) usage("--requests needs a positive integer");
  const cases = CASES.filter((c) => only === null || c.name === only);
  if (cases.length === 0) usage(`no case named ${only} (cases: ${CASES.map((c) => c.name).join(", ")})`);

  // Per request, interleaved.
  const ROUNDS = 7;
  const runs = cases.flatMap((c) => {
    const current = join(root, "build", `${c.module}.wasm`);
    if (!existsSync(current)) usage(`${current} does not exist: run \`npm run build\``);
    const variants = [{ label: "current", wasm: readFileSync(current) }];
    if (against !== null) variants.push({ label: "against", wasm: readFileSync(join(against, `${c.module}.wasm`)) });
    return variants.map((v) => ({ c, label: v.label, bytes: v.wasm.length, host: hostFor(c, v.wasm), best: Infinity }));
  });
  for (const r of runs) time(r.host, r.c, 3000); // warm-up: JIT, lazily defined metrics, heap steady state
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of runs) r.best = Math.min(r.best, time(r.host, r.c, requests));
  }
  console.log(`per request (harness, best of ${ROUNDS} rounds of ${requests}):`);
  for (const c of cases) {
    const current = runs.find((r) => r.c === c && r.label === "current")!;
    const other = runs.find((r) => r.c === c && r.label === "against");
    let line = `  ${c.name.padEnd(12)} ${current.best.toFixed(2).padStart(7)} µs  (${current.bytes.toLocaleString("en-US")} B)`;
    if (other) {
      line += `   against ${other.best.toFixed(2).padStart(7)} µs (${other.bytes.toLocaleString("en-US")} B)   ratio ${(current.best / other.best).toFixed(3)}`;
    }
    console.log(line);
  }

  // Memory over 100,000 requests.
  console.log("memory (linear memory after 2,000 warm-up requests → after 100,000 more):");
  const growth = (wasm: Uint8Array, c: Case): string => {
    const host = hostFor(c, wasm);
    run(host, c, 2000);
    const before = host.vm().memoryBytes;
    run(host, c, 100_000);
    const after = host.vm().memoryBytes;
    return `${(before / 1024).toFixed(0).padStart(6)} KiB → ${(after / 1024).toFixed(0).padStart(6)} KiB (growth ${after - before} B)`;
  };
  for (const c of cases) {
    let line = `  ${c.name.padEnd(12)} ${growth(readFileSync(join(root, "build", `${c.module}.wasm`)), c)}`;
    if (against !== null) line += `   against ${growth(readFileSync(join(against, `${c.module}.wasm`)), c)}`;
    console.log(line);
  }

  // One full collection.
  console.log("one full collection (median of 30, build with --exportRuntime):");
  const builds = new Map<string, Uint8Array>();
  for (const c of cases) {
    let wasm = builds.get(c.module);
    if (wasm === undefined) {
      const result = await compile(root, { entry: `filters/${c.module}/index.ts`, target: "release", outFile: `build/${c.module}.wasm` }, { extraArgs: ["--exportRuntime"] });
      if (result.binary === null) throw new Error(`the --exportRuntime build of ${c.module} failed:\n${result.diagnostics}`);
      wasm = result.binary;
      builds.set(c.module, wasm);
    }
    const host = hostFor(c, wasm);
    run(host, c, 2000);
    const collect = exportsOf(host).__collect as (() => void) | undefined;
    if (collect === undefined) throw new Error(`${c.module}: no __collect export`);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const start = process.hrtime.bigint();
      collect();
      times.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    times.sort((a, b) => a - b);
    console.log(`  ${c.name.padEnd(12)} ${times[15]!.toFixed(1).padStart(8)} µs   (memory ${(host.vm().memoryBytes / 1024).toFixed(0)} KiB)`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`runtime: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
