/**
 * The security corpus (test/scenarios/abac/security-*.yaml: bypass attempts across the attack classes of
 * authz-and-metadata.md §D, each step named `attack …`) in the harness: no attack reaches the upstream, every
 * expectation of the scenario holds, and every bad configuration is rejected with a JSON-path error line. The same
 * files run in real Envoy (conformance.e2e.test.ts, and the differential suite).
 */
import { describe, expect, test } from "vitest";
import { loadAbacScenarios, runScenarioInHarness } from "./support";

const corpus = loadAbacScenarios("security-");
const attackCount = corpus.reduce(
  (n, { scenario }) => n + (scenario.expectRejected ? 1 : scenario.requests.filter((s) => (s.name ?? "").startsWith("attack")).length),
  0,
);

describe("security corpus in the harness", () => {
  test("has at least 60 bypass attempts", () => {
    console.log(`abac security corpus: ${attackCount} bypass attempts in ${corpus.length} scenarios`);
    expect(attackCount).toBeGreaterThanOrEqual(60);
  });

  test.each(corpus.map(({ scenario, where }) => [where, scenario] as const))("%s", (_where, scenario) => {
    const run = runScenarioInHarness(scenario);
    if (scenario.expectRejected) {
      expect(run.rejected).toBe(true);
      // One critical line naming the JSON path of the bad field.
      expect(run.loadLogs.find((m) => m.startsWith("abac: invalid configuration: "))).toMatch(/^abac: invalid configuration: [a-z][\w.[\]]*: /);
      return;
    }
    expect(run.rejected).toBe(false);
    scenario.requests.forEach((step, i) => {
      const r = run.results[i]!;
      const what = `${scenario.name} / ${step.name}`;
      if (step.expect.upstream === false) expect(r.upstream, `${what}: reached the upstream`).toBeNull();
      if (step.expect.status !== undefined) expect(r.status, what).toBe(step.expect.status);
      if (step.expect.responseCodeDetails !== undefined) expect(r.responseCodeDetails, what).toBe(step.expect.responseCodeDetails);
    });
  });
});
