/**
 * What each output of the recorder costs in Envoy: the benchmark's recorder configuration with one output
 * switched off at a time, next to no filter and the no-op Wasm filter, in one pinned Envoy. Envoy CPU per request
 * (Δ utime+stime / Δ requests completed) at saturation (wrk; on this 2-core machine less noisy than a fixed rate,
 * see docs/BENCHMARKING.md) or, with --rate, at a fixed rate (fortio); interleaved rounds, median. Not part of
 * `npm run bench`: it backs the recorder paragraph of BENCHMARKS.md's analysis.
 *
 *   npx tsx bench/recorder-costs.ts [--rate R] [--seconds 6] [--rounds 5] [--modules build]
 *
 * `--modules DIR` loads the modules from DIR instead of build/ (e.g. a copy holding an earlier l7-metadata.wasm,
 * to compare builds).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { provisionTools } from "../harness/envoy/tools";
import { deploy, loadRequest } from "./lib/envoy-bench";
import type { EnvoyVariant, FilterSpec } from "./lib/envoy-config";
import { runFortio, runWrk } from "./lib/loadgen";
import { loadModules } from "./lib/modules";
import { cpuTimes } from "./lib/proc";
import { median, rotate } from "./lib/stats";
import { installFortio, requireWrk, which } from "./lib/tools";
import { RECORDER_CONFIG } from "./lib/workload";

const root = fileURLToPath(new URL("..", import.meta.url));

const recorder = (configuration: unknown): FilterSpec[] => [{ kind: "wasm", filter: "l7-metadata", configuration }];
const { metrics: _metrics, export: _export, ...withoutOutputs } = RECORDER_CONFIG;

const VARIANTS: Array<EnvoyVariant & { what: string }> = [
  { id: "none", what: "no filter", filters: [] },
  { id: "noop", what: "no-op Wasm", filters: [{ kind: "wasm" as const, filter: "noop" }] },
  { id: "recorder", what: "recorder, benchmark configuration", filters: recorder(RECORDER_CONFIG) },
  { id: "no_field_state", what: "… without per-field filter state (filterState.fields: false)", filters: recorder({ ...RECORDER_CONFIG, filterState: { fields: false } }) },
  { id: "no_metrics", what: "… without request metrics", filters: recorder({ ...withoutOutputs, export: RECORDER_CONFIG.export }) },
  { id: "no_export", what: "… without export", filters: recorder({ ...withoutOutputs, metrics: RECORDER_CONFIG.metrics }) },
  { id: "document_only", what: "… no metrics, no export, no per-field state (facts + document)", filters: recorder({ ...withoutOutputs, filterState: { fields: false } }) },
  { id: "one_field", what: "one field (method), document only", filters: recorder({ fields: ["method"], filterState: { fields: false } }) },
].map((v) => ({ ...v, label: v.what, enforces: false }));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rate: { type: "string" }, seconds: { type: "string", default: "6" }, rounds: { type: "string", default: "5" }, modules: { type: "string" } },
  });
  const seconds = Number(values.seconds);
  const tools = provisionTools();
  if (!tools.ok) throw new Error(`Envoy is not available: ${tools.skipReason}`);
  const wrk = requireWrk();
  const fortio = installFortio();
  const pin = os.cpus().length >= 2 && which("taskset") !== undefined;
  const cpu = pin ? 0 : undefined;
  const directory = await mkdtemp(path.join(tmpdir(), "as-proxy-recorder-costs-"));
  const modules = loadModules(root, path.resolve(values.modules ?? path.join(root, "build")));
  const deployment = await deploy(VARIANTS, { envoyBinary: tools.tools.envoy, modules, envoyCpu: pin ? 1 : undefined }, directory, "costs");
  try {
    const pid = deployment.envoy.pid!;
    const completed = async (id: string) => (await deployment.envoy.stats(`^http\\.${id}\\.downstream_rq_completed$`)).get(`http.${id}.downstream_rq_completed`) ?? 0;
    for (const v of VARIANTS) await runWrk(wrk, loadRequest(deployment.ports.get(v.id)!), { connections: 16, seconds: 1, cpu });
    const samples = new Map<string, number[]>(VARIANTS.map((v) => [v.id, []]));
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const v of rotate(VARIANTS, round)) {
        const before = await completed(v.id);
        const cpuBefore = cpuTimes(pid).self;
        const request = loadRequest(deployment.ports.get(v.id)!);
        if (values.rate) await runFortio(fortio, request, { rate: Number(values.rate), connections: 16, seconds, cpu });
        else await runWrk(wrk, request, { connections: 16, seconds, cpu });
        const cpuAfter = cpuTimes(pid).self;
        samples.get(v.id)!.push(((cpuAfter - cpuBefore) / ((await completed(v.id)) - before)) * 1e6);
      }
    }
    const noop = median(samples.get("noop")!);
    const at = values.rate ? `${values.rate} rq/s` : "saturation";
    console.log(`Envoy CPU µs per request at ${at}, median of ${values.rounds} rounds (min – max), and over the no-op filter:`);
    for (const v of VARIANTS) {
      const xs = samples.get(v.id)!;
      const m = median(xs);
      console.log(`  ${m.toFixed(1).padStart(6)} (${Math.min(...xs).toFixed(1)} – ${Math.max(...xs).toFixed(1)})  ${(m - noop >= 0 ? "+" : "") + (m - noop).toFixed(1)}  ${v.what}`);
    }
  } finally {
    await deployment.envoy.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`recorder-costs: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
