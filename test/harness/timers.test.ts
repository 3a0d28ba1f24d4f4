// Tick timers and time (host-behaviour.md A.3 #3–4, F.34; Envoy wasm.cc setTimerPeriod/tickHandler).
import { expect, test } from "vitest";
import { createHost } from "../../harness";
import { proxyModule, RECORDER, slots } from "./support/wat";

const tick = proxyModule({
  imports: ["proxy_set_tick_period_milliseconds", "proxy_get_current_time_nanoseconds"],
  body: `${RECORDER}
  (global $ticks (mut i32) (i32.const 0))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (drop (call $proxy_set_tick_period_milliseconds (i32.const 100))) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $proxy_set_tick_period_milliseconds (i32.const 0))) (i32.const 0))
  (func (export "proxy_on_tick") (param $root i32)
    (global.set $ticks (i32.add (global.get $ticks) (i32.const 1)))
    (i32.store (i32.const 1024) (global.get $ticks))
    (i32.store (i32.const 1028) (local.get $root))
    (drop (call $proxy_get_current_time_nanoseconds (i32.const 1032))))`,
});

test("on_tick(root) fires every period on the fake clock and is re-armed after each tick", () => {
  const host = createHost(tick, { wallStartMs: 1_000_000 });
  host.advance(99);
  expect(slots(host, 1)).toEqual([0]);
  host.advance(1);
  expect(slots(host, 2)).toEqual([1, 1]);
  host.advance(250);
  expect(slots(host, 1)).toEqual([3]);
  expect(host.readMemory(1032, 8).readBigUInt64LE(0)).toBe(BigInt(1_000_000 + 300) * 1_000_000n);
  expect(host.tickPeriod()).toBe(100);
});

test("a stream context sets its root's timer; 0 cancels it", () => {
  const host = createHost(tick);
  host.http();
  host.advance(1000);
  expect(slots(host, 1)).toEqual([0]);
  expect(host.tickPeriod()).toBe(0);
});

test("the canary's timer dies with it; each worker's root has its own", () => {
  const host = createHost(tick, { workers: 2 });
  host.advance(100);
  expect([slots(host, 1, { worker: 0 }), slots(host, 1, { worker: 1 })]).toEqual([[1], [1]]);
});
