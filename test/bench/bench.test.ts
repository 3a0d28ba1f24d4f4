// `npm run bench -- --quick` still runs and reports every variant (issue #8 item 5). No assertion on any figure's
// size: the quick run's numbers are not measurements. Needs Envoy (scripts/provision.sh), wrk and Go (fortio);
// like the e2e tests, it never skips with CI=true and skips loudly elsewhere when a tool is missing.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { e2eTools, projectRoot } from "../../harness/envoy/tools";
import type { BenchResults } from "../../bench/lib/report";
import type { Summary } from "../../bench/lib/stats";

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", 'command -v "$0"', command]).status === 0;
}

function toolsAvailable(): boolean {
  const envoy = e2eTools();
  const missing = [
    ...(envoy.ok ? [] : ["Envoy"]),
    ...(onPath("wrk") ? [] : ["wrk (apt-get install -y wrk)"]),
    ...(onPath("go") || existsSync(path.join(projectRoot, ".cache", "bin", "fortio")) ? [] : ["go (to install fortio)"]),
  ];
  if (missing.length === 0) return true;
  if (process.env.CI === "true") throw new Error(`CI=true: the benchmark test must not skip, but ${missing.join(", ")} is missing`);
  console.warn(`\n!!! test/bench/bench.test.ts SKIPPED: ${missing.join(", ")} missing !!!\n`);
  return false;
}

const available = toolsAvailable();

const ENVOY_VARIANTS = ["none", "noop", "abac10", "abac50", "abac500", "rbac50", "recorder", "abac50_recorder"];
const HARNESS_MODULES = ["noop", "hello", "abac10", "abac50", "abac500", "recorder"];

function expectPositive(s: Summary, what: string): void {
  expect(Number.isFinite(s.median) && s.median > 0, `${what}: median ${s.median}`).toBe(true);
  expect(s.n, `${what}: rounds`).toBeGreaterThan(0);
}

describe.runIf(available)("npm run bench -- --quick", () => {
  let out: string;
  let results: BenchResults;
  let markdown: string;
  let output = "";
  const benchmarksFile = path.join(projectRoot, "BENCHMARKS.md");
  const benchmarksBefore = existsSync(benchmarksFile) ? statSync(benchmarksFile).mtimeMs : undefined;

  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), "as-proxy-bench-test-"));
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn("npm", ["run", "bench", "--", "--quick", "--out", out], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.once("error", reject);
      child.once("close", resolve);
    });
    if (code !== 0) throw new Error(`npm run bench -- --quick exited ${code}:\n${output.slice(-4000)}`);
    results = JSON.parse(readFileSync(path.join(out, "quick.json"), "utf8")) as BenchResults;
    markdown = readFileSync(path.join(out, "quick.md"), "utf8");
  }, 300_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  test("writes the quick results next to --out and leaves BENCHMARKS.md alone", () => {
    expect(readdirSync(out).sort()).toEqual(["quick.json", "quick.md"]);
    expect(existsSync(benchmarksFile) ? statSync(benchmarksFile).mtimeMs : undefined).toBe(benchmarksBefore);
    expect(results.settings.mode).toBe("quick");
  });

  test("every Envoy variant has finite, positive throughput, CPU per request, latency and RSS", () => {
    const envoy = results.envoy!;
    expect(envoy.variants.map((v) => v.id)).toEqual(ENVOY_VARIANTS);
    for (const v of envoy.variants) {
      expectPositive(v.rps, `${v.id} rps`);
      expectPositive(v.throughputRatio, `${v.id} throughput ratio`);
      expectPositive(v.cpuUs, `${v.id} CPU µs per request`);
      expectPositive(v.p50Ms, `${v.id} p50`);
      expectPositive(v.p99Ms, `${v.id} p99`);
      expect(Number.isFinite(v.addedCpuUs.median), `${v.id} added CPU`).toBe(true);
      expect(v.rssMiB, `${v.id} RSS`).toBeGreaterThan(0);
    }
    expect(envoy.variants[0]!.throughputRatio.median).toBe(1);
    expectPositive(envoy.upstream.cpuUs, "upstream CPU µs per request");
    expect(envoy.fixedRate).toBeGreaterThan(0);
    expect(Number.isFinite(envoy.scaling.median)).toBe(true);
    expect(Number.isFinite(envoy.abacVsRbac.median)).toBe(true);
  });

  test("every harness module has a positive lifecycle rate, and start-up times are measured", () => {
    const harness = results.harness!;
    expect(harness.variants.map((v) => v.id)).toEqual(HARNESS_MODULES);
    for (const v of harness.variants) {
      expectPositive(v.perSecond, `${v.id} lifecycles/s`);
      expect(Number.isInteger(v.hostcalls.total)).toBe(true);
      expect(v.memoryBytes.afterRounds).toBeGreaterThan(0);
    }
    expect(harness.variants.find((v) => v.id === "abac50")!.hostcalls.total).toBeGreaterThan(0);
    for (const s of harness.startup) {
      expectPositive(s.totalMs, `${s.id} start-up`);
      expectPositive(s.compileMs, `${s.id} compile`);
    }
  });

  test("every filter's release module size is reported", () => {
    const filters = readdirSync(path.join(projectRoot, "filters"), { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(path.join(projectRoot, "filters", e.name, "index.ts")))
      .map((e) => e.name)
      .sort();
    expect(results.sizes.map((s) => s.filter)).toEqual(filters);
    for (const s of results.sizes) expect(s.bytes).toBeGreaterThan(0);
  });

  test("the report has the machine, the versions, every section, variant and target", () => {
    expect(results.versions.envoy).toMatch(/^1\.40\./);
    expect(results.machine.cores).toBeGreaterThan(0);
    for (const heading of ["## Run", "## Targets (issue #8)", "## 1. Envoy overhead", "## 2. Harness", "## 3. Module sizes", "## 4. Scaling", "## Validity"]) {
      expect(markdown).toContain(heading);
    }
    for (const v of results.envoy!.variants) expect(markdown).toContain(`| ${v.label} |`);
    expect(results.targets.length).toBeGreaterThanOrEqual(9 + results.sizes.length);
    for (const t of results.targets) expect(markdown).toContain(t.name);
    expect(markdown).toMatch(/Quick run/);
  });
});
