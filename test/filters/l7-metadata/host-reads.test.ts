// How the recorder reads from the host (filters/l7-metadata/reads.ts): each header map at most once per callback,
// each property path at most once per callback, first-value semantics of get_header_map_value kept when a
// header is looked up in the pairs, and no host block kept past a callback. Sources: host-behaviour.md A.3
// #10–16 and F.16 (get returns the first value of a repeated header; pairs lists each entry), §C (properties);
// BENCHMARKS.md "Where the time goes" (each host call costs Envoy ≈ 1–1.5 µs).
import { describe, expect, test } from "vitest";
import type { Host, HttpRequest } from "../../../harness";
import { documentOf, recorder } from "./support";

/** Host calls by name during one request lifecycle (after warm-up, so lazily defined metrics are excluded). */
function callsPerRequest(host: Host, request: HttpRequest, upstream: { status: number } = { status: 200 }): Record<string, number> {
  for (let i = 0; i < 3; i++) host.http(request, upstream);
  const from = host.calls.length;
  host.http(request, upstream);
  const byName: Record<string, number> = {};
  for (const call of host.calls.slice(from)) byName[call.name] = (byName[call.name] ?? 0) + 1;
  return byName;
}

const BENCH_LIKE = {
  fields: [
    "method", "path", "query", "route", "authority", "userAgent", "clientAddress", "status", "duration",
    "responseCodeDetails", { fact: "requestHeader", header: "x-tenant" }, "abacDecision", "abacPolicy",
  ],
  routes: [{ template: "/api/{service}/items/{id}" }],
  metrics: {},
};
const REQUEST: HttpRequest = { method: "GET", path: "/api/orders/items/42?view=full", authority: "orders.example.com", headers: [["x-tenant", "acme"], ["user-agent", "bench/1"]] };

describe("host calls per request", () => {
  test("request headers: one get_header_map_pairs serves :path, :method, :authority and the header facts", () => {
    const calls = callsPerRequest(recorder(BENCH_LIKE, { recordCalls: true }), REQUEST);
    expect(calls["env.proxy_get_header_map_pairs"]).toBe(1);
    // The response phase looks up :status alone: one get_header_map_value, cheaper than serializing the map.
    expect(calls["env.proxy_get_header_map_value"]).toBe(1);
  });
  test("a property read twice in one callback is fetched once (request.duration: field + metrics; wasm.abac.policy: field + tag)", () => {
    const calls = callsPerRequest(recorder(BENCH_LIKE, { recordCalls: true }), REQUEST);
    // source.address, wasm.abac.decision, wasm.abac.policy, response.code_details, request.duration.
    expect(calls["env.proxy_get_property"]).toBe(5);
  });
  test("two property fields with one path in one phase: one get_property; the same path in another phase: read again", () => {
    const samePhase = recorder(
      { fields: [{ fact: "property", path: ["xds", "cluster_name"], name: "a" }, { fact: "property", path: ["xds", "cluster_name"], name: "b" }] },
      { recordCalls: true },
    );
    expect(callsPerRequest(samePhase, REQUEST)["env.proxy_get_property"]).toBe(1);
    const twoPhases = recorder(
      {
        fields: [
          { fact: "property", path: ["xds", "cluster_name"], name: "a" },
          { fact: "property", path: ["xds", "cluster_name"], name: "b", phase: "log" },
        ],
      },
      { recordCalls: true },
    );
    expect(callsPerRequest(twoPhases, REQUEST)["env.proxy_get_property"]).toBe(2);
  });
  test("one header lookup in a phase and no header fact: get_header_map_value, no pairs", () => {
    const calls = callsPerRequest(recorder({ fields: ["method", "status"] }, { recordCalls: true }), REQUEST);
    expect(calls["env.proxy_get_header_map_pairs"]).toBeUndefined();
    expect(calls["env.proxy_get_header_map_value"]).toBe(2);
  });
});

describe("same values whichever way a header is read", () => {
  // ["grpcStatus"] looks up content-type alone (get_header_map_value); with "method" and "authority" the
  // request phase reads the pairs and takes the first entry named content-type, as get_header_map_value does.
  // content-type is an Envoy inline header: a repeated one is appended to the first entry ("a,b"), so in Envoy
  // (and the harness) both paths see one entry whose first value decides. Header names the recorder looks up
  // (pseudo-headers, content-type, x-envoy-upstream-service-time) are all inline or unique.
  const GRPC_RESPONSE = { status: 200, headers: [["content-type", "application/grpc"]] as Array<[string, string]>, trailers: [["grpc-status", "7"]] as Array<[string, string]> };
  const grpcFirst: HttpRequest = { method: "POST", path: "/pkg.Svc/Call", protocol: "http2", body: "", headers: [["content-type", "application/grpc"], ["content-type", "text/plain"]] };
  const plainFirst: HttpRequest = { ...grpcFirst, headers: [["content-type", "text/plain"], ["content-type", "application/grpc"]] };
  for (const [label, fields] of [["get_header_map_value", ["grpcStatus"]], ["get_header_map_pairs", ["grpcStatus", "method", "authority"]]] as const) {
    test(`repeated content-type, read with ${label}: one joined entry, its first value decides`, () => {
      const host = recorder({ fields: [...fields] }, { recordCalls: true });
      const from = host.calls.length;
      expect(host.http(grpcFirst, GRPC_RESPONSE).filterState["wasm.l7.rpc.grpc.status_code"]).toBe("7");
      const used = host.calls.slice(from).map((c) => c.name);
      expect(used).toContain(`env.proxy_${label}`);
      expect(host.http(plainFirst, GRPC_RESPONSE).filterState["wasm.l7.rpc.grpc.status_code"]).toBeUndefined();
    });
  }
  test("pairs and single lookups record the same document for the same request", () => {
    const request: HttpRequest = { method: "PUT", path: "/a/b?x=1", authority: "Host.Example:8443", headers: [["user-agent", "ua"]] };
    const viaGet = documentOf(recorder({ fields: ["authority"] }).http(request).filterState);
    const viaPairs = documentOf(recorder({ fields: ["authority", "method", "path", "serverPort", "userAgent"] }).http(request).filterState);
    expect(viaGet["server.address"]).toBe("host.example");
    expect(viaPairs["server.address"]).toBe("host.example");
    expect(viaPairs).toMatchObject({ "http.request.method": "PUT", "url.path": "/a/b", "server.port": 8443, "user_agent.original": "ua" });
  });
});

test("no host block outlives its callback: linear memory stays flat over many requests", () => {
  const host = recorder({ ...BENCH_LIKE, fields: [...BENCH_LIKE.fields, { fact: "property", path: ["xds", "cluster_name"], name: "c", type: "string" }] });
  for (let i = 0; i < 2000; i++) host.http(REQUEST);
  const before = host.vm().memoryBytes;
  for (let i = 0; i < 20000; i++) host.http(REQUEST);
  expect(host.vm().memoryBytes).toBe(before);
});
