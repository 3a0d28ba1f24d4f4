/**
 * From raw measurements to the published figures: per-round ratios and differences, their medians with min–max,
 * the issue #8 targets, and the Markdown of BENCHMARKS.md (rendered from the JSON alone, so a results file can be
 * re-rendered with `npx tsx bench/run.ts --render <file>`).
 */
import type { EnvoyRawResults, Measurement } from "./envoy-bench";
import type { HarnessRawResults } from "./harness-bench";
import type { ModuleSize } from "./sizes";
import { summarize, type Summary } from "./stats";

export const RESULTS_SCHEMA = 1;

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
}

export interface Versions {
  envoy: string;
  node: string;
  assemblyscript: string;
  wrk: string;
  fortio: string;
  gitCommit: string;
  gitDirty: boolean;
}

export interface Settings {
  mode: "full" | "quick";
  envoy?: {
    rounds: number;
    warmupSeconds: number;
    saturationSeconds: number;
    fixedSeconds: number;
    fixedRate: number;
    fixedRateFraction: number;
    memorySeconds: number;
    retries: number;
    connections: number;
    envoyCpu: number | null;
    loadgenCpu: number | null;
  };
  harness?: { rounds: number; requests: number; warmupRequests: number; startupSamples: number };
  request: { method: string; path: string; authority: string; headers: Array<[string, string]> };
}

export interface EnvoyVariantResult {
  id: string;
  label: string;
  rps: Summary;
  /** rps / rps(none), per round. */
  throughputRatio: Summary;
  envoyBusy: Summary;
  saturationCpuUs: Summary;
  /** Envoy CPU µs per request at the fixed rate. */
  cpuUs: Summary;
  /** cpuUs − cpuUs(none), per round. */
  addedCpuUs: Summary;
  /** saturationCpuUs − saturationCpuUs(none), per round. */
  addedSaturationCpuUs: Summary;
  /** cpuUs − cpuUs(upstream listener): the proxy's own share (derived). */
  proxyCpuUs: Summary;
  /** (cpu(none) − cpu(upstream)) / (cpu − cpu(upstream)), per round: throughput ratio of the proxy alone (derived). */
  proxyThroughputRatio: Summary;
  p50Ms: Summary;
  p90Ms: Summary;
  p99Ms: Summary;
  addedP50Ms: Summary;
  addedP99Ms: Summary;
  rssMiB: number;
  addedRssMiB: number;
  invalid: string[];
}

export interface HarnessVariantResult {
  id: string;
  perSecond: Summary;
  usPerRequest: Summary;
  /** µs per request − µs per request of `noop`, per round. */
  addedUs: Summary;
  hostcalls: { total: number; byName: Record<string, number> };
  memoryBytes: { afterWarmup: number; afterRounds: number };
}

export interface Target {
  name: string;
  goal: string;
  value: string;
  met: boolean | null;
}

export interface BenchResults {
  schema: number;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  versions: Versions;
  settings: Settings;
  sizes: ModuleSize[];
  harness?: {
    variants: HarnessVariantResult[];
    startup: Array<{ id: string; compileMs: Summary; totalMs: Summary }>;
    /** (abac500 − noop) / (abac10 − noop), µs per request, per round. */
    scaling: Summary;
    sanity: string[];
  };
  envoy?: {
    fixedRate: number;
    variants: EnvoyVariantResult[];
    upstream: { cpuUs: Summary; p50Ms: Summary; p99Ms: Summary };
    /** (abac500 − none) / (abac10 − none), Envoy CPU per request at the fixed rate, per round. */
    scaling: Summary;
    /** The same from the CPU per request at saturation. */
    saturationScaling: Summary;
    /** rps(abac50) / rps(rbac50), per round. */
    abacVsRbac: Summary;
    /** (cpu(abac50) − cpu(noop)) / (cpu(rbac50) − cpu(none)): ABAC's policy logic relative to native RBAC's. */
    policyLogicVsRbac: Summary;
    sharedRssMiB: number;
    sanity: string[];
    invalidMeasurements: Array<{ round: number; variant: string; kind: string; attempt: number; reasons: string[] }>;
  };
  targets: Target[];
  raw: { envoy?: EnvoyRawResults; harness?: HarnessRawResults };
}

