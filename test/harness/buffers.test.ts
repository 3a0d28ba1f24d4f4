// Buffers (host-behaviour.md A.3 #7–9, F.10, F.21, F.22; cpp-host exports.cc get_buffer_bytes; Envoy context.cc
// getBuffer/Buffer::copyFrom).
import { expect, test } from "vitest";
import { createHost } from "../../harness";
import { data, proxyModule, RECORDER, slots } from "./support/wat";

const IMPORTS = ["proxy_get_buffer_bytes", "proxy_get_buffer_status", "proxy_set_buffer_bytes"];

test("PLUGIN_CONFIGURATION is readable only while configuring (and in the root's on_context_create); VM_CONFIGURATION always", () => {
  const host = createHost(
    proxyModule({
      imports: IMPORTS,
      body: `${RECORDER}
      (func (export "proxy_on_configure") (param i32) (param $size i32) (result i32)
        (call $r (local.get $size))
        (call $r (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (i32.const 100) (i32.const 2048) (i32.const 2052)))
        (call $r (i32.load (i32.const 2052)))
        (i32.const 1))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $r (call $proxy_get_buffer_bytes (i32.const 7) (i32.const 0) (i32.const 100) (i32.const 2048) (i32.const 2052)))
        (call $r (call $proxy_get_buffer_bytes (i32.const 6) (i32.const 0) (i32.const 100) (i32.const 2048) (i32.const 2052)))
        (call $r (i32.load (i32.const 2052)))
        (call $r (call $proxy_set_buffer_bytes (i32.const 6) (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 1)))
        (call $r (call $proxy_get_buffer_bytes (i32.const 9) (i32.const 0) (i32.const 1) (i32.const 2048) (i32.const 2052)))
        (i32.const 0))`,
    }),
    { configuration: { a: 1 }, vmConfiguration: "vm!" },
  );
  host.http();
  expect(slots(host, 8)).toEqual([7, 0, 7, 1, 0, 3, 2, 2]);
});

test("reads are clamped: start past the end → (0, 0) OK; max_size larger than the rest → the rest", () => {
  const host = createHost(
    proxyModule({
      imports: IMPORTS,
      body: `${RECORDER}
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
        (call $r (call $proxy_get_buffer_bytes (i32.const 6) (i32.const 2) (i32.const 100) (i32.const 2048) (i32.const 2052)))
        (call $r (i32.load (i32.const 2052)))
        (call $r (call $proxy_get_buffer_bytes (i32.const 6) (i32.const 50) (i32.const 100) (i32.const 2048) (i32.const 2052)))
        (call $r (i32.load (i32.const 2048)))
        (call $r (i32.load (i32.const 2052)))
        (i32.const 1))`,
    }),
    { vmConfiguration: "abcdef" },
  );
  expect(slots(host, 5)).toEqual([0, 4, 0, 0, 0]);
});

const bodyModule = proxyModule({
  imports: IMPORTS,
  body: `${RECORDER} ${data({ 16: "<<", 32: ">>", 48: "NEW" })}
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $r (call $proxy_get_buffer_status (i32.const 0) (i32.const 2048) (i32.const 2052)))
    (call $r (i32.load (i32.const 2048)))
    (call $r (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 2)))
    (i32.const 0))
  ;; HTTP/1.1 delivers a one-piece body as the data, then an empty end-of-stream chunk: act on the data only.
  (func (export "proxy_on_request_body") (param i32) (param $size i32) (param $eos i32) (result i32)
    (if (i32.eqz (local.get $eos)) (then
      (call $r (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 2)))
      (call $r (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 100) (i32.const 0) (i32.const 32) (i32.const 2)))
      (call $r (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 3) (i32.const 0) (i32.const 48) (i32.const 3)))))
    (i32.const 0))
  (func (export "proxy_on_response_body") (param i32) (param $size i32) (param $eos i32) (result i32)
    (if (i32.eqz (local.get $eos)) (then
      (call $r (call $proxy_set_buffer_bytes (i32.const 1) (i32.const 0) (local.get $size) (i32.const 48) (i32.const 3)))))
    (i32.const 0))`,
});

test("a body changed without fixing content-length: the HTTP/2 upstream refuses it, the router answers 502 protocol_error", () => {
  const host = createHost(bodyModule);
  const res = host.http({ method: "POST", body: "body" });
  expect(res.status).toBe(502);
  expect(res.responseCodeDetails).toBe("upstream_reset_before_response_started{protocol_error}");
  expect(res.body).toBe("upstream connect error or disconnect/reset before headers. reset reason: protocol error");
  // The headers reached the upstream; the over-long DATA did not.
  expect(res.upstream).toMatchObject({ method: "POST", body: "" });
});

test("set_buffer_bytes: start 0 prepends (after draining `size`), start ≥ length appends, anything else → BAD_ARGUMENT (F.21)", () => {
  const host = createHost(bodyModule);
  // Chunked: no content-length for the (HTTP/2) upstream to check the longer body against.
  const res = host.http({ method: "POST", body: "body", headers: [["transfer-encoding", "chunked"]] });
  expect(slots(host, 6).slice(3)).toEqual([0, 0, 2]);
  expect(res.upstream?.body).toBe("<<body>>");
  // start 0 + size = whole length replaces (plugins must fix content-length themselves: istio #30213).
  expect(res.body).toBe("NEW");
});

test("Envoy quirk: outside its callback the request body is an empty buffer (OK, length 0), not NOT_FOUND — and cannot be written", () => {
  const host = createHost(bodyModule);
  host.http({ method: "POST", body: "body" });
  expect(slots(host, 3)).toEqual([0, 0, 2]);
});

test("the HTTP-call response body (type 4) exists only inside on_http_call_response → NOT_FOUND elsewhere (F.22)", () => {
  const host = createHost(
    proxyModule({
      imports: IMPORTS,
      body: `${RECORDER}
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
        (call $r (call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (i32.const 10) (i32.const 2048) (i32.const 2052))) (i32.const 1))`,
    }),
  );
  expect(slots(host, 1)).toEqual([1]);
});
