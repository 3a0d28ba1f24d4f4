// The comparison behind the differential suite: every field is compared, differences are reported readably,
// and only listed (scenario, field) pairs with a reason are accepted.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import {
  compareRuns,
  expectationMismatches,
  explain,
  formatDifferences,
  loadKnownDifferences,
  type RunResult,
} from "../../../harness/envoy/differential";
import type { Outcome } from "../../../harness/scenario/types";

function outcome(partial: Partial<Outcome> = {}): Outcome {
  return {
    status: 200,
    headers: { "content-length": ["0"] },
    body: "",
    upstream: { method: "GET", path: "/", headers: { ":authority": ["example.com"] }, body: "" },
    responseCodeDetails: "via_upstream",
    filterState: {},
    logs: [{ level: "info", message: "a" }],
    metrics: { c: 1 },
    callouts: [],
    ...partial,
  };
}

const run = (outcomes: Outcome[], rejected = false, logs: RunResult["load"]["logs"] = []): RunResult => ({
  load: { rejected, logs },
  outcomes,
});

describe("compareRuns", () => {
  test("identical results agree", () => {
    expect(compareRuns(run([outcome()]), run([outcome()]))).toEqual([]);
  });

  test("reports each differing field with both values", () => {
    const differences = compareRuns(
      run([outcome({ status: 403, headers: { "x-a": ["1"] }, metrics: { c: 2 }, upstream: null })]),
      run([outcome({ headers: { "x-a": ["2"], "x-b": ["3"] } })]),
    );
    expect(differences.map((d) => d.field)).toEqual([
      "requests[0].status",
      'requests[0].headers["x-a"]',
      'requests[0].headers["x-b"]',
      'requests[0].metrics["c"]',
      "requests[0].upstream",
    ]);
    expect(differences[2]).toEqual({ field: 'requests[0].headers["x-b"]', harness: null, envoy: ["3"] });
  });

  test("compares upstream fields and headers one by one", () => {
    const envoy = outcome();
    const harness = outcome({ upstream: { method: "POST", path: "/", headers: { ":authority": ["other"] }, body: "" } });
    expect(compareRuns(run([harness]), run([envoy])).map((d) => d.field)).toEqual([
      "requests[0].upstream.method",
      'requests[0].upstream.headers[":authority"]',
    ]);
  });

  test("load logs count only for a rejected configuration", () => {
    expect(compareRuns(run([], false, [{ level: "info", message: "x" }]), run([], false, []))).toEqual([]);
    expect(compareRuns(run([], true, [{ level: "info", message: "x" }]), run([], true, [])).map((d) => d.field)).toEqual(["load.logs"]);
    expect(compareRuns(run([], true), run([outcome()], false)).map((d) => d.field)).toEqual(["load.rejected", "requests.length"]);
  });
});

describe("expectationMismatches", () => {
  test("checks the load result and every step's expectation, prefixing the request index", () => {
    const scenario = {
      name: "s",
      plugins: [{ filter: "p" }],
      requests: [
        { request: { path: "/" }, expect: { status: 200 } },
        { request: { path: "/" }, expect: { status: 403, logs: [{ equals: "a" }] } },
      ],
    };
    expect(expectationMismatches(scenario, run([outcome(), outcome()])).map((m) => m.field)).toEqual(["requests[1].status"]);
    expect(expectationMismatches({ ...scenario, expectRejected: true, requests: [] }, run([], false))).toEqual([
      { field: "load.rejected", expected: true, actual: false },
    ]);
  });
});

describe("known differences", () => {
  test("explain() accepts listed fields only (globs on scenario and field) and carries the reason", async () => {
    const directory = await mkdtemp(path.join(tmpdir(), "as-proxy-known-"));
    try {
      const file = path.join(directory, "known.yaml");
      await writeFile(
        file,
        ["differences:", "  - scenario: headers/*#x", '    field: "requests[*].headers[\\"date\\"]"', "    reason: volatile"].join("\n"),
      );
      const known = loadKnownDifferences(file);
      const differences = [
        { field: 'requests[0].headers["date"]', harness: null, envoy: ["now"] },
        { field: "requests[0].status", harness: 1, envoy: 2 },
      ];
      const result = explain("headers/read.yaml#x", differences, known);
      expect(result.explained).toEqual([{ ...differences[0], entry: known[0] }]);
      expect(known[0]!.reason).toBe("volatile");
      expect(result.unexplained).toEqual([differences[1]]);
      expect(explain("body/x.yaml#x", differences, known).unexplained).toHaveLength(2);
      await writeFile(file, "differences:\n  - scenario: a\n    field: b\n");
      expect(() => loadKnownDifferences(file)).toThrow("differences[0].reason must be a non-empty string");
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe("formatDifferences", () => {
  test("names the scenario and shows logs line by line, marking the diverging line", () => {
    const text = formatDifferences("s#1", [
      { field: "requests[0].logs", harness: [{ level: "info", message: "a" }, { level: "info", message: "b" }], envoy: [{ level: "info", message: "a" }, { level: "warn", message: "b" }] },
      { field: "requests[0].status", harness: 200, envoy: 503 },
    ]);
    expect(text).toContain("s#1: harness and Envoy disagree on 2 field(s)");
    expect(text).toContain('[1] - envoy   warn "b"');
    expect(text).toContain('[1] + harness info "b"');
    expect(text).toContain("      - envoy   503");
  });
});
