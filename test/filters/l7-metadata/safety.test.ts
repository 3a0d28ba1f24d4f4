// Recorder safety in the harness: escaping (log and JSON injection: CVE-2025-25294, CVE-2024-45808), length caps,
// redaction of sensitive headers and query parameters (OpenTelemetry: scrub url.query, capture headers by
// allow-list), client-forged x-envoy-* headers (CVE-2023-27487, CVE-2024-45806), bounded metric cardinality
// (authz-and-metadata.md §D items 22–24), and no trap on hostile input (authz-and-metadata.md §0.6).
import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { documentOf, recorder } from "./support";

/** Characters a client can put in a header value: printable ASCII, tab, and any non-ASCII text. */
const headerValue = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', "\\", "\t", "{", "}", ",", ":", "%", "'", "<", ">", "\u2028", "\u2029", "\u0085", "\u202e", "\u00e9", "😀"),
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  ),
  minLength: 1,
  maxLength: 60,
}).filter((value) => value.trim() === value && value.length > 0);

describe("escaping: no client value can add a field or a line", () => {
  test("property: the document parses to exactly the configured keys, and each value round-trips", () => {
    const host = recorder({ fields: ["userAgent", { fact: "requestHeader", header: "x-note" }, "path"] });
    fc.assert(
      fc.property(headerValue, headerValue, (userAgent, note) => {
        const result = host.http({ path: "/p", headers: [["user-agent", userAgent], ["x-note", note]] });
        const text = result.filterState["wasm.l7"]!;
        expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
        const document = JSON.parse(text) as Record<string, unknown>;
        expect(Object.keys(document)).toEqual(["user_agent.original", "http.request.header.x-note", "url.path"]);
        expect(document["user_agent.original"]).toBe(userAgent);
        expect(document["http.request.header.x-note"]).toBe(note);
        // The per-field value is the same escaped text, safe inside "…" in a text access-log line.
        const field = result.filterState["wasm.l7.user_agent.original"]!;
        expect(JSON.parse(`"${field}"`)).toBe(userAgent);
      }),
      { numRuns: 300 },
    );
  });
  test("a User-Agent built to inject JSON fields (CVE-2025-25294) stays one string", () => {
    const attack = 'x", "admin": true, "injected": "';
    const result = recorder({ fields: ["userAgent"] }).http({ path: "/", headers: [["user-agent", attack]] });
    expect(result.filterState["wasm.l7"]).toBe('{"user_agent.original":"x\\", \\"admin\\": true, \\"injected\\": \\""}');
    expect(result.filterState["wasm.l7.user_agent.original"]).toBe('x\\", \\"admin\\": true, \\"injected\\": \\"');
  });
  test("line and paragraph separators, NEL and bidi overrides are escaped (CVE-2024-45808 class)", () => {
    const result = recorder({ fields: ["userAgent"] }).http({ path: "/", headers: [["user-agent", "a\u2028b\u0085c\u202ed"]] });
    expect(result.filterState["wasm.l7.user_agent.original"]).toBe("a\\u2028b\\u0085c\\u202ed");
  });
  test("the path and query are recorded as sent, escaped, never decoded into control characters", () => {
    const result = recorder({ fields: ["path", "query"] }).http({ path: '/a%0Ab"c?x=%0D%0A&y="' });
    expect(documentOf(result.filterState)).toEqual({ "url.path": '/a%0Ab"c', "url.query": 'x=%0D%0A&y="' });
  });
  test("a header output carries the escaped value, never a raw quote or control character", () => {
    const host = recorder({ fields: ["userAgent"], headers: { request: [{ field: "user_agent.original", header: "x-ua" }] } });
    const result = host.http({ path: "/", headers: [["user-agent", 'q"\u2028']] });
    expect(result.upstream!.headers).toContainEqual(["x-ua", 'q\\"\\u2028']);
  });
});

describe("length caps", () => {
  test("values longer than the cap are cut and marked with '...'", () => {
    const host = recorder({ fields: ["userAgent", { fact: "requestHeader", header: "x-long", maxLength: 12 }], maxValueLength: 16 });
    const result = host.http({ path: "/", headers: [["user-agent", "u".repeat(100)], ["x-long", "abcdefghijklmnopqrstuvwxyz"]] });
    expect(result.filterState["wasm.l7.user_agent.original"]).toBe("u".repeat(13) + "...");
    expect(result.filterState["wasm.l7.http.request.header.x-long"]).toBe("abcdefghi...");
  });
  test("a 64 KiB header does not grow the record beyond the cap", () => {
    const result = recorder({ fields: ["userAgent"] }).http({ path: "/", headers: [["user-agent", "z".repeat(65536)]] });
    expect(result.status).toBe(200);
    expect(result.filterState["wasm.l7.user_agent.original"]!.length).toBe(256);
  });
});

