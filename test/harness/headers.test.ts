// Header-map hostcalls with Envoy's semantics (host-behaviour.md A.3 #10–16, F.16–F.19; Envoy context.cc
// getMap/getConstMap/getHeaderMapValue/setHeaderMapPairs/getHeaderMapSize; header_map_impl.cc).
import { Buffer } from "node:buffer";
import { describe, expect, test } from "vitest";
import { createHost, createMultiPluginHost, decodePairs, encodePairs } from "../../harness";
import { data, proxyModule, RECORDER, slots } from "./support/wat";

const HEADER_IMPORTS = [
  "proxy_get_header_map_value",
  "proxy_add_header_map_value",
  "proxy_replace_header_map_value",
  "proxy_remove_header_map_value",
  "proxy_get_header_map_pairs",
  "proxy_set_header_map_pairs",
  "proxy_get_header_map_size",
];

const CONTINUE_ALL = `
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))`;

function module(body: string, strings: Record<number, string | Uint8Array> = {}): Uint8Array {
  return proxyModule({ imports: HEADER_IMPORTS, body: `${RECORDER}\n${data(strings)}\n${body}` });
}

const header = (pairs: Array<[string, string]> | undefined, name: string): string[] =>
  (pairs ?? []).filter(([k]) => k === name).map(([, v]) => v);

describe("writes", () => {
  const host = createHost(
    module(
      `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $r (call $proxy_add_header_map_value (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 32) (i32.const 1)))
        (call $r (call $proxy_add_header_map_value (i32.const 0) (i32.const 64) (i32.const 5) (i32.const 48) (i32.const 1)))
        (call $r (call $proxy_add_header_map_value (i32.const 0) (i32.const 80) (i32.const 12) (i32.const 100) (i32.const 6)))
        (call $r (call $proxy_add_header_map_value (i32.const 0) (i32.const 80) (i32.const 12) (i32.const 120) (i32.const 6)))
        (call $r (call $proxy_replace_header_map_value (i32.const 0) (i32.const 140) (i32.const 5) (i32.const 48) (i32.const 1)))
        (call $r (call $proxy_remove_header_map_value (i32.const 0) (i32.const 160) (i32.const 7)))
        (call $r (call $proxy_add_header_map_value (i32.const 9) (i32.const 16) (i32.const 5) (i32.const 32) (i32.const 1)))
        (i32.const 0))`,
      { 16: "X-Foo", 32: "a", 48: "b", 64: "x-foo", 80: "Content-Type", 100: "text/a", 120: "text/b", 140: "X-Rep", 160: "missing" },
    ),
  );
  const res = host.http({ headers: [["x-rep", "old1"], ["x-other", "o"], ["x-rep", "old2"]] });

  test("add lower-cases the key and appends: repeated headers stay separate entries (A.3 #14)", () => {
    expect(header(res.upstream?.headers, "x-foo")).toEqual(["a", "b"]);
  });

  test("an Envoy inline header (content-type) holds one entry: a second add appends ',value' (header_map_impl insertByKey)", () => {
    expect(header(res.upstream?.headers, "content-type")).toEqual(["text/a,text/b"]);
  });

  test("replace is an upsert: every value goes, one is appended at the end (setCopy)", () => {
    const names = res.upstream!.headers.map(([k]) => k);
    expect(header(res.upstream?.headers, "x-rep")).toEqual(["b"]);
    expect(names.indexOf("x-rep")).toBeGreaterThan(names.indexOf("x-other"));
  });

  test("statuses: OK for writes and for removing an absent key; map type > 7 → BAD_ARGUMENT", () => {
    expect(slots(host, 7)).toEqual([0, 0, 0, 0, 0, 0, 2]);
  });
});

