// Scenario files: every problem names the file and the field (harness/scenario/load.ts, scenario.schema.json).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { ScenarioError, loadScenarioDir, loadScenarioFile, parseScenarios } from "../../../harness/scenario/load";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const FILE = "test/scenarios/demo/x.yaml";

function problem(text: string): ScenarioError {
  try {
    parseScenarios(text, FILE);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error("expected a ScenarioError");
}

const ONE = `
scenarios:
  - name: ok
    plugins: [{ filter: hello }]
    requests:
      - request: { path: / }
        expect: { status: 200 }
`;

describe("parseScenarios", () => {
  test("a valid file gives scenarios with <area>/<file>#<name> ids", () => {
    const [s] = parseScenarios(ONE, FILE);
    expect(s!.id).toBe("demo/x.yaml#ok");
    expect(s!.scenario.plugins[0]!.filter).toBe("hello");
  });

  test("a single scenario at top level is accepted", () => {
    const [s] = parseScenarios(`name: top\nplugins: [{ filter: hello }]\nrequests: []\n`, FILE);
    expect(s!.id).toBe("demo/x.yaml#top");
  });

  test("YAML syntax errors name the line and column", () => {
    const e = problem("scenarios:\n  - name: [unclosed\n");
    expect(e.file).toBe(FILE);
    expect(e.message).toMatch(/^test\/scenarios\/demo\/x\.yaml: line \d+, column \d+: YAML error/);
  });

  test("duplicate YAML keys are errors", () => {
    expect(problem("name: a\nname: b\nplugins: [{ filter: hello }]\nrequests: []\n").message).toMatch(/YAML error/);
  });

  test.each([
    ["unknown field", ONE.replace("expect: { status: 200 }", "expect: { statuz: 200 }"), "scenarios[0].requests[0].expect", 'unknown field "statuz"'],
    ["wrong type", ONE.replace("status: 200", "status: ok"), "scenarios[0].requests[0].expect.status", "must be integer"],
    ["missing path", ONE.replace("{ path: / }", "{ method: GET }"), "scenarios[0].requests[0].request", 'missing required field "path"'],
    ["bad enum", ONE.replace("{ filter: hello }", "{ filter: hello, failurePolicy: FAIL_SOMETIMES }"), "scenarios[0].plugins[0].failurePolicy", "must be one of"],
    ["no plugins", ONE.replace("plugins: [{ filter: hello }]", "plugins: []"), "scenarios[0].plugins", ""],
  ])("schema violation (%s) names the field", (_what, text, field, message) => {
    const e = problem(text);
    expect(e.field).toBe(field);
    expect(e.message).toContain(`${FILE}: ${field}: `);
    expect(e.problem).toContain(message);
  });

  test("duplicate names, requests with expectRejected, unlisted filter-state keys and HTTP/1 trailers are refused", () => {
    expect(problem(ONE + ONE.replace("scenarios:\n", "")).message).toContain('scenarios[1].name: duplicate scenario name "ok"');
    expect(problem(ONE.replace("requests:", "expectRejected: true\n    requests:")).field).toBe("scenarios[0].requests");
    expect(problem(ONE.replace("{ status: 200 }", "{ filterState: { k: v } }")).field).toBe("scenarios[0].requests[0].expect.filterState.k");
    expect(problem(ONE.replace("{ path: / }", "{ path: /, trailers: [[a, b]] }")).problem).toContain("listener.protocol: http2");
  });
});

describe("loading from disk", () => {
  test("a missing file is a ScenarioError naming it", () => {
    expect(() => loadScenarioFile("test/scenarios/nope.yaml")).toThrow(/test\/scenarios\/nope\.yaml: cannot read/);
  });

  test("the whole corpus loads with unique ids (known-differences.yaml is not a scenario file)", () => {
    const all = loadScenarioDir(path.join(ROOT, "test", "scenarios"));
    expect(all.length).toBeGreaterThanOrEqual(150);
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
  });
});
