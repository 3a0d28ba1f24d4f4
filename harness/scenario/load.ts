/**
 * Reading scenario files (`test/scenarios/<area>/*.yaml`, format in `types.ts`, schema in
 * `scenario.schema.json`). Every problem names the file and the field: a YAML syntax error with its line and
 * column, a schema violation with the path inside the file (`scenarios[2].requests[0].request.path`), a
 * duplicate scenario name, an expectation that can never be checked.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import Ajv, { type ErrorObject } from "ajv";
import { parseDocument } from "yaml";
import type { Scenario } from "./types";

const require = createRequire(import.meta.url);
const schema = require("./scenario.schema.json") as object;

/** A scenario with where it came from. */
export interface LoadedScenario {
  scenario: Scenario;
  /** The file, as given (or relative to the corpus root for directory loads). */
  file: string;
  /** `<area>/<file>#<name>`: the scenario's id in reports. */
  id: string;
}

export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
  constructor(
    readonly file: string,
    /** The field path, e.g. `scenarios[0].requests[1].expect.status`; "" for the whole file. */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}${field ? `: ${field}` : ""}: ${problem}`);
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

/** `/scenarios/2/requests/0` → `scenarios[2].requests[0]`. */
function fieldPath(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), "");
}

/** The most useful schema error: the deepest one (oneOf branches report the branch that got furthest). */
function describeErrors(errors: ErrorObject[]): { field: string; problem: string } {
  const relevant = errors.filter((e) => e.keyword !== "oneOf" && e.keyword !== "if");
  const deepest = [...relevant].sort((a, b) => b.instancePath.length - a.instancePath.length)[0] ?? errors[0]!;
  let problem = deepest.message ?? "is invalid";
  if (deepest.keyword === "additionalProperties") {
    problem = `unknown field "${(deepest.params as { additionalProperty: string }).additionalProperty}"`;
  } else if (deepest.keyword === "enum") {
    problem = `must be one of ${(deepest.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  } else if (deepest.keyword === "required") {
    problem = `missing required field "${(deepest.params as { missingProperty: string }).missingProperty}"`;
  }
  return { field: fieldPath(deepest.instancePath), problem };
}

/** Parses and validates scenario YAML text. `file` is only used in messages and ids. */
export function parseScenarios(text: string, file: string): LoadedScenario[] {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "";
    throw new ScenarioError(file, where, `YAML error: ${e.message.split("\n")[0]}`);
  }
  const data: unknown = doc.toJS();
  if (!validate(data)) {
    const { field, problem } = describeErrors(validate.errors ?? []);
    throw new ScenarioError(file, field, problem);
  }
  const wrapped = typeof data === "object" && data !== null && "scenarios" in data;
  const scenarios = wrapped ? (data as { scenarios: Scenario[] }).scenarios : [data as Scenario];
  const area = path.basename(path.dirname(file));
  const base = path.basename(file);
  const seen = new Set<string>();
  return scenarios.map((scenario, i) => {
    const field = wrapped ? `scenarios[${i}]` : "";
    if (seen.has(scenario.name)) throw new ScenarioError(file, `${field}.name`.replace(/^\./, ""), `duplicate scenario name "${scenario.name}"`);
    seen.add(scenario.name);
    if (scenario.expectRejected && scenario.requests.length > 0) {
      throw new ScenarioError(file, `${field}.requests`.replace(/^\./, ""), "a scenario with expectRejected sends no request: leave requests empty");
    }
    const filterState = new Set(scenario.listener?.accessLogFilterState ?? []);
    scenario.requests.forEach((step, j) => {
      for (const key of Object.keys(step.expect.filterState ?? {})) {
        if (!filterState.has(key)) {
          throw new ScenarioError(
            file,
            `${field}.requests[${j}].expect.filterState.${key}`.replace(/^\./, ""),
            "only keys listed in listener.accessLogFilterState are reported",
          );
        }
      }
      if (step.request.trailers && (scenario.listener?.protocol ?? "http1") === "http1") {
        throw new ScenarioError(file, `${field}.requests[${j}].request.trailers`.replace(/^\./, ""), "request trailers need listener.protocol: http2");
      }
    });
    return { scenario, file, id: `${area}/${base}#${scenario.name}` };
  });
}

/** Reads and validates one scenario file. */
export function loadScenarioFile(file: string): LoadedScenario[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ScenarioError(file, "", `cannot read: ${(e as Error).message}`);
  }
  return parseScenarios(text, file);
}

/** Every scenario under `dir` (recursively, `*.yaml`/`*.yml`, sorted), ids unique across the corpus. */
export function loadScenarioDir(dir: string): LoadedScenario[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const full = path.join(d, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry) && entry !== "known-differences.yaml") files.push(full);
    }
  };
  walk(dir);
  const out: LoadedScenario[] = [];
  const ids = new Set<string>();
  for (const f of files) {
    for (const s of loadScenarioFile(f)) {
      if (ids.has(s.id)) throw new ScenarioError(f, "", `duplicate scenario id ${s.id}`);
      ids.add(s.id);
      out.push(s);
    }
  }
  return out;
}
