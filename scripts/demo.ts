/**
 * `npm run demo` — the README's main job: the ABAC filter and the L7 metadata recorder in front of an echo
 * upstream, deciding and recording real requests. Runs in a real Envoy 1.40 (V8) when one can be provisioned
 * (`scripts/provision.sh` → `.venv/`), otherwise in the harness (say so loudly). The requests, configurations and
 * expected outcomes are the scenario file `test/scenarios/demo/readme-demo.yaml`, which the differential suite
 * also runs in both, so what the demo shows is what the tests check.
 *
 * Options: `--harness` forces the harness; `--json` prints the raw outcomes.
 */
import path from "node:path";
import { spawnSync } from "node:child_process";
import { loadScenarioFile } from "../harness/scenario/load";
import { runScenarioInHarness, PROJECT_ROOT } from "../harness/scenario/run-harness";
import { startEnvoyRunner } from "../harness/scenario/run-envoy";
import { provisionTools } from "../harness/envoy/tools";
import { checkExpectation, formatMismatches } from "../harness/scenario/expect";
import type { LoadOutcome, Outcome, Scenario } from "../harness/scenario/types";

const DEMO_FILE = path.join(PROJECT_ROOT, "test/scenarios/demo/readme-demo.yaml");
const args = new Set(process.argv.slice(2));

function build(): void {
  const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/build.ts", "abac", "l7-metadata"], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0) throw new Error("build failed (see the compiler output above)");
}

type RunResult = { load: LoadOutcome; outcomes: Outcome[] };
type Runner = { name: string; run(scenario: Scenario, where: string): Promise<RunResult>; close(): Promise<void> };

async function chooseRunner(): Promise<Runner> {
  if (!args.has("--harness")) {
    const tools = provisionTools();
    if (tools.ok) {
      const envoy = await startEnvoyRunner({ envoyBinary: tools.tools.envoy });
      return {
        name: `real Envoy (${tools.tools.envoy})`,
        run: (scenario, where) => envoy.run(scenario, where),
        close: () => envoy.close(),
      };
    }
    console.error(`\n!!! Envoy could not be provisioned (${tools.skipReason}).`);
    console.error("!!! Running the demo in the harness instead. Install Python 3 with venv/pip to see it in Envoy.\n");
  }
  return {
    name: "the harness (Node)",
    run: async (scenario, where) => runScenarioInHarness(scenario, { where }),
    close: async () => {},
  };
}

function decisionOf(outcome: Outcome): string {
  const decision = outcome.filterState["wasm.abac.decision"] ?? "-";
  const policy = outcome.filterState["wasm.abac.policy"];
  return policy ? `${decision} (${policy})` : decision;
}

async function main(): Promise<void> {
  build();
  const scenarios = loadScenarioFile(DEMO_FILE);
  const runner = await chooseRunner();
  let failures = 0;
  const raw: unknown[] = [];
  try {
    console.log(`\nas-proxy-runtime demo — ABAC + L7 metadata recorder, running in ${runner.name}\n`);
    for (const { scenario, id } of scenarios) {
      console.log(`== ${scenario.name}: ${scenario.description ?? ""}`);
      const { load, outcomes } = await runner.run(scenario, id);
      if (load.rejected) {
        const lines = load.logs.map((line) => `    ${line.level}: ${line.message}`).join("\n");
        throw new Error(`${id}: the filters rejected their configuration:\n${lines}`);
      }
      scenario.requests.forEach((step, index) => {
        const outcome = outcomes[index];
        if (!outcome) throw new Error(`${id}: no outcome for request ${index}`);
        const request = step.request;
        console.log(`  ${step.name ?? ""}\n    ${request.method ?? "GET"} ${request.path}`);
        console.log(`    → ${outcome.status}  ABAC: ${decisionOf(outcome)}  reached upstream: ${outcome.upstream ? "yes" : "no"}`);
        const recorded = outcome.filterState["wasm.l7"];
        if (recorded) console.log(`    access log %FILTER_STATE(wasm.l7:PLAIN)%: ${recorded}`);
        const mismatches = checkExpectation(step.expect, outcome);
        if (mismatches.length > 0) {
          failures += 1;
          console.log(formatMismatches(`${id} request ${index} (${step.name ?? request.path})`, mismatches));
        }
        raw.push({ scenario: id, request: step.name ?? request.path, outcome });
      });
      console.log("");
    }
  } finally {
    await runner.close();
  }
  if (args.has("--json")) console.log(JSON.stringify(raw, null, 2));
  if (failures > 0) {
    console.error(`demo: ${failures} request(s) did not behave as the demo scenario expects`);
    process.exit(1);
  }
  console.log("Every request behaved as test/scenarios/demo/readme-demo.yaml expects.");
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
