/**
 * Harness benchmark (not a test: no assertion on time; run it and read the numbers).
 *
 *   npx tsx bench/harness.ts [--requests 50000] [--runs 5]          (after `npm run build`)
 *
 * 1. Request lifecycles per second through the harness for `build/hello.wasm` (and `build/noop.wasm` as the
 *    floor): `http()` from client headers to on_delete — HCM, filter manager, the plugin's callbacks, the
 *    router, the upstream echo, the access-log phase. Goal: ≥ 100k/s. Reported by CPU time of this process
 *    (`process.cpuUsage`, robust on a shared machine) and by wall time; median of `--runs` after a warm-up.
 * 2. Hostcalls and callbacks into the module per hello request (what the per-request cost is made of).
 * 3. Bringing a plugin up: compile + base VM + canary + main-thread VM + worker VM (`_initialize`, `on_vm_start`,
 *    `on_configure` each) for `build/probe-scripted.wasm` (≈ 55 KB) and `build/abac.wasm` (≈ 90 KB): a fresh
 *    compile (new bytes every time) and with the compiled module cached (what a test file creating many hosts
 *    pays). Goal: ≤ 5 ms for a 50 KB module. Reported as CPU time of this process (V8's background compile
 *    threads included) and wall time.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createHost, type HostOptions } from "../harness";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const REQUESTS = arg("--requests", 50_000);
const RUNS = arg("--runs", 5);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

interface Timing {
  cpuMs: number;
  wallMs: number;
}

function time(fn: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const c = process.cpuUsage(c0);
  return { cpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - t0 };
}

function lifecycles(label: string, wasm: string, options: HostOptions): void {
  const host = createHost(wasm, options);
  const request = { path: "/" };
  for (let i = 0; i < Math.min(REQUESTS, 20_000); i++) host.http(request); // warm-up (JIT, caches)
  const runs: Timing[] = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(
      time(() => {
        for (let i = 0; i < REQUESTS; i++) host.http(request);
      }),
    );
  }
  const cpu = median(runs.map((t) => t.cpuMs));
  const wall = median(runs.map((t) => t.wallMs));
  console.log(
    `${label.padEnd(22)} ${fmt((REQUESTS / cpu) * 1000)} lifecycles/s by CPU (${((cpu / REQUESTS) * 1000).toFixed(2)} µs each), ` +
      `${fmt((REQUESTS / wall) * 1000)}/s by wall clock`,
  );
}

function perRequestCalls(wasm: string, options: HostOptions): void {
  const host = createHost(wasm, { ...options, recordCalls: true, recordCallbacks: true });
  const calls0 = host.calls.length;
  const callbacks0 = host.callbacks.length;
  host.http({ path: "/" });
  const calls = host.calls.slice(calls0).map((c) => c.name.replace(/^env\./, ""));
  const callbacks = host.callbacks.slice(callbacks0).map((c) => c.name);
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c, (counts.get(c) ?? 0) + 1);
  console.log(`hello per request: ${calls.length} hostcalls (${[...counts].map(([n, k]) => `${n}×${k}`).join(", ")})`);
  console.log(`                   ${callbacks.length} callbacks (${callbacks.join(", ")})`);
}

function bringUp(label: string, wasm: string, options: HostOptions): void {
  const bytes = readFileSync(wasm);
  const kb = (bytes.length / 1024).toFixed(0);
  const fresh: Timing[] = [];
  const cached: Timing[] = [];
  const sameBytes = new Uint8Array(bytes);
  createHost(sameBytes, options); // warm the compile cache for the "cached" case
  for (let i = 0; i < Math.max(RUNS * 4, 20); i++) {
    const copy = new Uint8Array(bytes); // new identity → a real compile
    fresh.push(time(() => createHost(copy, options)));
    cached.push(time(() => createHost(sameBytes, options)));
  }
  const cpu = (ts: Timing[]): string => median(ts.map((t) => t.cpuMs)).toFixed(2);
  const wall = (ts: Timing[]): string => median(ts.map((t) => t.wallMs)).toFixed(2);
  console.log(
    `${label.padEnd(22)} ${kb} KB: compile + start + configure ${cpu(fresh)} ms CPU (${wall(fresh)} ms wall); ` +
      `compiled module cached ${cpu(cached)} ms CPU (${wall(cached)} ms wall); medians`,
  );
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

const HELLO = `${root}build/hello.wasm`;
const helloOptions: HostOptions = { configuration: { header: "x-hello", value: "world" } };
console.log(`harness benchmark: ${REQUESTS} requests × ${RUNS} runs, Node ${process.version}`);
lifecycles("hello", HELLO, helloOptions);
lifecycles("noop (floor)", `${root}build/noop.wasm`, {});
perRequestCalls(HELLO, helloOptions);
bringUp("probe-scripted", `${root}build/probe-scripted.wasm`, { configuration: {} });
bringUp("abac", `${root}build/abac.wasm`, { configuration: { policies: [] } });
