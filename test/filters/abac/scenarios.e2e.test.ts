/**
 * Every ABAC scenario (test/scenarios/abac/*.yaml, the security corpus included) in real Envoy 1.40, with every
 * expectation the scenario states — the Envoy half of scenarios.test.ts / security.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EnvoyRunner } from "../../../harness/envoy/runner";
import { e2eTools } from "../../../harness/envoy/tools";
import { checkExpectation, loadAbacScenarios } from "./support";

const tools = e2eTools();
const corpus = loadAbacScenarios();

describe.runIf(tools.ok)("ABAC scenarios in real Envoy 1.40", () => {
  let runner: EnvoyRunner;
  let attacks = 0;

  beforeAll(async () => {
    if (tools.ok) runner = await EnvoyRunner.start({ envoyBinary: tools.tools.envoy });
  });

  afterAll(async () => {
    await runner?.close();
    console.log(`abac scenarios in Envoy: ${corpus.length} scenarios, ${attacks} bypass attempts blocked`);
  });

  test.each(corpus.map(({ scenario, where }) => [where, scenario] as const))("%s", async (where, scenario) => {
    const result = await runner.run(scenario, where);
    expect(result.load.rejected, `${where}: ${JSON.stringify(result.load.logs)}`).toBe(scenario.expectRejected === true);
    if (scenario.expectRejected) {
      attacks++;
      expect(result.load.logs.map((l) => l.message).find((m) => m.startsWith("abac: invalid configuration: "))).toMatch(
        /^abac: invalid configuration: [a-z][\w.[\]]*: /,
      );
      return;
    }
    scenario.requests.forEach((step, i) => {
      if ((step.name ?? "").startsWith("attack")) attacks++;
      checkExpectation(`${scenario.name} / ${step.name}`, step.expect, result.outcomes[i]!);
    });
  });
});
