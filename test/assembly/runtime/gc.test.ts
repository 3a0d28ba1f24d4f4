/**
 * Garbage collection with the minimal runtime (assembly/runtime/gc.ts): the exports collect at the end of a
 * callback when the heap has handed out half of linear memory (at least 64 KiB) since the last collection,
 * or when memory grew. Through probe-gc (test/probes/gc.ts) in the harness. Counts bytes, not time.
 */

import { expect, test } from "vitest";
import { probeHost, reports } from "../probes.js";

const MiB = 1 << 20;

function run(probe: string, kib: number, requests: number, options = {}) {
  const host = probeHost("gc", { ...options, recordCalls: false });
  const request = { path: "/", headers: [["x-probe", probe], ["x-kib", String(kib)]] as Array<[string, string]> };
  const before = host.vm().memoryBytes;
  for (let i = 0; i < requests; i++) host.http(request);
  return { host, before, after: host.vm().memoryBytes };
}

test("garbage is reclaimed between callbacks: 2,000 requests leaving 256 KiB each (500 MiB in all) stay under 8 MiB", () => {
  const { after } = run("garbage", 256, 2_000);
  expect(after).toBeLessThanOrEqual(8 * MiB);
});

test("small garbage settles: after warm-up, 20,000 requests leaving 4 KiB each grow memory by at most one page", () => {
  const host = probeHost("gc", { recordCalls: false });
  const request = { path: "/", headers: [["x-probe", "garbage"], ["x-kib", "4"]] as Array<[string, string]> };
  for (let i = 0; i < 500; i++) host.http(request);
  const before = host.vm().memoryBytes;
  for (let i = 0; i < 20_000; i++) host.http(request);
  expect(host.vm().memoryBytes - before).toBeLessThanOrEqual(64 * 1024);
});

test("what a stream context holds survives the collections at the end of its earlier callbacks", () => {
  const { host } = run("keep", 256, 200);
  const kept = reports(host.logs(), "gc").get("kept") ?? [];
  expect(kept).toHaveLength(200);
  expect(kept.filter((result) => result !== "intact")).toEqual([]);
});

test("a missing free still shows: 2,000 requests each leaking a 4 KiB heap block grow memory by over 6 MiB", () => {
  // The collector frees only managed objects; the SDK frees host blocks explicitly, and the leak tests rely on a
  // forgotten free growing memory like this.
  const { before, after } = run("leak", 4, 2_000);
  expect(after - before).toBeGreaterThan(6 * MiB);
});