// -----------------------------------------------------------------------------------------------------------------
// Analysis
// -----------------------------------------------------------------------------------------------------------------

type ByRound = Map<number, Measurement>;

function index(measurements: Measurement[], kind: Measurement["kind"]): Map<string, ByRound> {
  const out = new Map<string, ByRound>();
  for (const m of measurements) {
    if (m.kind !== kind) continue;
    if (!out.has(m.variant)) out.set(m.variant, new Map());
    // The last attempt of a (variant, round) counts: retries follow a failed attempt.
    out.get(m.variant)!.set(m.round, m);
  }
  return out;
}

/** Per-round values of f over the rounds where every listed variant was measured; valid when all were. */
function perRound(
  table: Map<string, ByRound>,
  ids: string[],
  f: (ms: Measurement[]) => number,
): Summary {
  const rounds = [...(table.get(ids[0]!)?.keys() ?? [])].sort((a, b) => a - b);
  const values: number[] = [];
  const valid: boolean[] = [];
  for (const round of rounds) {
    const ms = ids.map((id) => table.get(id)?.get(round));
    if (ms.some((m) => m === undefined)) continue;
    const defined = ms as Measurement[];
    values.push(f(defined));
    valid.push(defined.every((m) => m.invalid.length === 0));
  }
  return summarize(values, valid);
}

/** Ratio per round, dropped (NaN) when the denominator is not positive. */
function safeRatio(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : Number.NaN;
}

export function analyzeEnvoy(raw: EnvoyRawResults): NonNullable<BenchResults["envoy"]> {
  const sat = index(raw.measurements, "saturation");
  const fix = index(raw.measurements, "fixed");
  const up = "upstream";
  const ids = raw.variants.map((v) => v.id).filter((id) => id !== up);
  const noneRss = raw.rssBytes["none"] ?? Number.NaN;
  const variants: EnvoyVariantResult[] = ids.map((id) => {
    const label = raw.variants.find((v) => v.id === id)!.label;
    const own = [...raw.measurements.filter((m) => m.variant === id)];
    return {
      id,
      label,
      rps: perRound(sat, [id], ([m]) => m!.load.rps),
      throughputRatio: perRound(sat, [id, "none"], ([m, n]) => m!.load.rps / n!.load.rps),
      envoyBusy: perRound(sat, [id], ([m]) => m!.envoyBusy),
      saturationCpuUs: perRound(sat, [id], ([m]) => m!.envoyCpuUsPerRequest),
      cpuUs: perRound(fix, [id], ([m]) => m!.envoyCpuUsPerRequest),
      addedCpuUs: perRound(fix, [id, "none"], ([m, n]) => m!.envoyCpuUsPerRequest - n!.envoyCpuUsPerRequest),
      addedSaturationCpuUs: perRound(sat, [id, "none"], ([m, n]) => m!.envoyCpuUsPerRequest - n!.envoyCpuUsPerRequest),
      proxyCpuUs: perRound(fix, [id, up], ([m, u]) => m!.envoyCpuUsPerRequest - u!.envoyCpuUsPerRequest),
      proxyThroughputRatio: perRound(fix, [id, "none", up], ([m, n, u]) =>
        safeRatio(n!.envoyCpuUsPerRequest - u!.envoyCpuUsPerRequest, m!.envoyCpuUsPerRequest - u!.envoyCpuUsPerRequest),
      ),
      p50Ms: perRound(fix, [id], ([m]) => m!.load.p50Ms),
      p90Ms: perRound(fix, [id], ([m]) => m!.load.p90Ms),
      p99Ms: perRound(fix, [id], ([m]) => m!.load.p99Ms),
      addedP50Ms: perRound(fix, [id, "none"], ([m, n]) => m!.load.p50Ms - n!.load.p50Ms),
      addedP99Ms: perRound(fix, [id, "none"], ([m, n]) => m!.load.p99Ms - n!.load.p99Ms),
      rssMiB: (raw.rssBytes[id] ?? Number.NaN) / 2 ** 20,
      addedRssMiB: ((raw.rssBytes[id] ?? Number.NaN) - noneRss) / 2 ** 20,
      invalid: own.filter((m) => m.invalid.length > 0).map((m) => `round ${m.round} ${m.kind}: ${m.invalid.join("; ")}`),
    };
  });
  return {
    fixedRate: raw.fixedRate,
    variants,
    upstream: {
      cpuUs: perRound(fix, [up], ([m]) => m!.envoyCpuUsPerRequest),
      p50Ms: perRound(fix, [up], ([m]) => m!.load.p50Ms),
      p99Ms: perRound(fix, [up], ([m]) => m!.load.p99Ms),
    },
    scaling: perRound(fix, ["abac500", "abac10", "none"], ([a500, a10, n]) =>
      safeRatio(a500!.envoyCpuUsPerRequest - n!.envoyCpuUsPerRequest, a10!.envoyCpuUsPerRequest - n!.envoyCpuUsPerRequest),
    ),
    saturationScaling: perRound(sat, ["abac500", "abac10", "none"], ([a500, a10, n]) =>
      safeRatio(a500!.envoyCpuUsPerRequest - n!.envoyCpuUsPerRequest, a10!.envoyCpuUsPerRequest - n!.envoyCpuUsPerRequest),
    ),
    abacVsRbac: perRound(sat, ["abac50", "rbac50"], ([a, r]) => a!.load.rps / r!.load.rps),
    policyLogicVsRbac: perRound(fix, ["abac50", "noop", "rbac50", "none"], ([a, w, r, n]) =>
      safeRatio(a!.envoyCpuUsPerRequest - w!.envoyCpuUsPerRequest, r!.envoyCpuUsPerRequest - n!.envoyCpuUsPerRequest),
    ),
    sharedRssMiB: raw.sharedRssBytes / 2 ** 20,
    sanity: raw.sanity,
    invalidMeasurements: raw.measurements
      .filter((m) => m.invalid.length > 0)
      .map((m) => ({ round: m.round, variant: m.variant, kind: m.kind, attempt: m.attempt, reasons: m.invalid })),
  };
}

