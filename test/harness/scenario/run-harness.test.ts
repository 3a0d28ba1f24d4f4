// The harness scenario runner (harness/scenario/run-harness.ts): every scenario of the corpus the harness can run
// meets its expectations, and the mapping of a scenario onto the harness matches the Envoy runner's
// configuration (docs/E2E.md). The differential suite (test/e2e) compares the same outcomes with Envoy's.
import path from "node:path";
import { describe, expect, test } from "vitest";
import { checkExpectation, checkLoad, formatMismatches } from "../../../harness/scenario/expect";
import { loadScenarioDir } from "../../../harness/scenario/load";
import {
  PROJECT_ROOT,
  ScenarioRunError,
  harnessCanRun,
  runScenarioInHarness,
  scenarioConfiguration,
} from "../../../harness/scenario/run-harness";
import type { Scenario } from "../../../harness/scenario/types";

const corpus = loadScenarioDir(path.join(PROJECT_ROOT, "test", "scenarios"));
const runnable = corpus.filter((s) => harnessCanRun(s.scenario));
const envoyOnly = corpus.filter((s) => !harnessCanRun(s.scenario));

describe("the scenario corpus in the harness", () => {
  test("most of the corpus runs in the harness (only native-Envoy-filter scenarios are Envoy-only)", () => {
    expect(runnable.length).toBeGreaterThanOrEqual(150);
    for (const { scenario } of envoyOnly) expect(scenario.listener?.nativeFilters?.length).toBeGreaterThan(0);
  });

  test.each(runnable.map((s) => [s.id, s] as const))("%s", (id, { scenario }) => {
    const result = runScenarioInHarness(scenario, { where: id });
    const mismatches = [...checkLoad(scenario.expectRejected ?? false, result.load)];
    expect(result.outcomes).toHaveLength(result.load.rejected || scenario.expectRejected ? 0 : scenario.requests.length);
    result.outcomes.forEach((outcome, i) => {
      for (const m of checkExpectation(scenario.requests[i]!.expect, outcome)) mismatches.push({ ...m, field: `requests[${i}].${m.field}` });
    });
    if (mismatches.length > 0) throw new Error(formatMismatches(id, mismatches));
  });

  test.each(envoyOnly.map((s) => [s.id, s] as const))("%s is refused with the field that needs Envoy", (id, { scenario }) => {
    expect(() => runScenarioInHarness(scenario, { where: id })).toThrow(`${id}.listener.nativeFilters: native Envoy filters`);
  });
});

const probe = (configuration: unknown, extra: Partial<Scenario> = {}): Scenario => ({
  name: "inline",
  plugins: [{ filter: "probe-scripted", configuration }],
  requests: [{ request: { path: "/x" }, expect: {} }],
  ...extra,
});

const messages = (logs: Array<{ message: string }>): string[] => logs.map((l) => l.message);

