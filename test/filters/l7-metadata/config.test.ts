// Configuration: valid, empty and invalid configurations of the recorder; every rejection names the JSON path
// of the bad field (issue #6 item 5; host-behaviour.md F.25: on_configure false rejects the configuration).
import { describe, expect, test } from "vitest";
import { L7_MODULE, recorder, rejection } from "./support";
import { validateL7MetadataConfig } from "../../../filters/l7-metadata/node/validate";

const FULL = {
  prefix: "rec",
  maxValueLength: 128,
  jwtPayloadKey: "payload",
  fields: [
    "method", "path", "query", "route", "scheme", "authority", "serverPort", "protocol", "userAgent", "requestId",
    "clientAddress", "clientPort", "localAddress", "localPort", "peerPrincipal", "jwtSubject", "abacDecision",
    "abacPolicy", "abacRule", "startTime", "status", "grpcStatus", "responseCodeDetails", "requestBodySize",
    "requestSize", "responseBodySize", "responseSize", "duration", "upstreamLatency",
    { fact: "requestHeader", header: "x-tenant", maxLength: 32 },
    { fact: "responseHeader", header: "content-type", name: "content_type" },
    { fact: "queryParameter", parameter: "page" },
    { fact: "jwtClaim", claim: "groups", type: "list" },
    { fact: "property", path: ["xds", "route_name"], name: "envoy.route_name", phase: "request" },
    { fact: "filterState", key: "wasm.other.plugin", name: "other" },
  ],
  routes: [{ template: "/users/{id}", metricTag: "users" }, { template: "/static/{rest...}" }],
  filterState: { fields: true, document: true },
  headers: {
    request: [{ field: "http.route", header: "x-route" }],
    response: [{ field: "http.response.status_code", header: "x-status" }],
  },
  metrics: { prefix: "rec", tags: ["route", "status_class"], maxSeries: 50 },
  export: {
    cluster: "collector", authority: "collector.local", path: "/v1/records", flushIntervalMs: 500, batchRecords: 10,
    bufferRecords: 100, timeoutMs: 1000, maxRetries: 3, backoff: { initialMs: 100, maxMs: 1000 }, overflow: "dropNewest",
    sampleRate: 0.5,
  },
  redaction: { mode: "hash", hashKey: "k", headers: ["x-api-key"], queryParameters: ["ssn"] },
};

describe("valid configurations", () => {
  test("the smallest configuration: one fact", () => {
    const host = recorder({ fields: ["method"] });
    expect(host.rejection).toBeNull();
    expect(host.http({ path: "/" }).filterState["wasm.l7.http.request.method"]).toBe("GET");
  });
  test("every key at once", () => {
    const host = recorder(FULL, { clusters: { collector: { respond: { status: 200 } } } });
    expect(host.rejection).toBeNull();
    expect(host.http({ path: "/users/1" }).filterState["wasm.rec.http.route"]).toBe("/users/{id}");
  });
  test("the whole-document filter state can be turned off, per-field values kept", () => {
    const result = recorder({ fields: ["method"], filterState: { document: false } }).http({ path: "/" });
    expect(result.filterState["wasm.l7"]).toBeUndefined();
    expect(result.filterState["wasm.l7.http.request.method"]).toBe("GET");
  });
  test("per-field values can be turned off, the document kept", () => {
    const result = recorder({ fields: ["method"], filterState: { fields: false } }).http({ path: "/" });
    expect(result.filterState["wasm.l7.http.request.method"]).toBeUndefined();
    expect(result.filterState["wasm.l7"]).toBe('{"http.request.method":"GET"}');
  });
});

