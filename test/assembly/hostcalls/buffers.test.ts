/**
 * Body (assembly/hostcalls/buffers.ts) on HTTP bodies through probe-body in the harness.
 * Envoy semantics: host-behaviour.md A.3 #7–9, F.20 (buffering, cumulative size), F.21 (set_buffer_bytes forms);
 * Envoy context.cc getBuffer (an empty buffer outside the body's window — not NOT_FOUND as F.22 says) and
 * Buffer::copyFrom; cpp-host exports.cc get_buffer_bytes (range clamping, (0, 0) for empty results).
 */

import { describe, expect, test } from "vitest";
import { Status } from "../../../harness/index.js";
import { expectHostcalls, hostcallResults, probeHost, reported, reports } from "../probes.js";

function run(action: string) {
  const host = probeHost("body");
  const result = host.http({ method: "POST", path: "/body", headers: [["x-probe", action]], body: ["hello ", "world"] });
  return { host, result, say: (what: string) => reported(result.logs, "body", what) };
}

describe("reading a buffered request body", () => {
  test("Pause buffers: each callback gets the cumulative size; the last one reads the whole body (F.20)", () => {
    const { host, result, say } = run("read");
    expect(reported(result.logs, "body", "request read")).toBe('"hello world"');
    expect(say("request size")).toBe("11");
    expect(result.logs.filter((l) => l.message.startsWith("body: request chunk = ")).map((l) => l.message)).toEqual([
      "body: request chunk = 6",
      "body: request chunk = 11",
      // Envoy's HTTP/1 codec ends the body with an empty end-of-stream call (observed on Envoy 1.40).
      "body: request chunk = 11 eos",
    ]);
    expect(result.upstream!.body).toBe("hello world");
    expectHostcalls(host, ["proxy_get_buffer_status", "proxy_get_buffer_bytes"]);
  });

  test("ranges are clamped by the host: a start past the end gives empty bytes, never an error or a trap", () => {
    const { say } = run("range");
    expect(say("read(2, 3)")).toBe('"llo"');
    expect(say("read(2)")).toBe('"llo world"');
    expect(say("read past end")).toBe("");
    expect(say("read max start")).toBe("");
  });

  test("outside its window the body reads as empty (Envoy context.cc getBuffer hands out an empty buffer)", () => {
    const { result, say } = run("read");
    expect(say("headers-phase size")).toBe("0");
    expect(say("headers-phase read")).toBe("");
    // Read in each response body callback (the data, then the empty end-of-stream call).
    expect(reports(result.logs, "body").get("late request read")).toEqual(["", ""]);
  });
});

describe("changing a request body: Envoy's three set_buffer_bytes forms (F.21)", () => {
  test.each([
    ["replace", "replaced body"],
    ["prepend", ">>hello world"],
    ["append", "hello world<<"],
  ])("%s", (action, expected) => {
    const { host, result, say } = run(action);
    expect(say(action)).toBe("OK");
    expect(say("after")).toBe(`"${expected}"`);
    expect(result.upstream!.body).toBe(expected);
    // The probe removed content-length, as a body-changing filter must (istio #30213).
    expect(result.upstream!.headers.some(([name]) => name === "content-length")).toBe(false);
    expect(hostcallResults(host, "proxy_set_buffer_bytes")).toEqual([Status.Ok]);
    expectHostcalls(host, ["proxy_set_buffer_bytes"]);
  });
});

describe("response body", () => {
  test("buffered and replaced in onResponseBody; the client gets the new body", () => {
    const { result, say } = run("response");
    expect(say("response read")).toBe('"hello world"');
    expect(say("response replace")).toBe("OK");
    expect(result.body).toBe("new response");
  });
});