describe("the mapping onto the harness (the Envoy runner's facts)", () => {
  test("xDS names, plugin name, listener certificate as in the Envoy runner's configuration", () => {
    const { outcomes } = runScenarioInHarness(
      probe(
        {
          requestHeaders: [
            { op: "getProperty", path: ["xds", "node", "id"] },
            { op: "getProperty", path: ["xds", "node", "cluster"] },
            { op: "getProperty", path: ["xds", "virtual_host_name"] },
            { op: "getProperty", path: ["xds", "route_name"] },
            { op: "getProperty", path: ["xds", "cluster_name"] },
            { op: "getProperty", path: ["plugin_name"] },
            { op: "getProperty", path: ["connection", "uri_san_local_certificate"] },
          ],
        },
        { listener: { tls: {} } },
      ),
    );
    expect(messages(outcomes[0]!.logs)).toEqual([
      'requestHeaders getProperty xds.node.id -> "as-proxy-runtime-e2e"',
      'requestHeaders getProperty xds.node.cluster -> "as-proxy-runtime"',
      'requestHeaders getProperty xds.virtual_host_name -> "local_service"',
      'requestHeaders getProperty xds.route_name -> "default"',
      'requestHeaders getProperty xds.cluster_name -> "upstream"',
      'requestHeaders getProperty plugin_name -> "default.probe-scripted"',
      'requestHeaders getProperty connection.uri_san_local_certificate -> "spiffe://cluster.local/ns/default/sa/envoy"',
    ]);
  });

  test("configuration bytes: a string verbatim, other values JSON.stringify'd, absent = none", () => {
    expect(scenarioConfiguration("a: b")).toBe("a: b");
    expect(scenarioConfiguration({ a: [1] })).toBe('{"a":[1]}');
    expect(scenarioConfiguration(null)).toBe("null");
    expect(scenarioConfiguration(undefined)).toBeUndefined();
    const { load } = runScenarioInHarness(probe(undefined, { plugins: [{ filter: "probe-scripted" }] }));
    expect(load.rejected).toBe(false);
  });

  test("load logs hold every instance's start-up lines (canary, main thread, worker); request logs only the worker's", () => {
    const { load, outcomes } = runScenarioInHarness(
      probe(
        {
          configure: [{ op: "log", message: "configured" }, { op: "setTickPeriod", ms: 100 }],
          tick: [{ op: "log", message: "tick" }, { op: "setTickPeriod", ms: 0 }],
          requestHeaders: [{ op: "httpCall", cluster: "slow", headers: [[":method", "GET"], [":path", "/"], [":authority", "slow"]] }, { op: "return", value: "pause" }],
          httpCallResponse: [{ op: "resumeRequest" }],
        },
        { listener: { clusters: { slow: { respond: { delayMs: 250 } } } } },
      ),
    );
    expect(messages(load.logs).filter((m) => m === "configured")).toHaveLength(3);
    // Envoy's runner keeps the worker thread's lines only: the main thread's root ticked too, but elsewhere.
    expect(messages(outcomes[0]!.logs).filter((m) => m === "tick")).toHaveLength(1);
  });

  test("the upstream: 200 echo by default; a scripted answer without a body also echoes; content-length added", () => {
    const scenario = probe({}, {
      requests: [
        { request: { path: "/a", method: "POST", body: "one" }, expect: {} },
        { request: { path: "/b", method: "POST", body: "two" }, upstream: { status: 201, headers: [["x-u", "1"]] }, expect: {} },
        { request: { path: "/c" }, upstream: { status: 202, body: "scripted", trailers: [["t", "1"]] }, expect: {} },
      ],
    });
    const [a, b, c] = runScenarioInHarness(scenario).outcomes;
    expect([a!.status, a!.body, a!.headers["content-length"]]).toEqual([200, "one", ["3"]]);
    expect([b!.status, b!.body, b!.headers["x-u"]]).toEqual([201, "two", ["1"]]);
    expect([c!.status, c!.body]).toEqual([202, "scripted"]);
    expect(a!.upstream).toMatchObject({ method: "POST", path: "/a", body: "one" });
    expect(a!.upstream!.headers[":authority"]).toEqual(["example.com"]);
  });

  test("callout clusters answer like the collector: HTTP status/headers/body; gRPC one message, grpc-status from the headers", () => {
    const scenario = probe(
      {
        requestHeaders: [
          { op: "httpCall", cluster: "http", body: "q", headers: [[":method", "POST"], [":path", "/check"], [":authority", "h"]] },
          { op: "grpcCall", cluster: "grpc", service: "s.S", method: "M", message: "m" },
          { op: "return", value: "pause" },
        ],
        httpCallResponse: [{ op: "readBody", buffer: "httpCallResponse" }, { op: "getHeader", map: "httpCallResponseHeaders", name: ":status" }],
        grpcClose: [{ op: "calloutStatus" }, { op: "resumeRequest" }],
      },
      {
        listener: {
          clusters: {
            http: { respond: { status: 403, body: "no" } },
            grpc: { respond: { headers: { "grpc-status": "16", "grpc-message": "who" } } },
          },
        },
      },
    );
    const [o] = runScenarioInHarness(scenario).outcomes;
    expect(o!.callouts).toEqual([
      { cluster: "http", method: "POST", path: "/check", body: "q" },
      { cluster: "grpc", method: "POST", path: "/s.S/M", body: "m" },
    ]);
    expect(messages(o!.logs)).toContain('httpCallResponse readBody httpCallResponse -> "no"');
    expect(messages(o!.logs)).toContain('grpcClose calloutStatus -> 16 "who{via_upstream}"');
  });

  test("a rejected configuration: no request is sent; the load outcome carries the plugin's lines", () => {
    const result = runScenarioInHarness(probe("not json", { expectRejected: true, requests: [] }));
    expect(result.load.rejected).toBe(true);
    expect(result.outcomes).toEqual([]);
    expect(result.load.logs.some((l) => l.level === "critical")).toBe(true);
  });

  test("outcomes are normalized unless told otherwise", () => {
    const normalized = runScenarioInHarness(probe({})).outcomes[0]!;
    expect(normalized.headers.date).toBeUndefined();
    const raw = runScenarioInHarness(probe({}), { normalize: (o) => o }).outcomes[0]!;
    expect(raw.headers.date).toHaveLength(1);
    expect(raw.upstream!.headers["x-request-id"]).toHaveLength(1);
  });

  test("errors name the scenario and the field", () => {
    expect(() => runScenarioInHarness(probe({}, { plugins: [{ filter: "no-such-module" }] }), { where: "f.yaml#s" })).toThrow(
      /^f\.yaml#s\.plugins\[0\]\.filter: module .*no-such-module\.wasm does not exist/,
    );
    expect(() => runScenarioInHarness(probe({}, { listener: { clusters: { upstream: {} } } }), { where: "f.yaml#s" })).toThrow(ScenarioRunError);
    expect(() => runScenarioInHarness(probe({}, { requests: [{ request: {} as never, expect: {} }] }), { where: "f.yaml#s" })).toThrow(
      "f.yaml#s requests[0].request.path: expected a string",
    );
  });
});