describe("redaction", () => {
  test("authorization, proxy-authorization and cookie request headers are redacted by default", () => {
    const host = recorder({
      fields: [
        { fact: "requestHeader", header: "authorization" },
        { fact: "requestHeader", header: "proxy-authorization" },
        { fact: "requestHeader", header: "cookie" },
        { fact: "requestHeader", header: "x-tenant" },
      ],
    });
    const result = host.http({
      path: "/",
      headers: [["authorization", "Bearer secret"], ["proxy-authorization", "Basic x"], ["cookie", "sid=1"], ["x-tenant", "acme"]],
    });
    expect(documentOf(result.filterState)).toEqual({
      "http.request.header.authorization": "[REDACTED]",
      "http.request.header.proxy-authorization": "[REDACTED]",
      "http.request.header.cookie": "[REDACTED]",
      "http.request.header.x-tenant": "acme",
    });
  });
  test("set-cookie response headers are redacted by default", () => {
    const host = recorder({ fields: [{ fact: "responseHeader", header: "set-cookie" }] });
    const result = host.http({ path: "/" }, { headers: [["set-cookie", "sid=abc"], ["set-cookie", "x=y"]] });
    expect(result.filterState["wasm.l7.http.response.header.set-cookie"]).toBe("[REDACTED]");
  });
  test("token-like query parameters are redacted in url.query and as their own fields", () => {
    const host = recorder({ fields: ["query", { fact: "queryParameter", parameter: "access_token" }, { fact: "queryParameter", parameter: "page" }] });
    const result = host.http({ path: "/?access_token=abc&page=2&X-Amz-Signature=f00&code=123" });
    expect(documentOf(result.filterState)).toEqual({
      "url.query": "access_token=[REDACTED]&page=2&X-Amz-Signature=[REDACTED]&code=[REDACTED]",
      "url.query.access_token": "[REDACTED]",
      "url.query.page": "2",
    });
  });
  test("configured names are redacted too", () => {
    const host = recorder({
      fields: ["query", { fact: "requestHeader", header: "x-api-key" }],
      redaction: { headers: ["x-api-key"], queryParameters: ["SSN"] },
    });
    const result = host.http({ path: "/?ssn=123-45&q=1", headers: [["x-api-key", "k"]] });
    expect(documentOf(result.filterState)).toEqual({ "url.query": "ssn=[REDACTED]&q=1", "http.request.header.x-api-key": "[REDACTED]" });
  });
  test("hash mode: sha256: + 16 hex digits of SHA-256(value)", () => {
    const host = recorder({ fields: [{ fact: "requestHeader", header: "authorization" }], redaction: { mode: "hash" } });
    const result = host.http({ path: "/", headers: [["authorization", "Bearer abc"]] });
    const digest = createHash("sha256").update("Bearer abc").digest("hex").slice(0, 16);
    expect(result.filterState["wasm.l7.http.request.header.authorization"]).toBe(`sha256:${digest}`);
  });
  test("hash mode with a key: HMAC-SHA-256(key, value), so equal values correlate without a guessable hash", () => {
    const host = recorder({ fields: ["query"], redaction: { mode: "hash", hashKey: "s3cr3t" } });
    const result = host.http({ path: "/?token=abc" });
    const digest = createHmac("sha256", "s3cr3t").update("abc").digest("hex").slice(0, 16);
    expect(result.filterState["wasm.l7.url.query"]).toBe(`token=sha256:${digest}`);
  });
});

describe("client-forged x-envoy-* headers are never facts", () => {
  test("x-envoy-original-path sent by the client changes nothing the recorder writes (CVE-2023-27487)", () => {
    const host = recorder({ fields: ["path", "route"], routes: [{ template: "/admin/{x}" }] });
    const result = host.http({ path: "/public", headers: [["x-envoy-original-path", "/admin/panel"]] });
    expect(result.filterState["wasm.l7"]).toBe('{"url.path":"/public"}');
  });
});

describe("bounded metrics", () => {
  test("unknown methods collapse into _OTHER and unmatched paths into _other", () => {
    const host = recorder({ fields: ["method"], metrics: { tags: ["route", "method"] } });
    for (const method of ["PROPFIND", "MKCOL", "PURGE"]) host.http({ method, path: `/${method}/${Math.random()}` });
    expect(host.counter("route=.=_other;.;method=.=_OTHER;.;l7.requests_total")).toBe(3);
  });
  test("after maxSeries tag sets every new one is counted in the _overflow series", () => {
    const host = recorder({
      fields: ["method"],
      routes: ["/a", "/b", "/c", "/d", "/e"].map((template) => ({ template })),
      metrics: { tags: ["route"], maxSeries: 2 },
    });
    for (const path of ["/a", "/b", "/c", "/d", "/e", "/a"]) host.http({ path });
    const names = host.metrics().map((m) => m.name).filter((n) => n.endsWith("l7.requests_total"));
    expect(names.sort()).toEqual(["route=.=/a;.;l7.requests_total", "route=.=/b;.;l7.requests_total", "route=.=_overflow;.;l7.requests_total"]);
    expect(host.counter("route=.=_overflow;.;l7.requests_total")).toBe(3);
    expect(host.counter("route=.=/a;.;l7.requests_total")).toBe(2);
  });
  test("tag values are reduced to tag-safe characters (a ';' would end the tag early, '=' would confuse readers)", () => {
    // The same reduction applies to ABAC policy names (filter.test.ts "next to the ABAC filter").
    const host = recorder({ fields: ["method"], routes: [{ template: "/x;y=1" }], metrics: { tags: ["route"] } });
    host.http({ path: "/x;y=1" });
    expect(host.counter("route=.=/x_y_1;.;l7.requests_total")).toBe(1);
  });
});

describe("hostile input never traps the VM", () => {
  test("property: arbitrary paths and header values are recorded without a trap", () => {
    const host = recorder({
      fields: ["method", "path", "query", "route", "authority", "userAgent", { fact: "queryParameter", parameter: "q" }],
      routes: [{ template: "/a/{b}" }, { template: "/s/{rest...}" }],
      metrics: {},
    });
    const pathText = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
    fc.assert(
      fc.property(pathText, headerValue, (tail, userAgent) => {
        const result = host.http({ path: `/${tail}`, headers: [["user-agent", userAgent]] });
        expect(result.status).toBe(200);
        JSON.parse(result.filterState["wasm.l7"]!);
      }),
      { numRuns: 300 },
    );
    expect(host.traps()).toEqual([]);
  });
});
