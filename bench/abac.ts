/**
 * ABAC evaluation cost vs the number of policies, in the harness (not a timed test: run it, read the numbers).
 *
 *   npx tsx bench/abac.ts [--requests 20000]
 *
 * For N = 10, 100, 500 policies of path / host / method rules (exact and prefix paths, exact hosts, methods; half
 * ALLOW, a tenth DENY), it sends the same request mix (matching the first, middle and last policy, and matching
 * none) and reports the mean time per request, and the time attributable to the filter: the mean minus the mean
 * of the same requests through a configuration with no policies (the harness's own per-request cost). The goal
 * (issue #5): the filter-attributable cost with 500 policies ≤ 1.5 × with 10.
 */
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createHost, type HttpRequest } from "../harness";
import type { AbacConfig, PolicyEntry } from "../filters/abac/node/types";

const root = fileURLToPath(new URL("..", import.meta.url));
const wasmPath = process.env.ABAC_WASM ?? `${root}build/abac.wasm`;
const args = process.argv.slice(2);
const requestsArg = args.indexOf("--requests");
const REQUESTS = requestsArg >= 0 ? Number(args[requestsArg + 1]) : 20_000;

function policies(n: number): AbacConfig {
  const out: PolicyEntry[] = [];
  for (let i = 0; i < n; i++) {
    const deny = i % 10 === 9;
    out.push({
      name: `ns-${i % 7}/policy-${i}`,
      spec: {
        ...(deny ? { action: "DENY" as const } : {}),
        rules: [
          { to: [{ operation: { methods: ["GET", "HEAD"], paths: [`/svc-${i}/items`, `/svc-${i}/api/*`] } }] },
          { to: [{ operation: { hosts: [`svc-${i}.example.com`], methods: ["POST"] } }] },
          { to: [{ operation: { methods: [`PURGE${i}`] } }] },
        ],
      },
    });
  }
  return { policies: out };
}

function requestMix(n: number): HttpRequest[] {
  const targets = [0, Math.floor(n / 2), n - 1];
  const mix: HttpRequest[] = [];
  for (const i of targets) {
    mix.push({ method: "GET", path: `/svc-${i}/items` });
    mix.push({ method: "GET", path: `/svc-${i}/api/v1/things?limit=10` });
    mix.push({ method: "POST", path: "/submit", authority: `svc-${i}.example.com` });
  }
  mix.push({ method: "GET", path: "/nowhere/at/all" });
  mix.push({ method: "DELETE", path: `/svc-${targets[1]}/items`, authority: "other.example.org" });
  return mix;
}

type Host = ReturnType<typeof createHost>;

/** Mean µs per request over `count` requests of the mix. */
function time(host: Host, mix: HttpRequest[], count: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) host.http(mix[i % mix.length]!);
  return Number(process.hrtime.bigint() - start) / count / 1000;
}

const ROUNDS = 7;

function main(): void {
  const wasm = readFileSync(wasmPath);
  console.log(`${wasmPath}: ${statSync(wasmPath).size.toLocaleString("en-US")} bytes; ${ROUNDS} rounds of ${REQUESTS} requests, best round`);
  const sizes = [10, 100, 500];
  const cases = sizes.map((n) => {
    const mix = requestMix(n);
    const host = createHost(wasm, { configuration: policies(n) });
    const baseline = createHost(wasm, { configuration: { policies: [] } });
    for (const h of [host, baseline]) time(h, mix, 3000); // warm up: JIT, lazily defined counters, GC steady state
    return { n, mix, host, baseline, total: Infinity, base: Infinity };
  });
  // Interleave the measurements so that machine noise hits every configuration alike; keep each one's best round.
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      c.base = Math.min(c.base, time(c.baseline, c.mix, REQUESTS));
      c.total = Math.min(c.total, time(c.host, c.mix, REQUESTS));
    }
  }
  for (const c of cases) {
    console.log(
      `${String(c.n).padStart(4)} policies (${c.n * 3} rules): ${c.total.toFixed(1)} µs/request, ` +
        `baseline (no policies) ${c.base.toFixed(1)} µs, filter-attributable ${(c.total - c.base).toFixed(1)} µs`,
    );
  }
  const first = cases[0]!;
  const last = cases[cases.length - 1]!;
  const ratio = (last.total - last.base) / (first.total - first.base);
  console.log(`filter-attributable cost, 500 vs 10 policies: ${ratio.toFixed(2)}× (goal ≤ 1.5×) — ${ratio <= 1.5 ? "met" : "NOT met"}`);
  console.log(`total cost per request, 500 vs 10 policies: ${(last.total / first.total).toFixed(2)}×`);
}

main();
