// Checking outcomes against expectations (harness/scenario/expect.ts) and the shared normalization (normalize.ts).
import { describe, expect, test } from "vitest";
import { assertExpectation, checkExpectation, checkLoad, formatMismatches } from "../../../harness/scenario/expect";
import { VOLATILE_HEADERS, groupHeaders, normalizeOutcome } from "../../../harness/scenario/normalize";
import type { Outcome } from "../../../harness/scenario/types";

const outcome: Outcome = {
  status: 200,
  headers: { "x-a": ["1", "2"], server: ["envoy"] },
  body: "hello world",
  upstream: { method: "POST", path: "/p", headers: { ":authority": ["example.com"], "x-b": ["b"] }, body: "req" },
  responseCodeDetails: "via_upstream",
  filterState: { k: "v" },
  logs: [
    { level: "info", message: "onRequestHeaders headers=6" },
    { level: "warn", message: "careful" },
  ],
  metrics: { hits: 1 },
  callouts: [{ cluster: "authz", method: "POST", path: "/check", body: "payload" }],
};

describe("checkExpectation", () => {
  test("a matching expectation gives no mismatch; absent fields are not checked", () => {
    expect(checkExpectation({}, outcome)).toEqual([]);
    expect(
      checkExpectation(
        {
          status: 200,
          headers: { "X-A": "1", "x-missing": null },
          body: { contains: "world" },
          upstream: { method: "POST", path: "/p", headers: { "x-b": "b" }, body: "req" },
          responseCodeDetails: "via_upstream",
          filterState: { k: "v" },
          logs: [{ level: "warn", equals: "careful" }, { contains: "headers=" }, { contains: "trap", absent: true }],
          metrics: { hits: 1 },
          callouts: [{ cluster: "authz", path: "/check", bodyContains: "pay" }],
        },
        outcome,
      ),
    ).toEqual([]);
  });

  test("every mismatch is reported with its field, the expectation and what was observed", () => {
    const mismatches = checkExpectation(
      {
        status: 403,
        headers: { "x-a": "2", server: null },
        upstream: false,
        filterState: { k: null },
        logs: [{ level: "error", contains: "careful" }, { equals: "careful", absent: true }],
        metrics: { hits: 2, other: 0 },
        callouts: [{ cluster: "other" }],
      },
      outcome,
    );
    expect(mismatches.map((m) => m.field)).toEqual([
      "status",
      'headers["x-a"]',
      'headers["server"]',
      "upstream",
      'filterState["k"]',
      "logs[0]",
      "logs[1]",
      'metrics["hits"]',
      'metrics["other"]',
      "callouts[0]",
    ]);
    expect(mismatches[0]).toEqual({ field: "status", expected: 403, actual: 200 });
    expect(mismatches[1]).toEqual({ field: 'headers["x-a"]', expected: "2", actual: ["1", "2"] });
    expect(mismatches[3]).toEqual({ field: "upstream", expected: "not reached", actual: "POST /p" });
    expect(mismatches[8]).toEqual({ field: 'metrics["other"]', expected: 0, actual: "absent" });
  });

  test("an upstream expectation when nothing reached it", () => {
    expect(checkExpectation({ upstream: { path: "/" } }, { ...outcome, upstream: null })).toEqual([
      { field: "upstream", expected: "reached", actual: "not reached" },
    ]);
  });

  test("the report is one line per mismatch; assertExpectation throws it", () => {
    const text = formatMismatches("a/b.yaml#c", checkExpectation({ status: 404, body: "x" }, outcome));
    expect(text).toBe('a/b.yaml#c: 2 mismatches\n  status: expected 404, got 200\n  body: expected "x", got "hello world"');
    expect(() => assertExpectation("a/b.yaml#c", { status: 404 }, outcome)).toThrow("a/b.yaml#c: 1 mismatch\n  status: expected 404, got 200");
    expect(() => assertExpectation("a/b.yaml#c", { status: 200 }, outcome)).not.toThrow();
  });

  test("checkLoad: rejected exactly when the scenario expects it", () => {
    expect(checkLoad(true, { rejected: true, logs: [] })).toEqual([]);
    expect(checkLoad(false, { rejected: true, logs: [] })).toEqual([{ field: "load.rejected", expected: false, actual: true }]);
  });
});

describe("normalize", () => {
  test("removes only the volatile headers, from the response and from what reached the upstream", () => {
    const raw: Outcome = {
      ...outcome,
      headers: { date: ["now"], "x-request-id": ["r"], "x-envoy-upstream-service-time": ["3"], "content-length": ["5"], server: ["envoy"] },
      upstream: { ...outcome.upstream!, headers: { "x-request-id": ["r"], "transfer-encoding": ["chunked"], "x-b": ["b"] } },
    };
    const n = normalizeOutcome(raw);
    expect(n.headers).toEqual({ "content-length": ["5"], server: ["envoy"] });
    expect(n.upstream!.headers).toEqual({ "x-b": ["b"] });
    expect({ ...n, headers: raw.headers, upstream: raw.upstream }).toEqual(raw);
    expect(VOLATILE_HEADERS).toEqual(["date", "x-request-id", "x-envoy-upstream-service-time", "connection", "keep-alive", "transfer-encoding"]);
  });

  test("groupHeaders lower-cases names and keeps values in order", () => {
    expect(groupHeaders([["X-A", "1"], ["b", "2"], ["x-a", "3"]])).toEqual({ "x-a": ["1", "3"], b: ["2"] });
  });
});