const cases: Array<[string, unknown, string]> = [
  ["fields missing", {}, 'fields: is required: the facts to record, e.g. ["method", "path", "status"]'],
  ["fields empty", { fields: [] }, "fields: must not be empty"],
  ["fields not an array", { fields: "method" }, "fields: expected an array of at most 64 items, got string"],
  ["too many fields", { fields: Array.from({ length: 65 }, () => "method") }, "fields: expected an array of at most 64 items, got 65 items"],
  ["unknown top-level key (a typo must not be ignored)", { fields: ["method"], feilds: [] },
    "feilds: unknown field; allowed: prefix, fields, maxValueLength, jwtPayloadKey, routes, filterState, headers, metrics, export, redaction"],
  ["unknown fact", { fields: ["method", "verb"] }, 'fields[1]: "verb" is not one of method, path, query, route, scheme, authority, serverPort, protocol, userAgent, requestId, clientAddress, clientPort, localAddress, localPort, peerPrincipal, jwtSubject, jwtClaim, abacDecision, abacPolicy, abacRule, requestHeader, queryParameter, startTime, status, responseHeader, grpcStatus, responseCodeDetails, requestBodySize, requestSize, responseBodySize, responseSize, duration, upstreamLatency, property, filterState'],
  ["fact needing an argument as a string", { fields: ["requestHeader"] }, 'fields[0]: "requestHeader" needs "header": write the field as an object'],
  ["fact without its argument", { fields: [{ fact: "requestHeader" }] }, "fields[0].header: is required"],
  ["upper-case header name", { fields: [{ fact: "requestHeader", header: "X-Tenant" }] }, 'fields[0].header: "X-Tenant" is not a lower-case header name'],
  ["x-envoy-* request header (CVE-2023-27487)", { fields: [{ fact: "requestHeader", header: "x-envoy-original-path" }] },
    'fields[0].header: "x-envoy-original-path": x-envoy-* request headers can be forged by clients and are never recorded'],
  ["x-envoy-* request header through a property path", { fields: [{ fact: "property", path: ["request", "headers", "x-envoy-internal"], name: "i" }] },
    "fields[0].path[2]: x-envoy-* request headers can be forged by clients and are never recorded"],
  ["the whole request header map through a property path", { fields: [{ fact: "property", path: ["request", "headers"], name: "h" }] },
    "fields[0].path: reads every request header unredacted; use requestHeader fields"],
  ["argument of another fact", { fields: [{ fact: "method", header: "x-a" }] }, 'fields[0].header: is not used by fact "method"'],
  ["unknown field key", { fields: [{ fact: "method", label: "m" }] },
    "fields[0].label: unknown field; allowed: fact, name, maxLength, header, parameter, claim, path, key, type, phase"],
  ["duplicate field name", { fields: ["method", { fact: "requestHeader", header: "x-a", name: "http.request.method" }] },
    'fields[1]: duplicate field name "http.request.method" (fields[0]); set "name"'],
  ["bad field name", { fields: [{ fact: "method", name: "a..b" }] },
    'fields[0].name: "a..b" is not a field name (dot-separated [A-Za-z0-9_-] segments, at most 128 characters)'],
  ["maxLength too small", { fields: [{ fact: "path", maxLength: 4 }] }, "fields[0].maxLength: expected an integer in [8, 4096], got 4"],
  ["property without path", { fields: [{ fact: "property", name: "x" }] }, 'fields[0].path: is required: a non-empty array, e.g. ["xds", "route_name"]'],
  ["property without name", { fields: [{ fact: "property", path: ["xds", "route_name"] }] }, "fields[0].name: is required for a property field"],
  ["property with an empty segment", { fields: [{ fact: "property", path: ["xds", ""], name: "x" }] }, "fields[0].path[1]: must be non-empty, without NUL"],
  ["property with an unknown type", { fields: [{ fact: "property", path: ["a"], name: "x", type: "float" }] },
    'fields[0].type: "float" is not one of string, int, uint, bool, double, duration, timestamp, list'],
  ["property with an unknown phase", { fields: [{ fact: "property", path: ["a"], name: "x", phase: "later" }] },
    'fields[0].phase: "later" is not one of request, response, log'],
  ["type on a fact without one", { fields: [{ fact: "path", type: "string" }] }, "fields[0].type: only property and jwtClaim fields have a type"],
  ["phase on a fact with a fixed phase", { fields: [{ fact: "path", phase: "log" }] }, "fields[0].phase: only property fields have a phase"],
  ["empty query parameter name", { fields: [{ fact: "queryParameter", parameter: "" }] }, "fields[0].parameter: must not be empty"],
  ["bad prefix", { prefix: "L7", fields: ["method"] }, 'prefix: "L7" must match [a-z][a-z0-9_]{0,31}'],
  ["maxValueLength not an integer", { fields: ["method"], maxValueLength: 1.5 }, "maxValueLength: expected an integer in [8, 4096], got 1.5"],
  ["route template without a leading slash", { fields: ["route"], routes: [{ template: "users/{id}" }] }, 'routes[0].template: "users/{id}" must start with "/"'],
  ["route template with a rest variable in the middle", { fields: ["route"], routes: [{ template: "/a/{x...}/b" }] },
    'routes[0].template: "/a/{x...}/b" a "{name...}" variable must be the last segment'],
  ["bad metric tag", { fields: ["route"], routes: [{ template: "/a", metricTag: "a b" }] },
    'routes[0].metricTag: "a b" must be 1 to 64 characters of [A-Za-z0-9_./{}-]'],
  ["header output naming no field", { fields: ["route"], headers: { request: [{ field: "url.path", header: "x-p" }] } },
    'headers.request[0].field: "url.path" is not the name of a configured field'],
  ["request header output of a response fact", { fields: ["status"], headers: { request: [{ field: "http.response.status_code", header: "x-s" }] } },
    'headers.request[0].field: "http.response.status_code" is a response fact, after these headers are sent'],
  ["response header output of a completion fact", { fields: ["duration"], headers: { response: [{ field: "http.server.request.duration", header: "x-d" }] } },
    'headers.response[0].field: "http.server.request.duration" is known only when the request completes, after these headers are sent'],
  ["pseudo-header output", { fields: ["route"], headers: { request: [{ field: "http.route", header: ":path" }] } },
    'headers.request[0].header: ":path" is not a lower-case header name'],
  ["framing header output", { fields: ["route"], headers: { response: [{ field: "http.route", header: "content-length" }] } },
    'headers.response[0].header: "content-length" is a hop-by-hop, framing or Host header and cannot be set'],
  ["unknown metric tag", { fields: ["method"], metrics: { tags: ["path"] } }, 'metrics.tags[0]: "path" is not one of route, method, status_class, policy'],
  ["duplicate metric tag", { fields: ["method"], metrics: { tags: ["route", "route"] } }, "metrics.tags[1]: duplicate tag"],
  ["maxSeries out of range", { fields: ["method"], metrics: { maxSeries: 0 } }, "metrics.maxSeries: expected an integer in [1, 10000], got 0"],
  ["export without a cluster", { fields: ["method"], export: {} }, "export.cluster: is required"],
  ["export buffer smaller than a batch", { fields: ["method"], export: { cluster: "c", batchRecords: 10, bufferRecords: 5 } },
    "export.bufferRecords: must be at least batchRecords (10)"],
  ["export backoff cap below its start", { fields: ["method"], export: { cluster: "c", backoff: { initialMs: 500, maxMs: 100 } } },
    "export.backoff.maxMs: must be at least initialMs (500)"],
  ["export sample rate above 1", { fields: ["method"], export: { cluster: "c", sampleRate: 2 } }, "export.sampleRate: expected a number in [0, 1], got 2"],
  ["export path not absolute", { fields: ["method"], export: { cluster: "c", path: "v1" } }, 'export.path: "v1" must start with "/" and be visible ASCII'],
  ["export overflow policy", { fields: ["method"], export: { cluster: "c", overflow: "block" } }, 'export.overflow: "block" is not one of dropOldest, dropNewest'],
  ["redaction mode", { fields: ["method"], redaction: { mode: "encrypt" } }, 'redaction.mode: "encrypt" is not one of drop, hash'],
  ["hash key without hash mode", { fields: ["method"], redaction: { hashKey: "k" } }, 'redaction.hashKey: must be a non-empty string, used with "mode": "hash"'],
  ["redacted header not lower-case", { fields: ["method"], redaction: { headers: ["X-Key"] } }, 'redaction.headers[0]: "X-Key" is not a lower-case header name'],
];

