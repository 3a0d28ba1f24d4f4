/**
 * Clocks and randomness (assembly/hostcalls/clocks.ts) through probe-lifecycle. Envoy semantics:
 * host-behaviour.md A.3 #3 (proxy_get_current_time_nanoseconds: wall clock), the WASI table (clock_time_get:
 * realtime and monotonic; random_get: at most 64 KiB per call, INVAL above), F.36.
 */

import { expect, test } from "vitest";
import { expectHostcalls, hostcallResults, probeHost, reported } from "../probes.js";

test("currentTimeNanos is the wall clock; monotonicTimeNanos never goes back", () => {
  const host = probeHost("lifecycle", { rootId: "lifecycle" });
  const result = host.http({ path: "/", headers: [["x-probe", "clock"]] });
  expect(reported(result.logs, "lifecycle", "currentTimeNanos after 2020")).toBe("true");
  expect(reported(result.logs, "lifecycle", "monotonic non-decreasing")).toBe("true");
  expect(hostcallResults(host, "clock_time_get")).toEqual([0, 0]); // WASI SUCCESS
  expectHostcalls(host, ["proxy_get_current_time_nanoseconds", "clock_time_get"]);
});

test("fillRandom fills buffers of any size, in chunks of at most 64 KiB (Envoy refuses more per call)", () => {
  const host = probeHost("lifecycle", { rootId: "lifecycle" });
  const result = host.http({ path: "/", headers: [["x-probe", "random"]] });
  expect(reported(result.logs, "lifecycle", "fillRandom")).toBe("true nonzero>8 true");
  expect(reported(result.logs, "lifecycle", "fillRandom 70000 bytes")).toBe("true");
  expect(reported(result.logs, "lifecycle", "empty random")).toBe("true");
  const sizes = host.calls.filter((c) => c.name.endsWith(".random_get")).map((c) => Number(c.args[1]));
  expect(sizes).toEqual([32, 65536, 70000 - 65536]);
  expectHostcalls(host, ["random_get"]);
});
