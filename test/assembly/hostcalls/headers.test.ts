/**
 * HeaderMap (assembly/hostcalls/headers.ts) through probe-headers in the harness.
 * Envoy semantics: host-behaviour.md A.3 #10–16, F.16–F.18; Envoy context.cc getHeaderMapValue /
 * addHeaderMapValue / replaceHeaderMapValue / setHeaderMapPairs / getHeaderMapSize; cpp-host pairs_util.cc.
 */

import { describe, expect, test } from "vitest";
import { Status } from "../../../harness/index.js";
import { expectHostcalls, hostcallResults, probeHost, reported, reports } from "../probes.js";

const REQUEST_HEADERS: Array<[string, string]> = [
  ["x-single", "one"],
  ["x-multi", "a"],
  ["x-multi", "b"],
  ["x-empty", ""],
];

function run(action: string, extra: { trailers?: Array<[string, string]>; upstreamTrailers?: Array<[string, string]> } = {}) {
  const host = probeHost("headers");
  const result = host.http(
    // Trailers need HTTP/2: Envoy's HTTP/1.1 codec drops them (both ways).
    {
      path: "/headers",
      headers: [...REQUEST_HEADERS, ["x-probe", action]],
      body: "abc",
      ...(extra.trailers ? { trailers: extra.trailers } : {}),
      ...(extra.trailers || extra.upstreamTrailers ? { protocol: "http2" as const } : {}),
    },
    extra.upstreamTrailers ? { status: 200, body: "ok", trailers: extra.upstreamTrailers } : undefined,
  );
  const say = (what: string): string => reported(result.logs, "headers", what);
  return { host, result, say };
}

describe("reading request headers (in onRequestHeaders)", () => {
  test("get returns the first value, case-insensitively; null when absent; \"\" when present but empty (F.17)", () => {
    const { host, say } = run("read");
    expect(say("get x-single")).toBe('"one"');
    expect(say("get X-Single")).toBe('"one"');
    expect(say("get x-multi")).toBe('"a"');
    expect(say("get x-absent")).toBe("null");
    expect(say("get x-empty")).toBe('""');
    expect(say("getBytes x-single")).toBe("6f6e65");
    expect(say("getBytes x-empty")).toBe("");
    expect(say("getBytes x-absent")).toBe("null");
    // The absent header reached the host and came back NOT_FOUND: the SDK turned that into null, not a trap.
    expect(hostcallResults(host, "proxy_get_header_map_value")).toContain(Status.NotFound);
    expectHostcalls(host, ["proxy_get_header_map_value"]);
  });

  test("getAll lists every value of a repeated header from the pairs; has() checks presence", () => {
    const { host, say } = run("read");
    expect(say("getAll X-Multi")).toBe('["a"|"b"]');
    expect(say("getAll x-absent")).toBe("[]");
    expect(say("has x-empty")).toBe("true");
    expect(say("has x-absent")).toBe("false");
    expect(say("pairs count")).toMatch(/^(\d+) of \1$/); // pairs() sees every header the callback was told about
    expectHostcalls(host, ["proxy_get_header_map_pairs"]);
  });

  test("byteSize is the host's answer (Envoy: a byte count), positive for a non-empty map", () => {
    const { host, say } = run("read");
    expect(say("byteSize positive")).toBe("true");
    expectHostcalls(host, ["proxy_get_header_map_size"]);
  });
});

