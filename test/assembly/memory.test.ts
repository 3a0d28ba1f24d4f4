/**
 * The SDK frees every block the host hands it (assembly/abi/memory.ts: copy, then free in the same wrapper,
 * error paths included): thousands of requests through the probes that read and write the most host
 * memory — header values and pairs (present, absent, out of window), bodies, properties, callouts — leave
 * linear memory within one 64 KiB page of its warmed-up size. Counts bytes, not time.
 */

import { describe, expect, test } from "vitest";
import type { HttpRequest } from "../../harness/index.js";
import { probeHost } from "./probes.js";

const WARM_UP = 200;
const REQUESTS = 5_000;

function growth(probe: string, request: HttpRequest, options = {}): number {
  const host = probeHost(probe, { ...options, recordCalls: false });
  for (let i = 0; i < WARM_UP; i++) host.http(request);
  const before = host.vm().memoryBytes;
  for (let i = 0; i < REQUESTS; i++) host.http(request);
  return host.vm().memoryBytes - before;
}

describe(`${REQUESTS} requests after warm-up grow linear memory by at most one page`, () => {
  test.each([
    ["headers (reads, absent values, out-of-window reads, mutations)", "headers", { path: "/", headers: [["x-single", "1"], ["x-multi", "a"], ["x-multi", "b"], ["x-probe", "mutate"]] }],
    ["headers (raw bytes)", "headers", { path: "/", headers: [["x-probe", "binary"]] }],
    ["body (buffering, reads, replace)", "body", { method: "POST", path: "/", headers: [["x-probe", "replace"]], body: ["hello ", "world"] }],
    ["properties (typed reads, NOT_FOUND, filter state)", "properties", { path: "/p", headers: [["x-multi", "a"]] }],
  ] as Array<[string, string, HttpRequest]>)("%s", (_name, probe, request) => {
    expect(growth(probe, request)).toBeLessThanOrEqual(64 * 1024);
  });

  test("callouts (token bookkeeping, response buffers)", () => {
    const clusters = { callout: { respond: { status: 200, headers: { "x-answer": "yes" }, body: "allowed" } } };
    expect(growth("callouts", { path: "/c", headers: [["x-cluster", "callout"]] }, { clusters })).toBeLessThanOrEqual(64 * 1024);
  });
});
