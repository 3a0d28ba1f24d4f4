// Guest memory reached only through memory.buffer and the guest allocator: growth during a hostcall, a failing
// allocator, faults (host-behaviour.md A.2 "Memory hand-off", F.39; cpp-host wasm.h allocMemory/copyToPointerSize).
import { expect, test } from "vitest";
import { createHost } from "../../harness";
import { data, proxyModule, RECORDER, slots } from "./support/wat";

test("the allocator may grow memory mid-hostcall; the host re-reads memory.buffer and the value lands intact", () => {
  const host = createHost(
    proxyModule({
      imports: ["proxy_get_buffer_bytes"],
      body: `${RECORDER}
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
        (global.set $heap (i32.const 65530))
        (call $r (call $proxy_get_buffer_bytes (i32.const 6) (i32.const 0) (i32.const 200000) (i32.const 2048) (i32.const 2052)))
        (call $r (i32.load (i32.const 2048)))
        (call $r (i32.load (i32.const 2052)))
        (call $r (memory.size))
        (i32.const 1))`,
    }),
    { vmConfiguration: "x".repeat(150_000) },
  );
  expect(slots(host, 4)).toEqual([0, 65530, 150_000, 4]);
  expect(host.readMemory(65530 + 149_990, 10).toString()).toBe("x".repeat(10));
  expect(host.vm().memoryBytes).toBe(4 * 65536);
});

test("an allocator that returns 0 makes the hostcall return INVALID_MEMORY_ACCESS", () => {
  const host = createHost(
    proxyModule({
      allocator: null,
      imports: ["proxy_get_buffer_bytes"],
      body: `${RECORDER}
      (func (export "malloc") (param i32) (result i32) (i32.const 0))
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
        (call $r (call $proxy_get_buffer_bytes (i32.const 6) (i32.const 0) (i32.const 10) (i32.const 2048) (i32.const 2052)))
        (i32.const 1))`,
    }),
    { vmConfiguration: "abc" },
  );
  expect(slots(host, 1)).toEqual([6]);
});

test("a hostcall inside the allocator other than logging/clock traps (restricted_callback)", () => {
  const host = createHost(
    proxyModule({
      allocator: null,
      imports: ["proxy_get_buffer_bytes", "proxy_set_tick_period_milliseconds"],
      body: `${RECORDER}
      (func (export "malloc") (param $n i32) (result i32) (drop (call $proxy_set_tick_period_milliseconds (i32.const 1))) (call $alloc (local.get $n)))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $r (call $proxy_get_buffer_bytes (i32.const 6) (i32.const 0) (i32.const 10) (i32.const 2048) (i32.const 2052)))
        (i32.const 0))`,
    }),
    { vmConfiguration: "abc" },
  );
  const res = host.http();
  expect(res.status).toBe(503);
  expect(host.traps()[0]!.functionName).toBe("malloc");
});

test("proxy_set_effective_context: an unknown id → BAD_ARGUMENT; the override lasts one top-level call", () => {
  const host = createHost(
    proxyModule({
      imports: ["proxy_set_effective_context", "proxy_log"],
      body: `${RECORDER} ${data({ 16: "as root?" })}
      (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32)
        (call $r (call $proxy_set_effective_context (i32.const 77)))
        (call $r (call $proxy_set_effective_context (i32.const 1)))
        (drop (call $proxy_log (i32.const 2) (i32.const 16) (i32.const 8)))
        (i32.const 0))
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (drop (call $proxy_log (i32.const 2) (i32.const 16) (i32.const 8))) (i32.const 0))`,
    }),
    { name: "p", rootId: "r" },
  );
  host.http();
  expect(slots(host, 2)).toEqual([2, 0]);
  // The first line is logged as the root (id 1, root prefix); the next callback is back on the stream.
  expect(host.logs().map((l) => [l.contextId, l.prefix])).toEqual([[1, " r"], [2, " p r"]]);
});
