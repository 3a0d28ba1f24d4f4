/**
 * Context-lifecycle hostcalls (assembly/hostcalls/lifecycle.ts, timers.ts) through probe-lifecycle.
 * Envoy semantics: host-behaviour.md A.3 #4 (tick period per root, 0 cancels), #5 and F.38
 * (proxy_set_effective_context: unknown id → BAD_ARGUMENT), #6 (proxy_done when not pending → NOT_FOUND);
 * cpp-host exports.cc set_effective_context / done.
 */

import { expect, test } from "vitest";
import { Status } from "../../../harness/index.js";
import { expectHostcalls, hostcallResults, probeHost, reported } from "../probes.js";

test("setEffectiveContext accepts live contexts and refuses an unknown id", () => {
  const host = probeHost("lifecycle", { rootId: "lifecycle" });
  const result = host.http({ path: "/", headers: [["x-probe", "effective"]] });
  expect(reported(result.logs, "lifecycle", "setEffectiveContext root")).toBe("OK");
  expect(reported(result.logs, "lifecycle", "setEffectiveContext self")).toBe("OK");
  expect(reported(result.logs, "lifecycle", "setEffectiveContext unknown")).toBe("BAD_ARGUMENT");
  expect(hostcallResults(host, "proxy_set_effective_context")).toEqual([Status.Ok, Status.Ok, Status.BadArgument]);
  expectHostcalls(host, ["proxy_set_effective_context"]);
});

test("setTickPeriod starts and stops the root's timer; done() while not pending is NOT_FOUND", () => {
  const host = probeHost("lifecycle", { rootId: "lifecycle", configuration: "tick" });
  expect(host.tickPeriod()).toBe(1000);
  host.advance(5_000);
  const lines = host.logs().map((r) => r.message);
  expect(lines).toContain("lifecycle: done while not pending = NOT_FOUND");
  expect(lines).toContain("lifecycle: stop ticks = OK");
  // Two ticks on each root context that started the timer: the main thread's and the worker's.
  expect(lines.filter((line) => line.startsWith("lifecycle: onTick"))).toHaveLength(4);
  expect(host.tickPeriod()).toBe(0);
  expect(hostcallResults(host, "proxy_done")).toEqual([Status.NotFound, Status.NotFound]);
  expectHostcalls(host, ["proxy_set_tick_period_milliseconds", "proxy_done"]);
});
