// Shared data and queues (host-behaviour.md A.3 #30–35, F.31, F.32; cpp-host shared_data.cc, shared_queue.cc).
import { expect, test } from "vitest";
import { createHost, createMultiPluginHost } from "../../harness";
import { data, proxyModule, RECORDER, slots } from "./support/wat";

test("CAS: 0 forces; a matching cas writes; a stale cas → CAS_MISMATCH; a non-zero cas on a missing key succeeds", () => {
  const host = createHost(
    proxyModule({
      imports: ["proxy_get_shared_data", "proxy_set_shared_data"],
      body: `${RECORDER} ${data({ 16: "k", 32: "v1", 48: "v2", 64: "new" })}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (local $cas i32)
        (call $r (call $proxy_get_shared_data (i32.const 16) (i32.const 1) (i32.const 2048) (i32.const 2052) (i32.const 2056)))
        (call $r (call $proxy_set_shared_data (i32.const 16) (i32.const 1) (i32.const 32) (i32.const 2) (i32.const 0)))
        (call $r (call $proxy_get_shared_data (i32.const 16) (i32.const 1) (i32.const 2048) (i32.const 2052) (i32.const 2056)))
        (local.set $cas (i32.load (i32.const 2056)))
        (call $r (local.get $cas))
        (call $r (call $proxy_set_shared_data (i32.const 16) (i32.const 1) (i32.const 48) (i32.const 2) (local.get $cas)))
        (call $r (call $proxy_set_shared_data (i32.const 16) (i32.const 1) (i32.const 32) (i32.const 2) (local.get $cas)))
        (call $r (call $proxy_set_shared_data (i32.const 64) (i32.const 3) (i32.const 32) (i32.const 2) (i32.const 12345)))
        (i32.const 0))`,
    }),
  );
  host.http();
  const s = slots(host, 7);
  expect([s[0], s[1], s[2], s[4], s[5], s[6]]).toEqual([1, 0, 0, 0, 8, 0]);
  expect(s[3]).toBeGreaterThan(0);
  expect(host.sharedData("k")?.value).toBe("v2");
  expect(host.sharedData("new")?.value).toBe("v1");
});

test("shared data is per vm_id: another vm_id does not see it", () => {
  const writer = proxyModule({
    imports: ["proxy_set_shared_data"],
    body: `${data({ 16: "k", 32: "v" })}
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (drop (call $proxy_set_shared_data (i32.const 16) (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 0))) (i32.const 1))`,
  });
  const host = createMultiPluginHost({ plugins: [{ wasm: writer, vmId: "one" }] });
  expect(host.sharedData("k", "one")?.value).toBe("v");
  expect(host.sharedData("k", "two")).toBeUndefined();
});

const queueModule = proxyModule({
  imports: ["proxy_register_shared_queue", "proxy_resolve_shared_queue", "proxy_enqueue_shared_queue", "proxy_dequeue_shared_queue"],
  body: `${RECORDER} ${data({ 16: "q", 32: "item", 48: "other" })}
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (call $r (call $proxy_register_shared_queue (i32.const 16) (i32.const 1) (i32.const 2048)))
    (call $r (i32.load (i32.const 2048)))
    (call $r (call $proxy_resolve_shared_queue (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 2052)))
    (call $r (i32.load (i32.const 2052)))
    (call $r (call $proxy_resolve_shared_queue (i32.const 0) (i32.const 0) (i32.const 48) (i32.const 5) (i32.const 2052)))
    (call $r (call $proxy_dequeue_shared_queue (i32.load (i32.const 2048)) (i32.const 2056) (i32.const 2060)))
    (call $r (call $proxy_dequeue_shared_queue (i32.const 999) (i32.const 2056) (i32.const 2060)))
    (call $r (call $proxy_enqueue_shared_queue (i32.const 999) (i32.const 32) (i32.const 4)))
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $r (call $proxy_enqueue_shared_queue (i32.load (i32.const 2048)) (i32.const 32) (i32.const 4)))
    (call $r (i32.const 500))
    (i32.const 0))
  (func (export "proxy_on_queue_ready") (param $root i32) (param $token i32)
    (call $r (local.get $root)) (call $r (local.get $token))
    (call $r (call $proxy_dequeue_shared_queue (local.get $token) (i32.const 2056) (i32.const 2060)))
    (call $r (i32.load (i32.const 2060))))`,
});

test("register gives a stable token per (vm_id, name) from 1; resolve finds it; unknown → NOT_FOUND; empty → EMPTY", () => {
  const host = createHost(queueModule);
  expect(slots(host, 8)).toEqual([0, 1, 0, 1, 1, 7, 1, 1]);
});

test("enqueue notifies the registrant's root asynchronously: after the current call, never inside it (F.32)", () => {
  const host = createHost(queueModule);
  host.http();
  expect(slots(host, 14).slice(8)).toEqual([0, 500, 1, 1, 0, 4]);
});

test("a test can enqueue as another plugin would", () => {
  const host = createHost(queueModule);
  host.enqueue("q", "from-test");
  expect(slots(host, 12).slice(8)).toEqual([0, 0, 0, 0]);
  host.runUntilIdle();
  expect(slots(host, 12).slice(8)).toEqual([1, 1, 0, 9]);
});
