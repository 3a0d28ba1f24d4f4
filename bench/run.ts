/**
 * `npm run bench`: the benchmark suite of issue #8 — Envoy overhead per variant, harness throughput and start-up,
 * module sizes, ABAC scaling — written to BENCHMARKS.md and bench/results/. Method: docs/BENCHMARKING.md.
 *
 *   npm run bench                       full run (~15 min): BENCHMARKS.md + bench/results/latest.json
 *   npm run bench -- --quick            every variant, one short round (< 2 min): bench/results/quick.{json,md}
 *   npx tsx bench/run.ts --only harness,sizes      a subset (envoy, harness, sizes)
 *   npx tsx bench/run.ts --render bench/results/latest.json     re-render BENCHMARKS.md from a results file
 *
 * Options: --rounds N, --seconds S (saturation), --fixed-seconds S, --rate R (fixed rate, requests/s),
 * --requests N (harness lifecycles per round), --out DIR (results directory), --report FILE (Markdown).
 * No figure is asserted anywhere: test/bench/bench.test.ts only checks that `--quick` runs and reports.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ascPackage from "assemblyscript/package.json" with { type: "json" };
import { provisionTools } from "../harness/envoy/tools";
import { runEnvoyBench, type EnvoyBenchOptions } from "./lib/envoy-bench";
import { runHarnessBench, type HarnessBenchOptions } from "./lib/harness-bench";
import {
  RESULTS_SCHEMA,
  analyzeEnvoy,
  analyzeHarness,
  evaluateTargets,
  renderMarkdown,
  type BenchResults,
  type MachineInfo,
  type Versions,
  withAnalysis,
} from "./lib/report";
import { loadModules } from "./lib/modules";
import { moduleSizes } from "./lib/sizes";
import { fortioVersion, installFortio, requireWrk, which, wrkVersion } from "./lib/tools";
import { BENCH_REQUEST } from "./lib/workload";

const root = fileURLToPath(new URL("..", import.meta.url));
const PARTS = ["envoy", "harness", "sizes"] as const;
type Part = (typeof PARTS)[number];

function usage(message: string): never {
  process.stderr.write(
    `bench: ${message}\nusage: tsx bench/run.ts [--quick] [--only envoy,harness,sizes] [--rounds N] [--seconds S] ` +
      "[--fixed-seconds S] [--rate R] [--requests N] [--out DIR] [--report FILE] [--render FILE]\n",
  );
  process.exit(2);
}

function positive(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    usage(`--${name}: expected a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    kernel: os.release(),
    loadAverageBefore: os.loadavg(),
    loadAverageAfter: [],
  };
}

/** A machine is quiet when its 1-minute load average is below this (docs/BENCHMARKING.md "Running"). */
const QUIET_LOAD = 0.5;
const QUIET_WAIT_MS = 120_000;

/**
 * Waits up to two minutes for the 1-minute load average to fall below {@link QUIET_LOAD} (the build that
 * `npm run bench` runs first, or someone else's job, may still be in it), then returns either way.
 */
async function waitForQuiet(log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + QUIET_WAIT_MS;
  if (os.loadavg()[0]! < QUIET_LOAD) return;
  log(`bench: load average ${os.loadavg()[0]!.toFixed(2)}; waiting up to ${QUIET_WAIT_MS / 1000} s for it to fall below ${QUIET_LOAD}`);
  while (os.loadavg()[0]! >= QUIET_LOAD && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5_000));
}

function gitState(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: root, encoding: "utf8" }).trim() !== "";
    return { commit, dirty };
  } catch {
    return { commit: "unknown", dirty: false };
  }
}

