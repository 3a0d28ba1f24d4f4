// The harness's vitest matchers pass and fail as documented (harness/vitest/matchers.ts).
import { Buffer } from "node:buffer";
import { describe, expect, test } from "vitest";
import { createHost } from "../../../harness";
import { data, proxyModule } from "../support/wat";

const headers = Uint8Array.from([1, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, ...Buffer.from("x-why\0y\0")]);
const plugin = proxyModule({
  imports: ["proxy_log", "proxy_send_local_response", "proxy_get_header_map_value", "proxy_define_metric", "proxy_increment_metric", "proxy_set_property"],
  body: `${data({ 16: "hello there", 32: ":path", 48: "/deny", 64: "access denied", 96: "nope", 112: headers, 160: "hits", 176: "user", 192: "alice" })}
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (drop (call $proxy_define_metric (i32.const 0) (i32.const 160) (i32.const 4) (i32.const 2060))) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $proxy_log (i32.const 2) (i32.const 16) (i32.const 11)))
    (drop (call $proxy_increment_metric (i32.load (i32.const 2060)) (i64.const 1)))
    (drop (call $proxy_set_property (i32.const 176) (i32.const 4) (i32.const 192) (i32.const 5)))
    (drop (call $proxy_get_header_map_value (i32.const 0) (i32.const 32) (i32.const 5) (i32.const 2048) (i32.const 2052)))
    (if (i32.eq (i32.load (i32.const 2052)) (i32.const 5))
      (then (drop (call $proxy_send_local_response (i32.const 403) (i32.const 64) (i32.const 13) (i32.const 96) (i32.const 4)
        (i32.const 112) (i32.const ${headers.length}) (i32.const -1)))))
    (i32.const 0))`,
});

describe("on an http() result", () => {
  const host = createHost(plugin);
  const denied = host.http({ path: "/deny" });
  const allowed = host.http({ path: "/ok", headers: { "x-in": "v" } });

  test("toHaveStatus / toHaveSentLocalResponse / toHaveReachedUpstream", () => {
    expect(denied).toHaveStatus(403);
    expect(denied).toHaveSentLocalResponse(403, { details: "access_denied", body: "nope" });
    expect(denied).not.toHaveReachedUpstream();
    expect(allowed).not.toHaveSentLocalResponse();
    expect(allowed).toHaveReachedUpstream({ path: "/ok", headers: { "x-in": "v", "x-absent": null } });
    expect(() => expect(allowed).toHaveSentLocalResponse()).toThrow(/expected a local reply: the response came from the upstream/);
    expect(() => expect(denied).toHaveSentLocalResponse(401)).toThrow(/status 403, expected 401/);
  });

  test("toHaveHeader on the response and on res.upstream", () => {
    expect(denied).toHaveHeader("X-Why", "y");
    expect(denied).toHaveHeader("content-type", /^text\//);
    expect(denied).not.toHaveHeader("x-nope");
    expect(allowed.upstream).toHaveHeader("x-in", "v");
    expect(() => expect(denied).toHaveHeader("x-why", "z")).toThrow(/expected header x-why = "z"; got "y"/);
  });

  test("toHaveLogged / toHaveCounter / toHaveFilterState", () => {
    expect(denied).toHaveLogged("info", "hello there");
    expect(host).toHaveLogged(/hello/);
    expect(host).not.toHaveLogged("error", /hello/);
    expect(allowed).toHaveCounter("hits", 2);
    expect(host).toHaveCounter("hits");
    expect(allowed).toHaveFilterState("wasm.user", "alice");
    expect(allowed).toHaveFilterState("wasm.other", null);
    expect(() => expect(host).toHaveCounter("hits", 5)).toThrow(/expected counter hits = 5, got 2/);
  });
});

test("toHaveCalledOut and toHaveTrapped read the host", () => {
  const host = createHost(proxyModule({ body: `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) unreachable)` }));
  expect(host).not.toHaveTrapped();
  host.http();
  expect(host).toHaveTrapped(/unreachable/);
  expect(host).not.toHaveCalledOut("authz");
});