describe("reads", () => {
  const host = createHost(
    module(
      `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $r (call $proxy_get_header_map_value (i32.const 0) (i32.const 16) (i32.const 6) (i32.const 2048) (i32.const 2052)))
        (call $r (i32.load (i32.const 2052)))
        (call $r (i32.load8_u (i32.load (i32.const 2048))))
        (call $r (call $proxy_get_header_map_value (i32.const 0) (i32.const 32) (i32.const 7) (i32.const 2048) (i32.const 2052)))
        (call $r (call $proxy_get_header_map_pairs (i32.const 0) (i32.const 2056) (i32.const 2060)))
        (call $r (call $proxy_get_header_map_size (i32.const 0) (i32.const 2064)))
        (call $r (global.get $allocs))
        (call $r (call $proxy_get_header_map_value (i32.const 0) (i32.const 48) (i32.const 7) (i32.const 2048) (i32.const 2052)))
        (call $r (i32.load (i32.const 2048)))
        (call $r (i32.load (i32.const 2052)))
        (call $r (global.get $allocs))
        (i32.const 0))`,
      { 16: "X-MULT", 32: "missing", 48: "x-empty" },
    ),
  );
  host.http({ headers: [["x-mult", "1"], ["x-mult", "2"], ["x-empty", ""]] });
  const s = slots(host, 11);

  test("get returns only the first value of a repeated header; the key is lower-cased (A.3 #13)", () => {
    expect(s.slice(0, 3)).toEqual([0, 1, "1".charCodeAt(0)]);
  });

  test("a missing header → NOT_FOUND (ABI 0.2.x)", () => {
    expect(s[3]).toBe(1);
  });

  test("pairs list repeated headers separately, and size is Envoy's byte size (Σ key+value, not a count)", () => {
    expect(s[4]).toBe(0);
    const pairs = decodePairs(host.readMemory(host.readU32(2056), host.readU32(2060)));
    expect(pairs.filter(([k]) => k === "x-mult")).toEqual([["x-mult", "1"], ["x-mult", "2"]]);
    expect(s[5]).toBe(0);
    expect(host.readU32(2064)).toBe(pairs.reduce((n, [k, v]) => n + k.length + v.length, 0));
  });

  test("a zero-length value comes back as (0, 0) without calling the allocator (F.19)", () => {
    expect(s.slice(7, 10)).toEqual([0, 0, 0]);
    expect(s[10]).toBe(s[6]);
  });
});

describe("ABI 0.1.0", () => {
  test("a missing header is '' + OK", () => {
    const host = createHost(
      proxyModule({
        abi: "0_1_0",
        imports: ["proxy_get_header_map_value"],
        body: `${RECORDER}${data({ 16: "missing" })}
        (func (export "proxy_on_request_headers") (param i32 i32) (result i32)
          (call $r (call $proxy_get_header_map_value (i32.const 0) (i32.const 16) (i32.const 7) (i32.const 2048) (i32.const 2052)))
          (call $r (i32.load (i32.const 2052))) (i32.const 0))`,
      }),
    );
    host.http();
    expect(slots(host, 2)).toEqual([0, 0]);
  });
});

describe("availability windows (F.16; Envoy context.cc getMap/getConstMap)", () => {
  const host = createHost(
    module(
      `${CONTINUE_ALL}
      (func (export "proxy_on_request_body") (param i32 i32) (param $eos i32) (result i32)
        (if (local.get $eos) (then (return (i32.const 0))))
        (call $r (call $proxy_get_header_map_value (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 2048) (i32.const 2052)))
        (call $r (call $proxy_get_header_map_pairs (i32.const 0) (i32.const 2048) (i32.const 2052)))
        (call $r (i32.load (i32.const 2052)))
        (call $r (call $proxy_get_header_map_size (i32.const 0) (i32.const 2048)))
        (call $r (call $proxy_add_header_map_value (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 16) (i32.const 5)))
        (i32.const 0))
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (call $r (call $proxy_get_header_map_value (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 2048) (i32.const 2052)))
        (call $r (call $proxy_get_header_map_value (i32.const 2) (i32.const 32) (i32.const 7) (i32.const 2048) (i32.const 2052)))
        (call $r (call $proxy_get_header_map_value (i32.const 6) (i32.const 32) (i32.const 7) (i32.const 2048) (i32.const 2052)))
        (i32.const 0))
      (func (export "proxy_on_log") (param i32)
        (call $r (call $proxy_get_header_map_value (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 2048) (i32.const 2052)))
        (call $r (call $proxy_get_header_map_value (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 2048) (i32.const 2052)))
        (call $r (call $proxy_get_header_map_value (i32.const 2) (i32.const 32) (i32.const 7) (i32.const 2048) (i32.const 2052)))
        (call $r (call $proxy_get_header_map_size (i32.const 0) (i32.const 2048)))
        (call $r (call $proxy_add_header_map_value (i32.const 2) (i32.const 16) (i32.const 5) (i32.const 16) (i32.const 5))))`,
      { 16: ":path", 32: ":status", 48: "t" },
    ),
  );
  host.http({ method: "POST", body: "x" });
  const s = slots(host, 13);

  test("after on_request_headers returned Continue the request map is gone: value → BAD_ARGUMENT, pairs → empty + OK, size and writes → BAD_ARGUMENT", () => {
    expect(s.slice(0, 5)).toEqual([2, 0, 0, 2, 2]);
  });

  test("response callbacks cannot see request headers; the HTTP-call response map exists only in its callback", () => {
    expect(s.slice(5, 8)).toEqual([2, 0, 2]);
  });

  test("on_log reads the access-log copies: request and response headers OK, request trailers NOT_FOUND; size and writes BAD_ARGUMENT", () => {
    expect(s.slice(8, 13)).toEqual([0, 1, 0, 2, 2]);
  });
});