export function analyzeHarness(raw: HarnessRawResults): NonNullable<BenchResults["harness"]> {
  const ids = Object.keys(raw.perSecond);
  const us = (id: string): number[] => raw.perSecond[id]!.map((rate) => 1e6 / rate);
  const noop = us("noop");
  const variants: HarnessVariantResult[] = ids.map((id) => ({
    id,
    perSecond: summarize(raw.perSecond[id]!),
    usPerRequest: summarize(us(id)),
    addedUs: summarize(us(id).map((value, round) => value - noop[round]!)),
    hostcalls: raw.hostcalls[id]!,
    memoryBytes: raw.memoryBytes[id]!,
  }));
  const a10 = us("abac10");
  const a500 = us("abac500");
  return {
    variants,
    startup: Object.entries(raw.startup).map(([id, s]) => ({ id, compileMs: summarize(s.compileMs), totalMs: summarize(s.totalMs) })),
    scaling: summarize(a500.map((value, round) => safeRatio(value - noop[round]!, a10[round]! - noop[round]!))),
    sanity: raw.sanity,
  };
}

export function evaluateTargets(results: Pick<BenchResults, "sizes" | "harness" | "envoy">): Target[] {
  const targets: Target[] = [];
  const envoy = results.envoy;
  const ev = (id: string) => envoy?.variants.find((v) => v.id === id);
  const ratioTarget = (name: string, s: Summary | undefined, goal: number) => {
    if (!s) return;
    targets.push({ name, goal: `≥ ${goal.toFixed(2)}×`, value: `${fmtRatio(s)}${s.valid ? "" : " (invalid)"}`, met: s.valid ? s.median >= goal : null });
  };
  if (envoy) {
    ratioTarget("Envoy: ABAC (50 policies) throughput / no filter", ev("abac50")?.throughputRatio, 0.95);
    ratioTarget("Envoy: ABAC (50 policies) throughput / native RBAC (same rules)", envoy.abacVsRbac, 0.97);
    ratioTarget("Envoy: recorder throughput / no filter", ev("recorder")?.throughputRatio, 0.95);
    ratioTarget("Envoy: ABAC 50 + recorder throughput / no filter", ev("abac50_recorder")?.throughputRatio, 0.9);
    const s = envoy.scaling;
    targets.push({
      name: "Envoy: ABAC 500 / ABAC 10 policies, added CPU per request over no filter",
      goal: "≤ 1.50×",
      value: `${fmtRatio(s)}${s.valid ? "" : " (invalid)"}`,
      met: s.valid && Number.isFinite(s.median) ? s.median <= 1.5 : null,
    });
    const noop = ev("noop");
    if (noop) {
      targets.push({
        name: "Envoy: no-op Wasm filter (the floor; reported, no goal)",
        goal: "—",
        value: `${fmtRatio(noop.throughputRatio)} throughput, +${fmt(noop.addedCpuUs.median, 1)} µs CPU per request`,
        met: null,
      });
    }
  }
  const harness = results.harness;
  if (harness) {
    const hv = (id: string) => harness.variants.find((v) => v.id === id);
    const rate = (name: string, id: string, goal: number) => {
      const v = hv(id);
      if (!v) return;
      targets.push({ name, goal: `≥ ${goal.toLocaleString("en-US")}/s`, value: `${fmtInt(v.perSecond.median)}/s`, met: v.perSecond.median >= goal });
    };
    rate("Harness: `hello` lifecycles per second", "hello", 100_000);
    rate("Harness: ABAC (50 policies) lifecycles per second", "abac50", 25_000);
    targets.push({
      name: "Harness: ABAC 500 / ABAC 10 policies, µs per request over `noop`",
      goal: "≤ 1.50×",
      value: fmtRatio(harness.scaling),
      met: Number.isFinite(harness.scaling.median) ? harness.scaling.median <= 1.5 : null,
    });
  }
  for (const size of results.sizes) {
    targets.push({
      name: `Size: build/${size.filter}.wasm`,
      goal: `≤ ${fmtInt(size.targetBytes)} B`,
      value: `${fmtInt(size.bytes)} B`,
      met: size.bytes <= size.targetBytes,
    });
  }
  return targets;
}

