/**
 * `npm run fidelity`: runs every scenario under test/scenarios in the harness and in real Envoy 1.40 (V8),
 * prints the agreement table (scenarios, agree, known difference, differ — by area) and writes
 * docs/FIDELITY.md. Exits 1 when a scenario differs without a listed reason, fails its expectations in Envoy,
 * or cannot run.
 *
 *   npx tsx scripts/fidelity.ts [--no-write]
 *
 * "agree" = identical normalized outcomes; "known" = every difference is listed with a reason in
 * test/scenarios/known-differences.yaml; "differ" = at least one unexplained difference.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import {
  compareRuns,
  expectationMismatches,
  explain,
  formatDifferences,
  loadKnownDifferences,
  type FieldDifference,
  type KnownDifference,
  type RunResult,
} from "../harness/envoy/differential";
import { projectRoot, provisionTools } from "../harness/envoy/tools";
import { formatMismatches } from "../harness/scenario/expect";
import { loadScenarioDir } from "../harness/scenario/load";
import { startEnvoyRunner } from "../harness/scenario/run-envoy";
import { runScenarioInHarness } from "../harness/scenario/run-harness";

type Verdict = "agree" | "known" | "differ" | "error";

interface Row {
  id: string;
  area: string;
  verdict: Verdict;
  detail: string;
  explained: Array<FieldDifference & { entry: KnownDifference }>;
}

function area(id: string): string {
  return id.slice(0, id.indexOf("/"));
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "–" : `${((100 * part) / whole).toFixed(1)}%`;
}

function table(rows: Row[]): string[][] {
  const areas = [...new Set(rows.map((row) => row.area))].sort();
  const line = (name: string, subset: Row[]): string[] => {
    const count = (verdict: Verdict) => subset.filter((row) => row.verdict === verdict).length;
    const agree = count("agree");
    const known = count("known");
    return [name, String(subset.length), String(agree), String(known), String(count("differ") + count("error")), percent(agree + known, subset.length)];
  };
  return [
    ["area", "scenarios", "agree", "known difference", "differ", "agreement"],
    ...areas.map((name) => line(name, rows.filter((row) => row.area === name))),
    line("**total**", rows),
  ];
}

function markdownTable(cells: string[][]): string {
  const [head, ...body] = cells;
  return [
    `| ${head!.join(" | ")} |`,
    `|${head!.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...body.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

function consoleTable(cells: string[][]): string {
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => row[column]!.replace(/\*/g, "").length)));
  return cells
    .map((row) => row.map((cell, column) => cell.replace(/\*/g, "")[column === 0 ? "padEnd" : "padStart"](widths[column]!)).join("  "))
    .join("\n");
}

async function main(): Promise<number> {
  const write = !process.argv.includes("--no-write");
  const scenariosDirectory = path.join(projectRoot, "test", "scenarios");
  const corpus = loadScenarioDir(scenariosDirectory);
  const known = loadKnownDifferences(path.join(scenariosDirectory, "known-differences.yaml"));
  const tools = provisionTools();
  if (!tools.ok) {
    process.stderr.write(`fidelity: cannot provision Envoy (${tools.skipReason})\n`);
    return 1;
  }
  const started = Date.now();
  const runner = await startEnvoyRunner({ envoyBinary: tools.tools.envoy });
  const rows: Row[] = [];
  try {
    for (const { scenario, id } of corpus) {
      let envoy: RunResult;
      try {
        envoy = await runner.run(scenario, id);
      } catch (error) {
        rows.push({ id, area: area(id), verdict: "error", detail: `Envoy run failed: ${(error as Error).message.split("\n")[0]}`, explained: [] });
        continue;
      }
      const mismatches = expectationMismatches(scenario, envoy);
      if (mismatches.length > 0) {
        rows.push({ id, area: area(id), verdict: "error", detail: formatMismatches(`${id} (expectations, in Envoy)`, mismatches), explained: [] });
        continue;
      }
      let differences: FieldDifference[];
      try {
        differences = compareRuns(runScenarioInHarness(scenario, { where: id }), envoy);
      } catch (error) {
        differences = [{ field: "harness", harness: `cannot run: ${(error as Error).message}`, envoy: null }];
      }
      const { unexplained, explained } = explain(id, differences, known);
      const verdict: Verdict = differences.length === 0 ? "agree" : unexplained.length === 0 ? "known" : "differ";
      rows.push({ id, area: area(id), verdict, detail: unexplained.length > 0 ? formatDifferences(id, unexplained) : "", explained });
    }
  } finally {
    await runner.close();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  const cells = table(rows);
  process.stdout.write(`${consoleTable(cells)}\n\n`);
  const failing = rows.filter((row) => row.verdict === "differ" || row.verdict === "error");
  for (const row of failing) process.stdout.write(`${row.detail}\n\n`);
  process.stdout.write(`${rows.length} scenarios in ${seconds} s (Envoy ${tools.tools.envoyVersion}, runner restarts: ${runner.restarts})\n`);

  const used = new Map<KnownDifference, Set<string>>();
  for (const row of rows) for (const item of row.explained) (used.get(item.entry) ?? used.set(item.entry, new Set()).get(item.entry)!).add(row.id);
  const knownSection = known.map((entry) => {
    const scenarios = [...(used.get(entry) ?? [])];
    const seen = scenarios.length > 0 ? `occurs in ${scenarios.map((id) => `\`${id}\``).join(", ")}` : "**did not occur in this run**";
    return `- \`${entry.scenario}\` — \`${entry.field}\`: ${entry.reason.trim()} (${seen})`;
  });
  const document = [
    "# Fidelity: the harness against real Envoy",
    "",
    "Generated by `npm run fidelity` (`scripts/fidelity.ts`) — do not edit by hand. Every scenario under",
    "`test/scenarios/` runs in the Node harness and in Envoy " + tools.tools.envoyVersion + " (V8 runtime); the normalized",
    "outcomes (status, headers, body, what reached the upstream, response details, filter state, plugin logs,",
    "metrics, callouts, load result) are compared field by field. How the Envoy side works: docs/E2E.md.",
    "",
    "- **agree**: identical outcomes;",
    "- **known difference**: every difference is listed, with its reason, in `test/scenarios/known-differences.yaml`;",
    "- **differ**: an unexplained difference, a failed expectation in Envoy, or a run error.",
    "",
    "Agreement = (agree + known difference) / scenarios.",
    "",
    markdownTable(cells),
    "",
    "## Known differences",
    "",
    ...(knownSection.length > 0 ? knownSection : ["None."]),
    "",
    "## Unexplained differences",
    "",
    ...(failing.length > 0 ? failing.map((row) => ["```", row.detail, "```"].join("\n")) : ["None."]),
    "",
  ].join("\n");
  if (write) {
    writeFileSync(path.join(projectRoot, "docs", "FIDELITY.md"), document);
    process.stdout.write("wrote docs/FIDELITY.md\n");
  }
  return failing.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`fidelity: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  },
);
