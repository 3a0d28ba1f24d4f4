/**
 * The differential check (issue #4 item 5): the same scenario run by the harness and by Envoy must give the
 * same (normalized) outcome, field by field. A difference fails, unless it is listed — with a reason — in the
 * known-differences file (`test/scenarios/known-differences.yaml`, mirrored in docs/HARNESS.md
 * "Known differences"). Used by `test/e2e/differential.e2e.test.ts` and `scripts/fidelity.ts`.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { checkExpectation, checkLoad, type Mismatch } from "../scenario/expect";
import type { LoadOutcome, Outcome, Scenario } from "../scenario/types";

/** What one runner produced for one scenario. */
export interface RunResult {
  load: LoadOutcome;
  outcomes: Outcome[];
}

/** Every way a run fails the scenario's own expectations (`expectRejected` and each step's `expect`). */
export function expectationMismatches(scenario: Scenario, run: RunResult): Mismatch[] {
  const mismatches: Mismatch[] = [...checkLoad(scenario.expectRejected ?? false, run.load)];
  run.outcomes.forEach((outcome, index) => {
    const step = scenario.requests[index];
    if (!step) return;
    for (const mismatch of checkExpectation(step.expect, outcome)) {
      mismatches.push({ ...mismatch, field: `requests[${index}].${mismatch.field}` });
    }
  });
  return mismatches;
}

export interface FieldDifference {
  /** e.g. `load.rejected`, `requests[0].status`, `requests[1].headers["x-a"]`, `requests[0].logs`. */
  field: string;
  harness: unknown;
  envoy: unknown;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function compareRecord(
  field: string,
  harness: Record<string, unknown>,
  envoy: Record<string, unknown>,
  out: FieldDifference[],
): void {
  const keys = [...new Set([...Object.keys(envoy), ...Object.keys(harness)])].sort();
  for (const key of keys) {
    if (!same(harness[key], envoy[key])) {
      out.push({ field: `${field}[${JSON.stringify(key)}]`, harness: harness[key] ?? null, envoy: envoy[key] ?? null });
    }
  }
}

/**
 * Field-by-field differences between the harness's and Envoy's results. The load logs are compared only for a
 * rejected configuration: for an accepted one the number of load-time instances differs by design (Envoy runs
 * on_configure in the canary, the main thread's VM and each worker's VM — docs/E2E.md).
 */
export function compareRuns(harness: RunResult, envoy: RunResult): FieldDifference[] {
  const out: FieldDifference[] = [];
  if (harness.load.rejected !== envoy.load.rejected) {
    out.push({ field: "load.rejected", harness: harness.load.rejected, envoy: envoy.load.rejected });
  } else if (envoy.load.rejected && !same(harness.load.logs, envoy.load.logs)) {
    out.push({ field: "load.logs", harness: harness.load.logs, envoy: envoy.load.logs });
  }
  if (harness.outcomes.length !== envoy.outcomes.length) {
    out.push({ field: "requests.length", harness: harness.outcomes.length, envoy: envoy.outcomes.length });
  }
  const count = Math.min(harness.outcomes.length, envoy.outcomes.length);
  for (let i = 0; i < count; i++) {
    const h = harness.outcomes[i]!;
    const e = envoy.outcomes[i]!;
    const at = `requests[${i}]`;
    for (const field of ["status", "body", "responseCodeDetails", "logs", "callouts"] as const) {
      if (!same(h[field], e[field])) out.push({ field: `${at}.${field}`, harness: h[field], envoy: e[field] });
    }
    compareRecord(`${at}.headers`, h.headers, e.headers, out);
    compareRecord(`${at}.filterState`, h.filterState, e.filterState, out);
    compareRecord(`${at}.metrics`, h.metrics, e.metrics, out);
    if (h.upstream === null || e.upstream === null) {
      if (h.upstream !== e.upstream) out.push({ field: `${at}.upstream`, harness: h.upstream, envoy: e.upstream });
    } else {
      for (const field of ["method", "path", "body"] as const) {
        if (h.upstream[field] !== e.upstream[field]) {
          out.push({ field: `${at}.upstream.${field}`, harness: h.upstream[field], envoy: e.upstream[field] });
        }
      }
      compareRecord(`${at}.upstream.headers`, h.upstream.headers, e.upstream.headers, out);
    }
  }
  return out;
}

/** One accepted difference: scenario id and field are exact strings or globs (`*` = any run of characters). */
export interface KnownDifference {
  scenario: string;
  field: string;
  reason: string;
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

/** Reads and validates the known-differences file (a YAML list of {scenario, field, reason}). */
export function loadKnownDifferences(file: string): KnownDifference[] {
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const list = (parsed as { differences?: unknown } | null)?.differences ?? [];
  if (!Array.isArray(list)) throw new Error(`${file}: "differences" must be a list`);
  return list.map((entry, index) => {
    const where = `${file}: differences[${index}]`;
    const item = entry as Partial<KnownDifference>;
    for (const key of ["scenario", "field", "reason"] as const) {
      if (typeof item[key] !== "string" || item[key]!.trim() === "") throw new Error(`${where}.${key} must be a non-empty string`);
    }
    return { scenario: item.scenario!, field: item.field!, reason: item.reason! };
  });
}

/** Splits differences into those explained by a known-difference entry and the rest. */
export function explain(
  scenarioId: string,
  differences: FieldDifference[],
  known: KnownDifference[],
): { unexplained: FieldDifference[]; explained: Array<FieldDifference & { entry: KnownDifference }> } {
  const applicable = known.filter((entry) => glob(entry.scenario).test(scenarioId));
  const unexplained: FieldDifference[] = [];
  const explained: Array<FieldDifference & { entry: KnownDifference }> = [];
  for (const difference of differences) {
    const entry = applicable.find((candidate) => glob(candidate.field).test(difference.field));
    if (entry) explained.push({ ...difference, entry });
    else unexplained.push(difference);
  }
  return { unexplained, explained };
}

/** True when `scenarioId` matches the entry's scenario pattern. */
export function knownDifferenceApplies(entry: KnownDifference, scenarioId: string): boolean {
  return glob(entry.scenario).test(scenarioId);
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? "undefined";
}

/** Log lists are shown line by line so the first diverging line stands out. */
function formatLogs(harness: Outcome["logs"], envoy: Outcome["logs"]): string[] {
  const lines: string[] = [];
  const count = Math.max(harness.length, envoy.length);
  for (let i = 0; i < count; i++) {
    const h = harness[i];
    const e = envoy[i];
    const text = (log: { level: string; message: string } | undefined) => (log ? `${log.level} ${show(log.message)}` : "(none)");
    if (same(h, e)) lines.push(`      [${i}]   ${text(e)}`);
    else {
      lines.push(`      [${i}] - envoy   ${text(e)}`);
      lines.push(`      [${i}] + harness ${text(h)}`);
    }
  }
  return lines;
}

/** A readable report of the differences of one scenario. */
export function formatDifferences(scenarioId: string, differences: FieldDifference[]): string {
  const lines = [`${scenarioId}: harness and Envoy disagree on ${differences.length} field(s)`];
  for (const difference of differences) {
    if (difference.field.endsWith(".logs") && Array.isArray(difference.harness) && Array.isArray(difference.envoy)) {
      lines.push(`  ${difference.field}:`);
      lines.push(...formatLogs(difference.harness as Outcome["logs"], difference.envoy as Outcome["logs"]));
    } else {
      lines.push(`  ${difference.field}:`, `      - envoy   ${show(difference.envoy)}`, `      + harness ${show(difference.harness)}`);
    }
  }
  return lines.join("\n");
}