// -----------------------------------------------------------------------------------------------------------------
// Markdown
// -----------------------------------------------------------------------------------------------------------------

/** Everything after this line of an existing BENCHMARKS.md is kept when the file is regenerated. */
export const ANALYSIS_MARKER = "<!-- Hand-written analysis below: kept when `npm run bench` regenerates this file. -->";

/** The new report: `generated`, the marker, and the hand-written part of `previous` (the old file, if any). */
export function withAnalysis(generated: string, previous: string | undefined): string {
  const at = previous?.indexOf(ANALYSIS_MARKER) ?? -1;
  const analysis = at >= 0 ? previous!.slice(at + ANALYSIS_MARKER.length).replace(/^\n+/, "") : "";
  return `${generated.trimEnd()}\n\n${ANALYSIS_MARKER}\n\n${analysis}`.trimEnd() + "\n";
}

function fmt(value: number, digits: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function fmtInt(value: number): string {
  return fmt(value, 0);
}

function fmtSigned(value: number, digits: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return `${value >= 0 ? "+" : "−"}${fmt(Math.abs(value), digits)}`;
}

/** `median (min–max)`; `⚠` marks a figure no round of which passed the validity gates. */
function fmtSummary(s: Summary, digits: number, signed = false): string {
  const f = (v: number) => (signed ? fmtSigned(v, digits) : fmt(v, digits));
  if (!Number.isFinite(s.median)) return "n/a";
  const range = s.n > 1 ? ` (${f(s.min)} – ${f(s.max)})` : "";
  return `${f(s.median)}${range}${s.valid ? "" : " ⚠"}`;
}

function fmtRatio(s: Summary): string {
  return fmtSummary(s, 3);
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  const quick = r.settings.mode === "quick";
  out.push("# Benchmarks");
  out.push("");
  out.push(
    `Generated by \`npm run bench${quick ? " -- --quick" : ""}\` from [\`bench/\`](bench/) — do not edit the tables by hand. ` +
      "Method, definitions and how to re-run: [docs/BENCHMARKING.md](docs/BENCHMARKING.md). " +
      "Figures are the **median of the measured rounds (min – max)**; ratios are computed per round, then summarised. " +
      "`⚠` marks a figure with no round that passed the validity gates.",
  );
  if (quick) {
    out.push("");
    out.push("> **Quick run** (`--quick`): one short round per variant. It checks that the benchmarks run; its figures are not measurements.");
  }
  out.push("");
  out.push("## Run");
  out.push("");
  const m = r.machine;
  const v = r.versions;
  const quiet = (m.loadAverageBefore[0] ?? Infinity) < 0.5;
  out.push(
    table(
      ["", ""],
      [
        ["Date", `${r.startedAt} → ${r.finishedAt}`],
        ["Machine", `${m.cores} × ${m.cpuModel}, ${fmt(m.memoryGiB, 1)} GiB, Linux ${m.kernel}`],
        [
          "Load average (1/5/15 min)",
          `before ${m.loadAverageBefore.map((x) => x.toFixed(2)).join(" / ")}, after ${m.loadAverageAfter.map((x) => x.toFixed(2)).join(" / ")}` +
            (quiet ? " (quiet)" : " — **not quiet: other processes shared the 2 cores; trust ratios more than absolute numbers**"),
        ],
        ["Envoy", v.envoy],
        ["Node", v.node],
        ["AssemblyScript", v.assemblyscript],
        ["Load generators", `${v.wrk} (saturation), fortio ${v.fortio} (fixed rate)`],
        ["Commit", `${v.gitCommit}${v.gitDirty ? " + uncommitted changes" : ""}`],
      ],
    ),
  );
  out.push("");
  const e = r.settings.envoy;
  if (e) {
    out.push(
      `Envoy protocol: one Envoy, \`--concurrency 1\`, ${e.envoyCpu === null ? "unpinned" : `pinned to CPU ${e.envoyCpu}`}; load generator ${
        e.loadgenCpu === null ? "unpinned" : `pinned to CPU ${e.loadgenCpu}`
      }; ${e.connections} keep-alive HTTP/1.1 connections, no body; 1 warm-up round (${e.warmupSeconds} s per variant, discarded) + ` +
        `${e.rounds} measured round(s), variants in rotated order; per variant and round ${e.saturationSeconds} s of wrk (saturation) then ` +
        `${e.fixedSeconds} s of fortio at ${fmtInt(e.fixedRate)} requests/s (${e.fixedRateFraction} × the slowest variant's warm-up saturation). ` +
        "Upstream: a `direct_response` listener of the same Envoy. Request: " +
        `\`${r.settings.request.method} ${r.settings.request.path}\`, \`host: ${r.settings.request.authority}\`, ` +
        r.settings.request.headers.map(([n, val]) => `\`${n}: ${val}\``).join(", ") +
        " — allowed only by the ABAC/RBAC policy evaluated last.",
    );
    out.push("");
  }

  out.push("## Targets (issue #8)");
  out.push("");
  out.push(
    table(
      ["Target", "Goal", "Measured", "Status"],
      r.targets.map((t) => [t.name, t.goal, t.value, t.met === null ? "—" : t.met ? "met" : "**missed**"]),
    ),
  );
  out.push("");

  if (r.envoy) {
    const en = r.envoy;
    out.push("## 1. Envoy overhead");
    out.push("");
    out.push(
      "Throughput at saturation (wrk, closed loop) and its ratio to no filter in the same round; Envoy CPU per request at the fixed rate " +
        "(Δ utime+stime of the Envoy process / Δ `downstream_rq_completed` of the listener) and what the variant adds over no filter; " +
        "latency at the fixed rate (fortio) and what it adds; RSS of an Envoy running that variant alone.",
    );
    out.push("");
    out.push(
      table(
        [
          "Variant",
          "Throughput (rq/s)",
          "Ratio to no filter",
          "Envoy CPU µs/rq",
          "Added CPU µs/rq",
          "p50 ms",
          "Added p50 ms",
          "p99 ms",
          "Added p99 ms",
          "RSS MiB",
          "Added RSS MiB",
        ],
        en.variants.map((x) => [
          x.label,
          fmtSummary(x.rps, 0),
          fmtRatio(x.throughputRatio),
          fmtSummary(x.cpuUs, 1),
          x.id === "none" ? "—" : fmtSummary(x.addedCpuUs, 1, true),
          fmtSummary(x.p50Ms, 3),
          x.id === "none" ? "—" : fmtSummary(x.addedP50Ms, 3, true),
          fmtSummary(x.p99Ms, 3),
          x.id === "none" ? "—" : fmtSummary(x.addedP99Ms, 3, true),
          fmt(x.rssMiB, 1),
          x.id === "none" ? "—" : fmtSigned(x.addedRssMiB, 1),
        ]),
      ),
    );
    out.push("");
    out.push(
      `The upstream listener costs ${fmtSummary(en.upstream.cpuUs, 1)} µs of the same Envoy's CPU per request (measured directly at the fixed rate), ` +
        "so every variant's CPU per request and throughput include it. Without it — the proxy's own work, as in a sidecar whose application runs elsewhere " +
        "(derived: CPU per request minus the upstream's):",
    );
    out.push("");
    out.push(
      table(
        ["Variant", "Proxy CPU µs/rq (derived)", "Proxy-only throughput ratio (derived)", "Envoy busy at saturation", "Envoy CPU µs/rq at saturation", "Added at saturation"],
        en.variants.map((x) => [
          x.label,
          fmtSummary(x.proxyCpuUs, 1),
          fmtRatio(x.proxyThroughputRatio),
          fmtSummary(x.envoyBusy, 2),
          fmtSummary(x.saturationCpuUs, 1),
          x.id === "none" ? "—" : fmtSummary(x.addedSaturationCpuUs, 1, true),
        ]),
      ),
    );
    out.push("");
    const noop = en.variants.find((x) => x.id === "noop");
    out.push(
      `- Wasm tax (no-op filter − no filter): ${noop ? fmtSummary(noop.addedCpuUs, 1, true) : "n/a"} µs CPU per request.`,
    );
    out.push(`- ABAC 50 throughput / native RBAC 50 throughput: ${fmtRatio(en.abacVsRbac)}.`);
    out.push(
      `- ABAC's policy logic relative to native RBAC's, (ABAC 50 − no-op Wasm) / (RBAC 50 − no filter) CPU per request: ${fmtRatio(en.policyLogicVsRbac)}.`,
    );
    const wasmListeners = en.variants.filter((x) => x.id !== "none" && x.id !== "rbac50").length;
    out.push(
      `- RSS of the shared process (all ${en.variants.length} listeners, ${wasmListeners} with Wasm VMs) after the rounds: ` +
        `${fmt(en.sharedRssMiB, 1)} MiB.`,
    );
    out.push("");
  }

  if (r.harness) {
    const h = r.harness;
    const hs = r.settings.harness!;
    out.push("## 2. Harness");
    out.push("");
    out.push(
      `Request lifecycles per second through the Node harness (create → request headers → response headers → log → done → delete), ` +
        `${hs.rounds} measured round(s) of ${fmtInt(hs.requests)} lifecycles after a warm-up round, rotated order; same request and configurations as in Envoy. ` +
        "Host calls per request are counted on one request after 20 (deterministic).",
    );
    out.push("");
    out.push(
      table(
        ["Module", "Lifecycles/s", "µs/request", "Added µs over `noop`", "Host calls/request", "Wasm memory (after warm-up → after rounds)"],
        h.variants.map((x) => [
          x.id,
          fmtSummary(x.perSecond, 0),
          fmtSummary(x.usPerRequest, 2),
          x.id === "noop" ? "—" : fmtSummary(x.addedUs, 2, true),
          x.hostcalls.total === 0
            ? "0"
            : `${x.hostcalls.total} (${Object.entries(x.hostcalls.byName)
                .sort((a, b) => b[1] - a[1])
                .map(([name, count]) => `${name.replace(/^(env\.)?proxy_/, "")} ${count}`)
                .join(", ")})`,
          `${fmt(x.memoryBytes.afterWarmup / 1024, 0)} → ${fmt(x.memoryBytes.afterRounds / 1024, 0)} KiB`,
        ]),
      ),
    );
    out.push("");
    out.push(
      `Compile + start + configure: \`createHost(bytes, { configuration })\` — V8 compile, the harness's module checks, instantiate, ` +
        `\`_initialize\`, \`proxy_on_vm_start\`, \`proxy_on_configure\` — with fresh bytes each time (${hs.startupSamples} samples), next to V8's compile alone.`,
    );
    out.push("");
    out.push(
      table(
        ["Module", "Compile + start + configure ms", "of which V8 compile ms (separate sample)"],
        h.startup.map((s) => [s.id, fmtSummary(s.totalMs, 2), fmtSummary(s.compileMs, 2)]),
      ),
    );
    out.push("");
  }

  out.push("## 3. Module sizes");
  out.push("");
  if (r.sizes.length === 0) out.push("Not measured in this run.");
  else out.push(
    table(
      ["Filter", "Release .wasm", "gzip -9", "Code section", "Data section", "Goal", "sha256 (first 12)"],
      r.sizes.map((s) => [
        s.filter,
        `${fmtInt(s.bytes)} B`,
        `${fmtInt(s.gzipBytes)} B`,
        `${fmtInt(s.codeBytes)} B`,
        `${fmtInt(s.dataBytes)} B`,
        `≤ ${fmtInt(s.targetBytes)} B ${s.bytes <= s.targetBytes ? "(met)" : "(**missed**)"}`,
        `\`${s.sha256}\``,
      ]),
    ),
  );
  out.push("");

  out.push("## 4. Scaling: ABAC with 10 vs 500 policies");
  out.push("");
  const rows: string[][] = [];
  if (r.envoy) {
    const a = (id: string) => r.envoy!.variants.find((x) => x.id === id)!;
    const row = (label: string, pick: (x: EnvoyVariantResult) => Summary, ratio: Summary) =>
      rows.push([label, ...["abac10", "abac50", "abac500"].map((id) => fmtSummary(pick(a(id)), 1)), fmtRatio(ratio)]);
    row("Envoy: added CPU µs per request over no filter, fixed rate (the target's measure)", (x) => x.addedCpuUs, r.envoy.scaling);
    row("Envoy: the same at saturation", (x) => x.addedSaturationCpuUs, r.envoy.saturationScaling);
  }
  if (r.harness) {
    const a = (id: string) => r.harness!.variants.find((x) => x.id === id)!;
    rows.push([
      "Harness: µs per request over `noop`",
      ...["abac10", "abac50", "abac500"].map((id) => fmtSummary(a(id).addedUs, 2)),
      fmtRatio(r.harness.scaling),
    ]);
  }
  out.push(table(["", "10 policies", "50 policies", "500 policies", "500 / 10 (goal ≤ 1.5×)"], rows));
  out.push("");

  if (r.envoy) {
    out.push("## Validity");
    out.push("");
    out.push(
      "Gates per measurement: no non-2xx and no socket errors (client and Envoy counters), load generator below 90 % of a CPU, " +
        "Envoy busy ≥ 80 % of its CPU during saturation, fixed-rate runs reaching ≥ 99 % of the rate. A measurement that fails is repeated " +
        `at once (up to ${r.settings.envoy?.retries ?? 0} times); failed attempts are kept in the raw JSON and left out of the medians.`,
    );
    out.push("");
    out.push(`Sanity checks before measuring: ${r.envoy.sanity.join("; ")}.`);
    out.push("");
    const bad = r.envoy.invalidMeasurements;
    if (bad.length === 0) out.push("Every measurement passed the gates.");
    else {
      out.push(`${bad.length} measurement(s) failed a gate:`);
      out.push("");
      for (const b of bad) {
        out.push(`- round ${b.round}, ${b.variant}, ${b.kind}${b.attempt > 0 ? ` (retry ${b.attempt})` : ""}: ${b.reasons.join("; ")}`);
      }
    }
    out.push("");
  }
  return out.join("\n");
}
