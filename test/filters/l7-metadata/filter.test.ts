// The recorder's behaviour in the harness: each fact read in the phase where Envoy provides it, the outputs
// (filter state per field and as a document, header outputs, metrics), and the catch-up in on_log for a request
// an earlier filter answered. Sources: host-behaviour.md §C.3 (attributes), F.12 (lazy contexts, create → on_log),
// F.16 (header maps per phase, access-log copies in on_log), F.26 (log → done → delete); authz-and-metadata.md
// §B.2, §B.3, §C.2, §C.4 (OpenTelemetry names).
import { describe, expect, test } from "vitest";
import { createMultiPluginHost } from "../../../harness";
import { ABAC_MODULE, L7_MODULE, documentOf, recorder } from "./support";

describe("request facts (read in onRequestHeaders)", () => {
  test("method, path, query, route, scheme, authority, server port, protocol, user agent", () => {
    const host = recorder({
      fields: ["method", "path", "query", "route", "scheme", "authority", "serverPort", "protocol", "userAgent"],
      routes: [{ template: "/users/{id}" }],
    });
    const result = host.http({ method: "POST", path: "/users/7?page=2", authority: "API.Example.com:8443", headers: [["user-agent", "curl/8"]] });
    expect(documentOf(result.filterState)).toEqual({
      "http.request.method": "POST",
      "url.path": "/users/7",
      "url.query": "page=2",
      "http.route": "/users/{id}",
      "url.scheme": "http",
      "server.address": "api.example.com",
      "server.port": 8443,
      "network.protocol.version": "1.1",
      "user_agent.original": "curl/8",
    });
  });
  test("HTTP/2 is recorded as protocol version 2; the server port falls back to the listener's", () => {
    const host = recorder({ fields: ["protocol", "serverPort", "localAddress", "localPort"] });
    const result = host.http({ path: "/", protocol: "http2" });
    expect(documentOf(result.filterState)).toEqual({
      "network.protocol.version": "2",
      "server.port": 10000,
      "network.local.address": "127.0.0.1",
      "network.local.port": 10000,
    });
  });
  test("client address and port, request id and start time", () => {
    const host = recorder({ fields: ["clientAddress", "clientPort", "requestId", "startTime"] });
    const result = host.http({ path: "/", peerAddress: "10.1.2.3:40000" });
    const document = documentOf(result.filterState);
    expect(document["client.address"]).toBe("10.1.2.3");
    expect(document["client.port"]).toBe(40000);
    expect(typeof document["request.id"]).toBe("string");
    expect(String(document["request.id"]).length).toBeGreaterThan(0);
    expect(typeof document["time_unix_nano"]).toBe("number");
  });
  test("an unknown method is _OTHER and a path without a matching template has no http.route (OpenTelemetry)", () => {
    const host = recorder({ fields: ["method", "route"], routes: [{ template: "/a" }] });
    expect(host.http({ method: "PURGE", path: "/b" }).filterState["wasm.l7"]).toBe('{"http.request.method":"_OTHER"}');
  });
  test("selected request headers: every value, comma-joined; absent header → absent field", () => {
    const host = recorder({ fields: [{ fact: "requestHeader", header: "x-tenant" }, { fact: "requestHeader", header: "x-absent" }] });
    const result = host.http({ path: "/", headers: [["x-tenant", "a"], ["x-other", "b"], ["x-tenant", "c"]] });
    expect(documentOf(result.filterState)).toEqual({ "http.request.header.x-tenant": "a,c" });
    expect(result.filterState["wasm.l7.http.request.header.x-absent"]).toBeUndefined();
  });
  test("query parameters are percent-decoded, first occurrence wins", () => {
    const host = recorder({ fields: [{ fact: "queryParameter", parameter: "q" }] });
    expect(host.http({ path: "/s?q=red%20shoes&q=blue" }).filterState["wasm.l7.url.query.q"]).toBe("red shoes");
  });
  test("peer principal: first URI SAN of the client certificate (mTLS)", () => {
    const host = recorder({ fields: ["peerPrincipal"] });
    const result = host.http({ path: "/", tls: { clientCertificate: { uriSans: ["spiffe://td/ns/a/sa/b", "spiffe://td/ns/x/sa/y"] } } });
    expect(result.filterState["wasm.l7.source.principal"]).toBe("spiffe://td/ns/a/sa/b");
  });
  test("peer principal: Istio's io.istio.peer_principal filter state (waypoints) wins", () => {
    const host = recorder({ fields: ["peerPrincipal"] }, { listener: { peerPrincipalFilterState: "spiffe://td/ns/w/sa/v" } });
    const result = host.http({ path: "/", tls: { clientCertificate: { uriSans: ["spiffe://td/ns/a/sa/b"] } } });
    expect(result.filterState["wasm.l7.source.principal"]).toBe("spiffe://td/ns/w/sa/v");
  });
  test("plaintext without identity: no principal and no trap (NOT_FOUND is not an error)", () => {
    const host = recorder({ fields: ["peerPrincipal", "method"] });
    const result = host.http({ path: "/" });
    expect(result.status).toBe(200);
    expect(result.filterState["wasm.l7"]).toBe('{"http.request.method":"GET"}');
  });
  test("JWT subject and claims from jwt_authn metadata, typed", () => {
    const host = recorder(
      {
        fields: [
          "jwtSubject",
          { fact: "jwtClaim", claim: "groups", type: "list" },
          { fact: "jwtClaim", claim: "level", type: "double" },
          { fact: "jwtClaim", claim: "admin", type: "bool" },
          { fact: "jwtClaim", claim: "tenant" },
        ],
      },
      { listener: { jwt: { issuer: "https://issuer.example" } } },
    );
    const result = host.http({
      path: "/",
      jwt: { claims: { iss: "https://issuer.example", sub: "alice", groups: ["a", "b"], level: 2.5, admin: true, tenant: "acme" } },
    });
    expect(result.status).toBe(200);
    expect(result.filterState["wasm.l7"]).toBe('{"enduser.id":"alice","jwt.groups":"a,b","jwt.level":2.5,"jwt.admin":true,"jwt.tenant":"acme"}');
  });
  test("any attribute by property path, e.g. xds.route_name", () => {
    const host = recorder({ fields: [{ fact: "property", path: ["xds", "route_name"], name: "envoy.route" }] }, { xds: { routeName: "orders-route" } });
    expect(host.http({ path: "/" }).filterState["wasm.l7.envoy.route"]).toBe("orders-route");
  });
});

