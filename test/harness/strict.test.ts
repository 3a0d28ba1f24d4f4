// Unmodelled hostcalls fail loudly in strict mode; Envoy's capability restriction replaces hostcalls with error
// stubs (style.md P7; host-behaviour.md A.3 "Capability restriction", F.6; cpp-host exports.h _CREATE_*_STUB).
import { expect, test } from "vitest";
import { createHost } from "../../harness";
import { data, proxyModule, RECORDER, slots } from "./support/wat";

const foreign = proxyModule({
  imports: ["proxy_call_foreign_function", "proxy_log"],
  body: `${RECORDER} ${data({ 16: "verify_signature", 48: "no_such_function", 80: "compress", 96: "aaaaaaaaaaaaaaaa" })}
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $r (call $proxy_call_foreign_function (i32.const 48) (i32.const 16) (i32.const 0) (i32.const 0) (i32.const 2048) (i32.const 2052)))
    (call $r (call $proxy_call_foreign_function (i32.const 80) (i32.const 8) (i32.const 96) (i32.const 16) (i32.const 2048) (i32.const 2052)))
    (call $r (i32.load (i32.const 2052)))
    (call $r (call $proxy_call_foreign_function (i32.const 16) (i32.const 16) (i32.const 0) (i32.const 0) (i32.const 2048) (i32.const 2052)))
    (i32.const 0))`,
});

test("an unknown foreign function → NOT_FOUND; compress works (zlib); an Envoy function the harness does not model → UNIMPLEMENTED + a warning", () => {
  const host = createHost(foreign);
  host.http();
  const s = slots(host, 4);
  expect([s[0], s[1], s[3]]).toEqual([1, 0, 12]);
  expect(s[2]).toBeGreaterThan(0);
  expect(host.logs({ level: "warn" }).map((l) => l.message)).toEqual([
    "harness: foreign function verify_signature is not modelled; returning UNIMPLEMENTED",
  ]);
});

test("strict mode: the unmodelled call throws UnimplementedHostcall into the guest, which traps, failing the request closed", () => {
  const host = createHost(foreign, { strict: true });
  const res = host.http();
  expect(res.status).toBe(503);
  expect(host.traps()[0]!.message).toMatch(/Uncaught UnimplementedHostcall: hostcall proxy_call_foreign_function\(verify_signature\) is not modelled/);
});

test("capability restriction: a disallowed hostcall logs Envoy's error and returns INTERNAL_FAILURE (10); disallowed callbacks are never called", () => {
  const host = createHost(
    proxyModule({
      imports: ["proxy_log"],
      body: `${RECORDER} ${data({ 16: "x" })}
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (call $r (call $proxy_log (i32.const 2) (i32.const 16) (i32.const 1))) (i32.const 1))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (call $r (i32.const 99)) (i32.const 0))`,
    }),
    { allowedCapabilities: ["proxy_on_vm_start"] },
  );
  host.http();
  expect(slots(host, 2)).toEqual([10, 0]);
  expect(host.logs({ source: "envoy" }).map((l) => l.message)).toContain("Attempted call to restricted proxy-wasm capability: proxy_log");
});

test("the call log records every hostcall with its arguments, result and context", () => {
  const host = createHost(foreign, { recordCalls: true });
  host.http();
  const names = host.calls.map((c) => c.name);
  expect(names.filter((n) => n === "env.proxy_call_foreign_function")).toHaveLength(3);
  expect(host.calls.find((c) => c.name === "env.proxy_call_foreign_function")).toMatchObject({ result: 1, contextId: 2 });
});
