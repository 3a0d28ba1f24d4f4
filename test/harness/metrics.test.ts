// Metrics with Envoy's semantics (host-behaviour.md A.3 #36–39, F.33, C.5; cpp-host wasm.h metric ids; Envoy
// context.cc defineMetric/incrementMetric/recordMetric/getMetric).
import { expect, test } from "vitest";
import { createHost } from "../../harness";
import { data, proxyModule, RECORDER, slots } from "./support/wat";

const mod = proxyModule({
  imports: ["proxy_define_metric", "proxy_increment_metric", "proxy_record_metric", "proxy_get_metric"],
  body: `${RECORDER} ${data({ 16: "requests_total", 48: "in_flight", 80: "latency_ms" })}
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (call $r (call $proxy_define_metric (i32.const 0) (i32.const 16) (i32.const 14) (i32.const 2048)))
    (call $r (i32.load (i32.const 2048)))
    (call $r (call $proxy_define_metric (i32.const 1) (i32.const 48) (i32.const 9) (i32.const 2048)))
    (call $r (i32.load (i32.const 2048)))
    (call $r (call $proxy_define_metric (i32.const 2) (i32.const 80) (i32.const 10) (i32.const 2048)))
    (call $r (i32.load (i32.const 2048)))
    (call $r (call $proxy_define_metric (i32.const 0) (i32.const 16) (i32.const 14) (i32.const 2048)))
    (call $r (i32.load (i32.const 2048)))
    (call $r (call $proxy_define_metric (i32.const 3) (i32.const 16) (i32.const 14) (i32.const 2048)))
    ;; counter: +1 ok, 0 and -1 rejected, record adds
    (call $r (call $proxy_increment_metric (i32.const 4) (i64.const 1)))
    (call $r (call $proxy_increment_metric (i32.const 4) (i64.const 0)))
    (call $r (call $proxy_increment_metric (i32.const 4) (i64.const -1)))
    (call $r (call $proxy_record_metric (i32.const 4) (i64.const 10)))
    (call $r (call $proxy_increment_metric (i32.const 8) (i64.const 1)))
    (call $r (call $proxy_get_metric (i32.const 4) (i32.const 2056)))
    (call $r (i32.load (i32.const 2056)))
    ;; gauge: +5, -2, record sets 7
    (call $r (call $proxy_increment_metric (i32.const 5) (i64.const 5)))
    (call $r (call $proxy_increment_metric (i32.const 5) (i64.const -2)))
    (call $r (call $proxy_get_metric (i32.const 5) (i32.const 2056)))
    (call $r (i32.load (i32.const 2056)))
    ;; histogram: record ok, increment and get rejected; unknown ids NOT_FOUND
    (call $r (call $proxy_record_metric (i32.const 6) (i64.const 42)))
    (call $r (call $proxy_increment_metric (i32.const 6) (i64.const 1)))
    (call $r (call $proxy_get_metric (i32.const 6) (i32.const 2056)))
    (call $r (call $proxy_increment_metric (i32.const 400) (i64.const 1)))
    (call $r (call $proxy_record_metric (i32.const 401) (i64.const 1)))
    (call $r (call $proxy_get_metric (i32.const 400) (i32.const 2056)))
    (i32.const 1))`,
});

test("ids carry the type in the low 2 bits (counter 4, gauge 5, histogram 6) and every define gets a new id", () => {
  const host = createHost(mod);
  expect(slots(host, 9)).toEqual([0, 4, 0, 5, 0, 6, 0, 8, 2]);
});

test("counter: increments ≤ 0 → BAD_ARGUMENT; record ADDS; a second id of the same name is the same stat", () => {
  const host = createHost(mod);
  // The canary's and the main thread's on_vm_start ran the same code first: the stat is shared (12 × 3).
  expect(slots(host, 16).slice(9, 16)).toEqual([0, 2, 2, 0, 0, 0, 36]);
});

test("gauge adds and subtracts; histogram records but cannot be incremented or read; unknown ids NOT_FOUND", () => {
  const host = createHost(mod);
  expect(slots(host, 26).slice(16)).toEqual([0, 0, 0, 9, 0, 2, 2, 1, 1, 1]);
  expect(host.histogram("latency_ms")).toEqual([42, 42, 42]);
});

test("stats are process-wide by name (wasmcustom.<name>, shown without the prefix); every VM defines its own ids", () => {
  const host = createHost(mod, { workers: 2 });
  // Canary, main thread and two workers each ran on_vm_start: +1 +10 +1 per VM.
  expect(host.counter("requests_total")).toBe(48);
  expect(host.gauge("in_flight")).toBe(12);
  expect(host.metrics().map((m) => `${m.type}:${m.name}`).sort()).toEqual(["counter:requests_total", "gauge:in_flight", "histogram:latency_ms"]);
});
