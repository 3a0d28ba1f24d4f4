// Issue #4 item 5: every scenario under test/scenarios runs in the harness and in real Envoy 1.40 (V8).
// Envoy is the truth: the scenario's expectations must hold there, and V8 must actually have run the plugin.
// The harness must produce the same normalized outcome, field by field; a difference fails the test with a
// readable diff unless test/scenarios/known-differences.yaml lists it with a reason — and an entry that no
// longer explains anything fails too, so the list only holds real, current differences.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  compareRuns,
  expectationMismatches,
  explain,
  formatDifferences,
  knownDifferenceApplies,
  loadKnownDifferences,
  type FieldDifference,
  type KnownDifference,
  type RunResult,
} from "../../harness/envoy/differential";
import { e2eTools, projectRoot } from "../../harness/envoy/tools";
import { formatMismatches } from "../../harness/scenario/expect";
import { loadScenarioDir } from "../../harness/scenario/load";
import { startEnvoyRunner, type EnvoyRunner } from "../../harness/scenario/run-envoy";
import { runScenarioInHarness } from "../../harness/scenario/run-harness";
import type { Scenario } from "../../harness/scenario/types";

const tools = e2eTools();
const scenariosDirectory = path.join(projectRoot, "test", "scenarios");
const corpus = loadScenarioDir(scenariosDirectory);
const known = loadKnownDifferences(path.join(scenariosDirectory, "known-differences.yaml"));

/** The harness run, or the reason it cannot run the scenario (a difference of field `harness`). */
function runInHarness(scenario: Scenario, id: string): RunResult | FieldDifference {
  try {
    return runScenarioInHarness(scenario, { where: id });
  } catch (error) {
    return { field: "harness", harness: `cannot run: ${(error as Error).message}`, envoy: null };
  }
}

describe.runIf(tools.ok)("differential: harness vs Envoy 1.40 (V8) on every scenario", () => {
  let runner: EnvoyRunner;
  const usedKnownDifferences = new Set<KnownDifference>();

  beforeAll(async () => {
    // startEnvoyRunner normalizes outcomes with the shared normalize.ts, as run-harness does.
    if (tools.ok) runner = await startEnvoyRunner({ envoyBinary: tools.tools.envoy });
  });
  afterAll(async () => runner?.close());

  test("the corpus has at least 150 scenarios, and every known difference names scenarios that exist", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(150);
    for (const entry of known) {
      expect(corpus.some(({ id }) => knownDifferenceApplies(entry, id)), `no scenario matches ${entry.scenario}`).toBe(true);
    }
  });

  test.each(corpus)("$id", async ({ scenario, id }) => {
    const envoy = await runner.run(scenario, id);
    const mismatches = expectationMismatches(scenario, envoy);
    expect(mismatches, `${formatMismatches(`${id} (expectations, in Envoy)`, mismatches)}`).toEqual([]);
    // Proof that V8 ran the plugin: the runtime's VM counter, read while the scenario's VMs were alive.
    if (!envoy.load.rejected) expect(envoy.runtimeStats["wasm.envoy.wasm.runtime.v8.created"]).toBeGreaterThan(0);

    const harness = runInHarness(scenario, id);
    const differences = "field" in harness ? [harness] : compareRuns(harness, envoy);
    const { unexplained, explained } = explain(id, differences, known);
    for (const difference of explained) usedKnownDifferences.add(difference.entry);
    expect(unexplained, formatDifferences(id, unexplained)).toEqual([]);
  });

  test("every known difference still explains a difference (fixed gaps leave the list)", () => {
    const stale = known.filter((entry) => !usedKnownDifferences.has(entry));
    expect(stale.map((entry) => `${entry.scenario} ${entry.field}`)).toEqual([]);
  });
});
