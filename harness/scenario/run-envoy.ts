/**
 * Executes scenarios in a real Envoy 1.40 (V8) and returns, per scenario, the same {@link Outcome}s the
 * harness runner returns: one per request step, or a {@link LoadOutcome} saying the configuration was
 * rejected. The machinery (bootstrap, processes, surrounding servers, capture) is in `harness/envoy/`; how a
 * scenario maps onto Envoy is documented in docs/E2E.md.
 *
 * ```ts
 * const runner = await startEnvoyRunner();          // provisions Envoy if needed (scripts/provision.sh)
 * try {
 *   const result = await runner.run(scenario, "test/scenarios/headers/add.yaml#adds-a-header");
 *   result.outcomes[0].status;
 * } finally {
 *   await runner.close();                            // always: stops Envoy and the servers
 * }
 * ```
 */
import { EnvoyRunner, type EnvoyRunnerOptions, type EnvoyScenarioResult } from "../envoy/runner";
import { provisionTools } from "../envoy/tools";
import { normalizeOutcome } from "./normalize";
import type { LoadOutcome, Outcome, Scenario } from "./types";

export { EnvoyRunner, type EnvoyRunnerOptions, type EnvoyScenarioResult };

/** What running one scenario produced, in either runner. */
export interface ScenarioRunResult {
  load: LoadOutcome;
  /** One per request step; empty when the configuration was rejected or `expectRejected` is set. */
  outcomes: Outcome[];
}

/**
 * Starts an Envoy runner whose outcomes are normalized with the shared `normalizeOutcome` (unless `normalize`
 * says otherwise). Without `envoyBinary`, provisions Envoy first (throws when that is impossible — callers
 * that may skip use `e2eTools()` from `harness/envoy/tools` instead).
 */
export async function startEnvoyRunner(options: Partial<EnvoyRunnerOptions> = {}): Promise<EnvoyRunner> {
  let envoyBinary = options.envoyBinary;
  if (!envoyBinary) {
    const tools = provisionTools();
    if (!tools.ok) throw new Error(`cannot provision Envoy: ${tools.skipReason}`);
    envoyBinary = tools.tools.envoy;
  }
  return EnvoyRunner.start({ normalize: normalizeOutcome, ...options, envoyBinary });
}

/** Runs every scenario in one Envoy, in order, and stops it again (also when a scenario fails). */
export async function runScenariosInEnvoy(
  scenarios: ReadonlyArray<{ scenario: Scenario; where?: string }>,
  options: Partial<EnvoyRunnerOptions> = {},
): Promise<ScenarioRunResult[]> {
  const runner = await startEnvoyRunner(options);
  try {
    const results: ScenarioRunResult[] = [];
    for (const { scenario, where } of scenarios) {
      const { load, outcomes } = await runner.run(scenario, where);
      results.push({ load, outcomes });
    }
    return results;
  } finally {
    await runner.close();
  }
}