describe("response facts (onResponseHeaders) and completion facts (onLog)", () => {
  test("status and selected response headers", () => {
    const host = recorder({ fields: ["status", { fact: "responseHeader", header: "x-cache" }] });
    const result = host.http({ path: "/" }, { status: 206, headers: [["x-cache", "HIT"]] });
    expect(result.filterState["wasm.l7"]).toBe('{"http.response.status_code":206,"http.response.header.x-cache":"HIT"}');
  });
  test("sizes, duration, upstream latency and response code details", () => {
    const host = recorder({
      fields: ["requestBodySize", "responseBodySize", "requestSize", "responseSize", "duration", "upstreamLatency", "responseCodeDetails"],
    });
    const result = host.http({ method: "POST", path: "/", body: "hello" }, { status: 200, body: "0123456789", delayMs: 250 });
    const document = documentOf(result.filterState);
    expect(document["http.request.body.size"]).toBe(5);
    expect(document["http.response.body.size"]).toBe(10);
    expect(document["http.request.size"]).toBeGreaterThan(5);
    expect(document["http.response.size"]).toBeGreaterThan(10);
    expect(document["http.server.request.duration"]).toBeGreaterThanOrEqual(0.25);
    expect(document["envoy.upstream.duration"]).toBeGreaterThanOrEqual(0.25);
    expect(document["envoy.response_code_details"]).toBe("via_upstream");
  });
  test("gRPC status is recorded for gRPC requests only (Envoy maps every HTTP status to a gRPC code)", () => {
    const host = recorder({ fields: ["grpcStatus"] });
    const grpc = host.http(
      { method: "POST", path: "/pkg.Svc/Call", protocol: "http2", headers: [["content-type", "application/grpc"]], body: "" },
      { status: 200, headers: [["content-type", "application/grpc"]], trailers: [["grpc-status", "7"]] },
    );
    expect(grpc.filterState["wasm.l7.rpc.grpc.status_code"]).toBe("7");
    const plain = host.http({ path: "/" });
    expect(plain.filterState["wasm.l7.rpc.grpc.status_code"]).toBeUndefined();
  });
  test("an upstream reset: the router's 503 local reply is recorded with its details", () => {
    const host = recorder({ fields: ["path", "status", "responseCodeDetails"] });
    const result = host.http({ path: "/flaky" }, { reset: true });
    expect(result.status).toBe(503);
    const document = documentOf(result.filterState);
    expect(document["url.path"]).toBe("/flaky");
    expect(document["http.response.status_code"]).toBe(503);
    expect(String(document["envoy.response_code_details"])).toMatch(/^upstream_reset/);
  });
});