describe("rejected configurations name the JSON path (one CRITICAL line)", () => {
  test("an empty configuration (Istio sends 0 bytes for a missing pluginConfig)", () => {
    expect(rejection("")).toBe('(root): the configuration is empty; expected an object with "fields"');
  });
  test("not JSON", () => {
    expect(rejection("{fields: [}")).toMatch(/^\(root\): not valid JSON: line 1, column 2: /);
  });
  test("not an object", () => {
    expect(rejection([])).toBe("(root): expected an object, got array");
  });

  test.each(cases)("%s", (_name, configuration, expected) => {
    expect(rejection(configuration)).toBe(expected);
  });

  test("values are quoted with JSON escaping in messages (they may be attacker-written)", () => {
    expect(rejection({ fields: ['me"th\nod'] })).toMatch(/^fields\[0\]: "me\\"th\\nod" is not one of/);
  });
});

describe("Node-side validation (node/validate.ts): JSON Schema, then the filter's own parser", () => {
  test("a valid configuration passes both", async () => {
    expect(await validateL7MetadataConfig(FULL, { module: L7_MODULE })).toEqual({ valid: true, errors: [] });
  });
  test("a structural error is reported by the schema with its path", async () => {
    const result = await validateL7MetadataConfig({ fields: ["method"], export: { cluster: "c", batchRecords: 0 } }, { module: L7_MODULE });
    expect(result.valid).toBe(false);
    expect(result.errors[0]).toMatch(/^export\.batchRecords: /);
  });
  test("a cross-field error only the filter sees is reported with the filter's own line", async () => {
    const result = await validateL7MetadataConfig({ fields: ["method", { fact: "method" }] }, { module: L7_MODULE });
    expect(result).toEqual({ valid: false, errors: ['fields[1]: duplicate field name "http.request.method" (fields[0]); set "name"'] });
  });
  test.each(cases.map(([name, configuration]) => [name, configuration] as const))(
    "schema and filter agree that %s is invalid",
    async (_name, configuration) => {
      expect((await validateL7MetadataConfig(configuration, { module: L7_MODULE })).valid).toBe(false);
    },
  );
});