function writeReport(file: string, markdown: string): void {
  writeFileSync(file, withAnalysis(markdown, existsSync(file) ? readFileSync(file, "utf8") : undefined));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      rounds: { type: "string" },
      seconds: { type: "string" },
      "fixed-seconds": { type: "string" },
      rate: { type: "string" },
      requests: { type: "string" },
      out: { type: "string" },
      report: { type: "string" },
      render: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });

  if (values.render) {
    const results = JSON.parse(readFileSync(values.render, "utf8")) as BenchResults;
    if (results.schema !== RESULTS_SCHEMA) usage(`--render: ${values.render} has schema ${results.schema}, this renderer reads ${RESULTS_SCHEMA}`);
    const report = values.report ?? path.join(root, "BENCHMARKS.md");
    writeReport(report, renderMarkdown(results));
    console.log(`bench: wrote ${path.relative(root, report)} from ${values.render}`);
    return;
  }

  const quick = values.quick!;
  const parts = new Set<Part>(
    values.only
      ? values.only.split(",").map((p) => {
          if (!(PARTS as readonly string[]).includes(p)) usage(`--only: unknown part ${JSON.stringify(p)} (expected ${PARTS.join(", ")})`);
          return p as Part;
        })
      : PARTS,
  );
  // Every part measures these bytes, even if someone rebuilds while the benchmark runs.
  const modules = loadModules(root, path.join(root, "build"));
  const outDirectory = path.resolve(values.out ?? path.join(root, "bench", "results"));
  // Only a full run of every part replaces BENCHMARKS.md; quick and partial runs report next to their JSON.
  const complete = !quick && parts.size === PARTS.length;
  const report = path.resolve(
    values.report ?? (complete ? path.join(root, "BENCHMARKS.md") : path.join(outDirectory, quick ? "quick.md" : "partial.md")),
  );
  const log = (line: string) => console.log(line);

  if (!quick) await waitForQuiet(log);
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  if (machine.loadAverageBefore[0]! >= QUIET_LOAD) {
    const load = machine.loadAverageBefore.map((x) => x.toFixed(2)).join(" ");
    log(`bench: the machine is not quiet (load average ${load}); running anyway, the report records it`);
  }
  const git = gitState();
  const versions: Versions = {
    envoy: "not run",
    node: process.version,
    assemblyscript: ascPackage.version,
    wrk: "not run",
    fortio: "not run",
    gitCommit: git.commit,
    gitDirty: git.dirty,
  };

  const harnessOptions: HarnessBenchOptions = {
    modules,
    rounds: positive("rounds", values.rounds, true) ?? (quick ? 1 : 7),
    requests: positive("requests", values.requests, true) ?? (quick ? 300 : 20_000),
    warmupRequests: quick ? 100 : 3_000,
    startupSamples: quick ? 2 : 30,
    log,
  };

  const results: BenchResults = {
    schema: RESULTS_SCHEMA,
    startedAt,
    finishedAt: "",
    machine,
    versions,
    settings: {
      mode: quick ? "quick" : "full",
      request: { method: BENCH_REQUEST.method, path: BENCH_REQUEST.path, authority: BENCH_REQUEST.authority, headers: BENCH_REQUEST.headers.map(([n, v]) => [n, v]) },
    },
    sizes: [],
    targets: [],
    raw: {},
  };

  if (parts.has("sizes")) {
    results.sizes = moduleSizes(modules);
    for (const s of results.sizes) log(`sizes: build/${s.filter}.wasm ${s.bytes} B (gzip ${s.gzipBytes} B)`);
  }

  if (parts.has("harness")) {
    const raw = runHarnessBench(harnessOptions);
    results.raw.harness = raw;
    results.harness = analyzeHarness(raw);
    results.settings.harness = {
      rounds: harnessOptions.rounds,
      requests: harnessOptions.requests,
      warmupRequests: harnessOptions.warmupRequests,
      startupSamples: harnessOptions.startupSamples,
    };
  }

  if (parts.has("envoy")) {
    const tools = provisionTools();
    if (!tools.ok) throw new Error(`Envoy is not available: ${tools.skipReason}`);
    const wrk = requireWrk();
    const fortio = installFortio();
    versions.envoy = tools.tools.envoyVersion;
    versions.wrk = wrkVersion(wrk);
    versions.fortio = fortioVersion(fortio);
    const pin = os.cpus().length >= 2 && which("taskset") !== undefined;
    const envoyOptions: EnvoyBenchOptions = {
      envoyBinary: tools.tools.envoy,
      wrk,
      fortio,
      modules,
      rounds: positive("rounds", values.rounds, true) ?? (quick ? 1 : 5),
      warmupSeconds: quick ? 1 : 3,
      saturationSeconds: positive("seconds", values.seconds, true) ?? (quick ? 1 : 8),
      fixedSeconds: positive("fixed-seconds", values["fixed-seconds"], true) ?? (quick ? 1 : 6),
      fixedRateFraction: 0.5,
      fixedRate: positive("rate", values.rate, true),
      memorySeconds: quick ? 1 : 3,
      retries: quick ? 0 : 2,
      connections: 16,
      envoyCpu: pin ? 1 : undefined,
      loadgenCpu: pin ? 0 : undefined,
      log,
    };
    const raw = await runEnvoyBench(envoyOptions);
    results.raw.envoy = raw;
    results.envoy = analyzeEnvoy(raw);
    results.settings.envoy = {
      rounds: envoyOptions.rounds,
      warmupSeconds: envoyOptions.warmupSeconds,
      saturationSeconds: envoyOptions.saturationSeconds,
      fixedSeconds: envoyOptions.fixedSeconds,
      fixedRate: raw.fixedRate,
      fixedRateFraction: envoyOptions.fixedRateFraction,
      memorySeconds: envoyOptions.memorySeconds,
      retries: envoyOptions.retries,
      connections: envoyOptions.connections,
      envoyCpu: envoyOptions.envoyCpu ?? null,
      loadgenCpu: envoyOptions.loadgenCpu ?? null,
    };
  }

  results.targets = evaluateTargets(results);
  results.machine.loadAverageAfter = os.loadavg();
  results.finishedAt = new Date().toISOString();

  mkdirSync(outDirectory, { recursive: true });
  const stamp = startedAt.replace(/[:.]/g, "-");
  const jsonFiles = quick ? ["quick.json"] : complete ? [`full-${stamp}.json`, "latest.json"] : [`partial-${stamp}.json`];
  for (const name of jsonFiles) writeFileSync(path.join(outDirectory, name), JSON.stringify(results, null, 1) + "\n");
  mkdirSync(path.dirname(report), { recursive: true });
  writeReport(report, renderMarkdown(results));
  log(`bench: wrote ${jsonFiles.map((f) => path.relative(root, path.join(outDirectory, f))).join(", ")} and ${path.relative(root, report)}`);
  for (const t of results.targets) log(`bench: target ${t.met === null ? "—" : t.met ? "met   " : "MISSED"} ${t.name}: ${t.value} (goal ${t.goal})`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exit(1);
});