describe("set_header_map_pairs (F.18; cpp-host PairsUtil::toPairs)", () => {
  test("replaces the whole map, lower-casing keys (seen by the next filter in the chain)", () => {
    const pairs = Buffer.from([1, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, ...Buffer.from("X-NEW\0v\0")]);
    const setter = module(
      `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $r (call $proxy_set_header_map_pairs (i32.const 0) (i32.const 16) (i32.const ${pairs.length})))
        (i32.const 0))`,
      { 16: pairs },
    );
    const reader = module(
      `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $r (call $proxy_get_header_map_pairs (i32.const 0) (i32.const 2048) (i32.const 2052)))
        (i32.const 0))`,
    );
    const host = createMultiPluginHost({ plugins: [{ wasm: setter, vmId: "a" }, { wasm: reader, vmId: "b" }] });
    host.http({ headers: { "x-old": "1" } });
    expect(slots(host, 1, { plugin: 0 })).toEqual([0]);
    const seen = decodePairs(host.readMemory(host.readU32(2048, { plugin: 1 }), host.readU32(2052, { plugin: 1 }), { plugin: 1 }));
    expect(seen).toEqual([["x-new", "v"]]);
  });

  test("replacing the request headers loses the route: 404 route_not_found (observed with Envoy 1.40, docs/E2E.md)", () => {
    const pairs = encodePairs([[":authority", "example.com"], [":path", "/"], [":method", "GET"]]);
    const host = createHost(
      module(
        `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          (drop (call $proxy_set_header_map_pairs (i32.const 0) (i32.const 16) (i32.const ${pairs.length})))
          (i32.const 0))`,
        { 16: pairs },
      ),
    );
    const res = host.http();
    expect([res.status, res.responseCodeDetails, res.upstream]).toEqual([404, "route_not_found", null]);
  });

  test("malformed bytes are an empty map: every header is removed, status OK", () => {
    const host = createHost(
      module(
        `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          (call $r (call $proxy_set_header_map_pairs (i32.const 0) (i32.const 16) (i32.const 3)))
          (call $r (call $proxy_get_header_map_size (i32.const 0) (i32.const 2048)))
          (call $r (i32.load (i32.const 2048)))
          (i32.const 0))`,
        { 16: "abc" },
      ),
    );
    host.http({ headers: { "x-keep": "1" } });
    expect(slots(host, 3)).toEqual([0, 0, 0]);
  });
});

describe("memory faults (F.39)", () => {
  test("a key pointer or an out-pointer outside memory → INVALID_MEMORY_ACCESS, never a trap", () => {
    const host = createHost(
      module(
        `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          (call $r (call $proxy_get_header_map_value (i32.const 0) (i32.const -65536) (i32.const 4) (i32.const 2048) (i32.const 2052)))
          (call $r (call $proxy_get_header_map_value (i32.const 0) (i32.const 16) (i32.const 5) (i32.const -4) (i32.const 2052)))
          (call $r (call $proxy_get_header_map_pairs (i32.const 0) (i32.const 2048) (i32.const -2)))
          (call $r (call $proxy_add_header_map_value (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 16) (i32.const 100000)))
          (i32.const 0))`,
        { 16: ":path" },
      ),
    );
    const res = host.http();
    expect(slots(host, 4)).toEqual([6, 6, 6, 6]);
    expect(res.status).toBe(200);
    expect(host.vm().failState).toBe("Ok");
  });
});
