/**
 * Benchmark of the L7 metadata recorder (not a test: no timing assertions anywhere).
 *
 *   npx tsx bench/l7-metadata.ts            (after `npm run build`)
 *
 * Prints: the release module's size against the 64 KB goal, with the share of code and static data; and the
 * harness throughput (request lifecycles per second: create → request headers → response headers → on_log →
 * done → delete, with filter state, metrics and export) for a typical configuration, next to the `noop`
 * module through the same harness as the floor. Median of 5 runs after a warm-up.
 */
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createHost } from "../harness";
import { sectionSizes } from "./lib/sizes";

const root = fileURLToPath(new URL("..", import.meta.url));
const L7 = `${root}build/l7-metadata.wasm`;
const NOOP = `${root}build/noop.wasm`;
const SIZE_GOAL = 64 * 1024;

export const TYPICAL_CONFIG = {
  fields: [
    "method", "path", "query", "route", "authority", "userAgent", "clientAddress", "status", "duration",
    "responseCodeDetails", { fact: "requestHeader", header: "x-tenant" }, { fact: "requestHeader", header: "authorization" },
  ],
  routes: [{ template: "/users/{id}" }, { template: "/users/{id}/orders" }, { template: "/orders/{id}" }, { template: "/health" }, { template: "/static/{rest...}" }],
  metrics: {},
  export: { cluster: "collector", batchRecords: 100, flushIntervalMs: 1000 },
};

function throughput(module: string, configuration: unknown, requests: number): number[] {
  const host = createHost(module, { configuration, clusters: { collector: { respond: { status: 200 } } } });
  const request = {
    path: "/users/42?page=2&token=abc",
    headers: [["user-agent", "bench/1.0 (linux)"], ["x-tenant", "acme"], ["authorization", "Bearer abc"]] as Array<[string, string]>,
  };
  const upstream = { status: 200, headers: [["content-type", "application/json"]] as Array<[string, string]>, body: "{}" };
  for (let i = 0; i < 2000; i++) host.http(request, upstream); // warm-up: JIT, metric definitions
  const rates: number[] = [];
  for (let run = 0; run < 5; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < requests; i++) host.http(request, upstream);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(requests / seconds);
  }
  return rates.sort((a, b) => a - b);
}

const bytes = readFileSync(L7);
const sizes = sectionSizes(bytes);
const total = statSync(L7).size;
console.log(`release module build/l7-metadata.wasm: ${total} B (goal ${SIZE_GOAL} B: ${total <= SIZE_GOAL ? "met" : `over by ${total - SIZE_GOAL} B`})`);
console.log(`  code section ${sizes.get(10) ?? 0} B, data section ${sizes.get(11) ?? 0} B, other ${total - (sizes.get(10) ?? 0) - (sizes.get(11) ?? 0)} B`);
try {
  console.log(`  for scale: build/noop.wasm ${statSync(NOOP).size} B, build/abac.wasm ${statSync(`${root}build/abac.wasm`).size} B`);
} catch {
  // not built
}

const requests = 20_000;
const l7 = throughput(L7, TYPICAL_CONFIG, requests);
const median = (rates: number[]) => rates[Math.floor(rates.length / 2)]!;
console.log(`harness throughput, typical configuration (12 fields, 5 routes, metrics, export): median ${Math.round(median(l7))} req/s (runs ${l7.map((r) => Math.round(r)).join(", ")})`);
try {
  const noop = throughput(NOOP, undefined, requests);
  console.log(`harness throughput, noop module (floor of the harness itself): median ${Math.round(median(noop))} req/s`);
  console.log(`recorder cost per request in the harness: ~${((1 / median(l7) - 1 / median(noop)) * 1e6).toFixed(1)} µs`);
} catch (error) {
  console.log(`noop baseline unavailable: ${(error as Error).message}`);
}
