// Failure like Envoy: a trap fails the VM for good; fail-closed answers one 503 wasm_fail_stream and skips later
// callbacks; fail-open passes traffic; FAIL_RELOAD makes a new VM (host-behaviour.md F.13, F.24; cpp-host
// context.cc CHECK_FAIL, v8.cc getFailMessage; Envoy context.cc failStream, wasm_filter createFilter).
import { expect, test } from "vitest";
import { createHost } from "../../harness";
import { data, proxyModule } from "./support/wat";

/** Traps in on_request_headers when the path is /boom. */
const trapping = proxyModule({
  imports: ["proxy_get_header_map_value"],
  body: `${data({ 16: ":path", 32: "/boom" })}
  (func $explode (unreachable))
  (func $check (param $ctx i32)
    (drop (call $proxy_get_header_map_value (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 2048) (i32.const 2052)))
    (if (i32.eq (i32.load (i32.const 2052)) (i32.const 5)) (then (call $explode))))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32) (call $check (local.get $ctx)) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_log") (param i32))`,
});

test("a trap is reported Envoy-style with the in-VM backtrace from the name section, and the VM stays failed", () => {
  const host = createHost(trapping);
  host.http({ path: "/boom" });
  const [trap] = host.traps();
  expect(trap!.message).toMatch(
    /^Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable\nProxy-Wasm plugin in-VM backtrace:\n  0:  0x[0-9a-f]+ - explode\n  1:  0x[0-9a-f]+ - check\n/,
  );
  expect(host.vm().failState).toBe("RuntimeError");
  expect(host.logs({ source: "envoy", level: "error" }).map((l) => l.message)[0]).toBe(trap!.message);
});

test("fail closed: the trapping request gets one 503 wasm_fail_stream; later requests too, without calling the VM", () => {
  const host = createHost(trapping, { recordCallbacks: true });
  const first = host.http({ path: "/boom" });
  expect([first.status, first.responseCodeDetails, first.body, first.upstream]).toEqual([503, "wasm_fail_stream", "", null]);
  const mark = host.callbacks.length;
  const second = host.http({ path: "/ok" });
  expect([second.status, second.responseCodeDetails]).toEqual([503, "wasm_fail_stream"]);
  expect(host.callbacks.slice(mark)).toEqual([]);
});

test("a gRPC request gets UNAVAILABLE (14) for the failure reply", () => {
  const host = createHost(trapping);
  const res = host.http({ path: "/boom", headers: { "content-type": "application/grpc" }, protocol: "http2" });
  expect(Object.fromEntries(res.headers)["grpc-status"]).toBe("14");
});

test("FAIL_RELOAD: requests within the backoff after the trap fail closed; then a new VM serves them", () => {
  const host = createHost(trapping, { failurePolicy: "FAIL_RELOAD", reloadBackoffMs: 1000 });
  expect(host.http({ path: "/boom" }).status).toBe(503);
  expect(host.http({ path: "/ok" }).status).toBe(503);
  host.advance(999);
  expect(host.http({ path: "/ok" }).status).toBe(503);
  host.advance(1);
  expect(host.http({ path: "/ok" }).status).toBe(200);
  expect(host.vm().label).toBe("worker-0#1");
  expect(host.vm().failState).toBe("Ok");
});

test("fail open: the request whose callback trapped still gets the 503 (observed, Envoy 1.40); later ones skip the plugin", () => {
  const host = createHost(trapping, { failurePolicy: "FAIL_OPEN" });
  expect(host.http({ path: "/boom" }).status).toBe(503);
  const later = host.http({ path: "/ok" });
  expect([later.status, later.upstream?.path, later.contextIds]).toEqual([200, "/ok", [null]]);
});

test("a trap in a response callback after the headers were continued: the reply goes straight to the client (503)", () => {
  const host = createHost(
    proxyModule({
      body: `(func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) unreachable)`,
    }),
  );
  const res = host.http();
  expect([res.status, res.responseCodeDetails]).toEqual([503, "wasm_fail_stream"]);
  expect(res.upstream).not.toBeNull();
});
