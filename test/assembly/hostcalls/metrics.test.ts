/**
 * Counter, Gauge, Histogram and metricName (assembly/hostcalls/metrics.ts) through probe-metrics.
 * Envoy semantics: host-behaviour.md A.3 #36–39, C.5, F.33 (a new id per define call; counters refuse
 * increments ≤ 0; record sets a gauge; an unknown id is NOT_FOUND); Envoy context.cc defineMetric /
 * incrementMetric / recordMetric / getMetric.
 */

import { expect, test } from "vitest";
import { expectHostcalls, probeHost, reported } from "../probes.js";

test("define in onConfigure: every define call returns a new id bound to the same stat (F.33)", () => {
  const host = probeHost("metrics");
  const messages = host.logs().map((record) => record.message);
  expect(messages).toContain("metrics: ids defined = true");
  expect(messages).toContain("metrics: redefine gives a new id = true");
  expectHostcalls(host, ["proxy_define_metric"]);
});

test("counters increment and read back; an increment of 0 is refused; gauges go up, down and are set (F.33)", () => {
  const host = probeHost("metrics");
  host.http({ path: "/m" });
  const result = host.http({ path: "/m" });
  const say = (what: string): string => reported(result.logs, "metrics", what);
  expect(say("counter increment")).toBe("OK");
  expect(say("counter increment 0")).toBe("BAD_ARGUMENT");
  expect(say("counter get")).toBe("2");
  expect(say("gauge increment 5")).toBe("OK");
  expect(say("gauge increment -2")).toBe("OK");
  expect(say("gauge get")).toBe("45"); // 42 (recorded by the first request) + 5 - 2
  expect(say("gauge get after record")).toBe("42");
  expect(say("histogram record")).toBe("OK");
  expect(say("undefined metric")).toBe("NOT_FOUND");
  expect(host.counter("probe_requests_total")).toBe(2);
  expect(host.gauge("probe_in_flight")).toBe(42);
  expect(host.histogram("probe_request_size")).toEqual([123, 123]);
  expectHostcalls(host, ["proxy_increment_metric", "proxy_record_metric", "proxy_get_metric"]);
});

test("a tagged name follows the stats_tags convention and is an ordinary stat to the host (C.5)", () => {
  const host = probeHost("metrics");
  host.http({ path: "/m" });
  expect(host.counter("method=.=GET;.;status_class=.=2xx;.;probe_tagged_total")).toBe(2);
});
