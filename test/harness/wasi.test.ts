// Envoy's WASI subset (host-behaviour.md A.3 "WASI functions", F.36; cpp-host exports.cc wasi_unstable_*).
import { expect, test } from "vitest";
import { createHost } from "../../harness";
import { proxyModule, RECORDER, slots } from "./support/wat";

const mod = proxyModule({
  imports: ["environ_sizes_get", "environ_get", "clock_time_get", "random_get"],
  body: `${RECORDER}
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (call $r (call $environ_sizes_get (i32.const 2048) (i32.const 2052)))
    (call $r (i32.load (i32.const 2048)))
    (call $r (i32.load (i32.const 2052)))
    (call $r (call $environ_get (i32.const 2100) (i32.const 2200)))
    (call $r (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 2056)))
    (call $r (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 2064)))
    (call $r (call $clock_time_get (i32.const 2) (i64.const 1) (i32.const 2064)))
    (call $r (call $random_get (i32.const 2300) (i32.const 16)))
    (call $r (call $random_get (i32.const 2300) (i32.const 65537)))
    (call $r (call $random_get (i32.const -1) (i32.const 16)))
    (i32.const 1))`,
});

test("environ holds only vm_config.environment_variables, as KEY=VALUE\\0 strings", () => {
  const host = createHost(mod, { environment: { A: "1", BB: "two" } });
  expect(slots(host, 4)).toEqual([0, 2, 11, 0]);
  expect(host.readMemory(2200, 11).toString("latin1")).toBe("A=1\0BB=two\0");
  expect(host.readU32(2100)).toBe(2200);
  expect(host.readU32(2104)).toBe(2204);
});

test("clocks: realtime and monotonic from the fake clock; any other id → NOTSUP (58)", () => {
  const host = createHost(mod, { wallStartMs: 5000 });
  expect(slots(host, 7).slice(4)).toEqual([0, 0, 58]);
  expect(host.readMemory(2056, 8).readBigUInt64LE(0)).toBe(5000n * 1_000_000n);
  // The steady clock counts from boot (never 0): fake time 0 reads as one hour of uptime.
  expect(host.readMemory(2064, 8).readBigUInt64LE(0)).toBe(3_600_000n * 1_000_000n);
});

test("random_get: ≤ 64 KiB (else INVAL 28), a bad pointer → FAULT 21; deterministic under a seed", () => {
  const a = createHost(mod, { randomSeed: 7 });
  const b = createHost(mod, { randomSeed: 7 });
  expect(slots(a, 10).slice(7)).toEqual([0, 28, 21]);
  expect(a.readMemory(2300, 16)).toEqual(b.readMemory(2300, 16));
  expect(a.readMemory(2300, 16).some((x) => x !== 0)).toBe(true);
});