describe("changing request headers", () => {
  test("add appends (repeats allowed, names lower-cased), replace upserts, remove drops every value; the upstream sees it", () => {
    const { host, result, say } = run("mutate");
    for (const what of ["add x-added a", "add X-Added b", "replace x-single replaced", "replace x-new upserted", "remove x-multi", "remove x-absent", "add x-unicode"]) {
      expect(say(what), what).toBe("OK");
    }
    expect(say("after getAll x-added")).toBe("a|b");
    expect(say("after get x-multi")).toBe("null");
    const upstream = result.upstream!.headers;
    expect(upstream.filter(([name]) => name === "x-added")).toEqual([["x-added", "a"], ["x-added", "b"]]);
    expect(upstream.filter(([name]) => name === "x-single")).toEqual([["x-single", "replaced"]]);
    expect(upstream).toContainEqual(["x-new", "upserted"]);
    expect(upstream).toContainEqual(["x-unicode", "h\u00e9llo \u2713"]);
    expect(upstream.some(([name]) => name === "x-multi")).toBe(false);
    expectHostcalls(host, ["proxy_add_header_map_value", "proxy_replace_header_map_value", "proxy_remove_header_map_value"]);
  });

  test("setPairs replaces the whole map, pseudo-headers included; the host lower-cases names (F.17)", () => {
    const { host, result, say } = run("set-pairs");
    expect(say("setPairs")).toBe("OK");
    expect(say("after pairs")).toBe(":method=POST,:path=/replaced,:authority=replaced.example,:scheme=http,x-set=1,x-set=2");
    // Envoy 1.40 (observed, docs/E2E.md): replacing the whole request map leaves the request without a route,
    // even with :path/:authority set: 404 route_not_found, nothing reaches the upstream.
    expect(result.status).toBe(404);
    expect(result.responseCodeDetails).toBe("route_not_found");
    expect(result.upstream).toBeNull();
    expectHostcalls(host, ["proxy_set_header_map_pairs"]);
  });

  test("CR, LF or NUL in a name or value, or an empty name, is refused before reaching the host (no response splitting)", () => {
    const { host, result, say } = run("unsafe");
    for (const what of ["add CRLF value", "add LF name", "add NUL value", "add empty name", "replace CR value", "setPairs CRLF"]) {
      expect(say(what), what).toBe("BAD_ARGUMENT");
    }
    expect(say("after get x-single")).toBe('"one"');
    expect(say("after get x-bad")).toBe("null");
    // Only the probe's deliberate late add (in onResponseHeaders) reached the host; none of the unsafe ones did.
    expect(hostcallResults(host, "proxy_add_header_map_value")).toEqual([Status.BadArgument]);
    expect(hostcallResults(host, "proxy_replace_header_map_value")).toEqual([Status.Ok]); // x-probe-response
    expect(hostcallResults(host, "proxy_set_header_map_pairs")).toEqual([]);
    expect(result.upstream!.headers.some(([name]) => name === "x-injected" || name === "x-bad")).toBe(false);
  });

  test("setPairs refuses more than 1024 pairs instead of letting the host read them as an empty map (F.18; cpp-host limits.h)", () => {
    const { host, result, say } = run("too-many");
    expect(say("setPairs 1025 pairs")).toBe("BAD_ARGUMENT");
    expect(say("after get x-single")).toBe('"one"');
    expect(hostcallResults(host, "proxy_set_header_map_pairs")).toEqual([]);
    expect(result.upstream!.headers).toContainEqual(["x-single", "one"]);
  });
});

describe("non-UTF-8 header bytes", () => {
  test("getBytes and pairsBytes return the exact bytes; get and pairs show U+FFFD, never an ASCII look-alike", () => {
    const { say } = run("binary");
    expect(say("setPairsBytes")).toBe("OK");
    expect(say("binary getBytes")).toBe("ff61c0af");
    expect(say("binary pairsBytes")).toBe("ff61c0af");
    // ff → U+FFFD, 'a', then the overlong "/" (c0 af) → two U+FFFD: never "/".
    expect(say("binary get")).toBe('"\ufffda\ufffd\ufffd"');
    expect(say("binary pairs")).toBe('"\ufffda\ufffd\ufffd"');
    expect(say("setPairsBytes NUL value")).toBe("BAD_ARGUMENT");
  });
});

describe("trailers", () => {
  test("request trailers are readable and writable in onRequestTrailers", () => {
    const { result, say } = run("read", { trailers: [["x-trailer", "t"]] });
    expect(say("request trailers numTrailers")).toBe("1");
    expect(say("request trailer get x-trailer")).toBe('"t"');
    expect(say("request trailer add")).toBe("OK");
    expect(say("request trailers pairs")).toBe("x-trailer=t,x-trailer-added=t");
    expect(result.upstream!.trailers).toContainEqual(["x-trailer-added", "t"]);
  });

  test("response trailers are replaceable in onResponseTrailers", () => {
    const { result, say } = run("read", { upstreamTrailers: [["x-trailer", "up"]] });
    expect(say("response trailer get x-trailer")).toBe('"up"');
    expect(say("response trailer replace")).toBe("OK");
    expect(result.trailers).toContainEqual(["x-trailer", "changed"]);
  });
});

describe("availability windows (F.16)", () => {
  test("request headers in the response phase: get → null (host BAD_ARGUMENT), pairs → empty, byteSize → -1, add refused", () => {
    const { host, result, say } = run("read");
    expect(say("late request get x-single")).toBe("null");
    expect(say("late request pairs")).toBe("0");
    expect(say("late request byteSize")).toBe("-1");
    expect(say("late request add")).toBe("BAD_ARGUMENT");
    expect(hostcallResults(host, "proxy_get_header_map_value")).toContain(Status.BadArgument);
    expect(say("response get :status")).toBe('"200"');
    expect(say("response replace")).toBe("OK");
    expect(result.headers).toContainEqual(["x-probe-response", "seen"]);
  });

  test("onLog reads request and response headers (access-log copies) but not request trailers", () => {
    const { say } = run("read", { trailers: [["x-trailer", "t"]] });
    expect(say("log request get x-single")).toBe('"one"');
    expect(say("log response get :status")).toBe('"200"');
    expect(say("log request trailer get x-trailer")).toBe("null");
  });

  test("a request with no x-probe still logs exactly one line per observation", () => {
    const { result } = run("");
    const lines = reports(result.logs, "headers");
    expect([...lines.values()].every((results) => results.length === 1)).toBe(true);
  });
});