describe("outputs", () => {
  test("one filter-state value per field under wasm.<prefix>.<name>, plus the document under wasm.<prefix>", () => {
    const host = recorder({ prefix: "rec", fields: ["method", { fact: "path", name: "p" }] });
    const result = host.http({ path: "/x" });
    expect(result.filterState["wasm.rec.http.request.method"]).toBe("GET");
    expect(result.filterState["wasm.rec.p"]).toBe("/x");
    expect(result.filterState["wasm.rec"]).toBe('{"http.request.method":"GET","p":"/x"}');
  });
  test("every key is declared as a String (declare_property) at configure time", () => {
    const host = recorder({ fields: ["method", "path"] }, { recordCalls: true });
    // proxy_call_foreign_function(name_ptr, name_len = "declare_property".length, …)
    const declared = host.calls.filter((call) => call.name === "env.proxy_call_foreign_function" && call.args[1] === "declare_property".length);
    // Canary + main thread + one worker (Envoy 1.40, docs/E2E.md), three keys each (two fields and the document).
    expect(declared.length).toBe(9);
  });
  test("request header outputs replace the client's copy, or remove it when the field has no value", () => {
    const host = recorder({ fields: ["route"], routes: [{ template: "/orders" }], headers: { request: [{ field: "http.route", header: "x-route" }] } });
    const matched = host.http({ path: "/orders", headers: [["x-route", "/forged"], ["x-route", "/again"]] });
    expect(matched.upstream!.headers.filter(([name]) => name === "x-route")).toEqual([["x-route", "/orders"]]);
    const unmatched = host.http({ path: "/other", headers: [["x-route", "/forged"]] });
    expect(unmatched.upstream!.headers.some(([name]) => name === "x-route")).toBe(false);
  });
  test("response header outputs carry request and response facts to the client", () => {
    const host = recorder({
      fields: ["route", "status"],
      routes: [{ template: "/orders" }],
      headers: { response: [{ field: "http.route", header: "x-route" }, { field: "http.response.status_code", header: "x-status" }] },
    });
    const result = host.http({ path: "/orders" }, { status: 202, headers: [["x-status", "999"]] });
    expect(result.headers.filter(([name]) => name === "x-status")).toEqual([["x-status", "202"]]);
    expect(result.headers).toContainEqual(["x-route", "/orders"]);
  });
  test("request metrics: a counter and a duration histogram per tag set, tags encoded for stats_tags", () => {
    const host = recorder({ fields: ["method"], routes: [{ template: "/users/{id}" }], metrics: { tags: ["route", "method", "status_class"] } });
    host.http({ path: "/users/1" }, { status: 200, delayMs: 30 });
    host.http({ path: "/users/2" }, { status: 200, delayMs: 10 });
    host.http({ path: "/nowhere" }, { status: 404 });
    const ok = "route=.=/users/{id};.;method=.=GET;.;status_class=.=2xx;.;";
    expect(host.counter(`${ok}l7.requests_total`)).toBe(2);
    expect(host.counter("route=.=_other;.;method=.=GET;.;status_class=.=4xx;.;l7.requests_total")).toBe(1);
    const durations = host.histogram(`${ok}l7.request_duration_milliseconds`)!;
    expect(durations.length).toBe(2);
    expect(durations[0]).toBeGreaterThanOrEqual(30);
  });
  test("a route's metricTag replaces the template in the tag; a custom metrics prefix", () => {
    const host = recorder({ fields: ["method"], routes: [{ template: "/users/{id}", metricTag: "users" }], metrics: { prefix: "shop", tags: ["route"] } });
    host.http({ path: "/users/1" });
    expect(host.counter("route=.=users;.;shop.requests_total")).toBe(1);
  });
});

describe("next to the ABAC filter (filters/abac writes wasm.abac.*)", () => {
  const abacConfiguration = {
    policies: [{ name: "shop/deny-admin", spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin/*"] } }] }] } }],
  };
  const host = () =>
    createMultiPluginHost({
      plugins: [
        { wasm: ABAC_MODULE, name: "abac", configuration: abacConfiguration },
        {
          wasm: L7_MODULE,
          name: "l7-metadata",
          configuration: {
            fields: ["method", "path", "status", "abacDecision", "abacPolicy", "userAgent"],
            metrics: { tags: ["policy", "status_class"] },
          },
        },
      ],
    });

  test("an allowed request records the decision read at request headers", () => {
    const result = host().http({ path: "/orders/7" });
    expect(documentOf(result.filterState)).toMatchObject({ "abac.decision": "allow", "http.response.status_code": 200 });
  });
  test("a request ABAC denied: the recorder sees only create → on_log and reads the access-log copies", () => {
    const h = host();
    const result = h.http({ path: "/admin/users", headers: [["user-agent", "probe/1"]] });
    expect(result.status).toBe(403);
    expect(documentOf(result.filterState)).toEqual({
      "http.request.method": "GET",
      "url.path": "/admin/users",
      "http.response.status_code": 403,
      "abac.decision": "deny",
      "abac.policy": "shop/deny-admin",
      "user_agent.original": "probe/1",
    });
    expect(result.filterState["wasm.l7.abac.decision"]).toBe("deny");
    // Tags are written in a fixed order (route, method, status_class, policy), whatever the configured order.
    expect(h.counter("status_class=.=4xx;.;policy=.=shop/deny-admin;.;l7.requests_total")).toBe(1);
  });
});
