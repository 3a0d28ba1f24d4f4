/**
 * Every ABAC scenario (test/scenarios/abac/*.yaml) in the harness, with every expectation the scenario states.
 * The same files run in real Envoy in scenarios.e2e.test.ts and in the project's differential suite.
 */
import { describe, expect, test } from "vitest";
import type { HttpResult } from "../../../harness";
import { checkExpectation, loadAbacScenarios, runScenarioInHarness } from "./support";

const corpus = loadAbacScenarios();

describe("ABAC scenarios in the harness", () => {
  test.each(corpus.map(({ scenario, where }) => [where, scenario] as const))("%s", (_where, scenario) => {
    const run = runScenarioInHarness(scenario);
    expect(run.rejected).toBe(scenario.expectRejected === true);
    scenario.requests.forEach((step, i) => {
      const r: HttpResult = run.results[i]!;
      checkExpectation(`${scenario.name} / ${step.name}`, step.expect, { ...r, logs: r.logs.filter((x) => x.source === "proxy_log") });
    });
  });
});
