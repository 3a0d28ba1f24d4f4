/**
 * HTTP callouts (assembly/hostcalls/http-call.ts) and their routing by the dispatcher, through probe-callouts.
 * Envoy semantics: host-behaviour.md A.3 #23–24, F.28 (callouts belong to the root; answers arrive with the
 * root's id; the SDK routes them to the calling context after proxy_set_effective_context and drops answers
 * for deleted contexts), F.29 (failure → (0,0,0) with status 11 "reset"; timeout → 504), F.30 (unknown cluster,
 * missing pseudo-headers → BAD_ARGUMENT); Envoy context.cc httpCall / onHttpCallSuccess / onHttpCallFailure.
 */

import { describe, expect, test } from "vitest";
import { Status } from "../../../harness/index.js";
import { expectHostcalls, hostcallResults, probeHost, reported } from "../probes.js";

const clusters = {
  callout: { respond: { status: 200, headers: { "x-answer": "yes" }, body: "allowed", trailers: { "x-t": "1" } } },
  slow: { respond: { status: 200, body: "late", delayMs: 10_000 } },
  broken: { respond: { reset: true } },
};

function run(action: string, cluster: string, options: { logLevel?: "debug" } = {}) {
  const host = probeHost("callouts", { clusters, recordCallbacks: true, ...options });
  const result = host.http({ path: "/c", headers: [["x-probe", action], ["x-cluster", cluster]] });
  return { host, result, say: (what: string) => reported(result.logs, "callouts", what) };
}

describe("a stream's HTTP call", () => {
  test("is sent with headers, body and timeout; the answer reaches the calling stream, which reads it and resumes", () => {
    const { host, result, say } = run("", "callout");
    expect(say("httpCall")).toBe("OK token set");
    expect(result.callouts).toHaveLength(1);
    expect(result.callouts[0]).toMatchObject({ cluster: "callout", method: "POST", path: "/check", authority: "callout.local", body: "payload", timeoutMs: 5000 });
    expect(result.callouts[0]!.headers).toContainEqual(["x-from", "probe"]);
    // The answer carries content-length (the server frames the body) and the router's x-envoy-upstream-service-time.
    expect(say("stream response")).toMatch(/^token=\d+ headers=4 body=7 trailers=1$/);
    expect(say("stream :status")).toBe('"200"');
    expect(say("stream header names")).toBe(":status,x-answer,content-length,x-envoy-upstream-service-time");
    expect(say("stream body")).toBe('"allowed"');
    expect(say("stream trailers")).toBe("1");
    // The callback ran with the stream as the effective context: its header change and resume applied to it.
    expect(say("add x-callout-status")).toBe("OK");
    expect(say("resumeRequest")).toBe("OK");
    expect(result.upstream!.headers).toContainEqual(["x-callout-status", "200"]);
    expect(hostcallResults(host, "proxy_set_effective_context")).toContain(Status.Ok);
    expectHostcalls(host, ["proxy_http_call", "proxy_set_effective_context", "proxy_get_header_map_pairs", "proxy_get_buffer_bytes"]);
  });

  test("a reset call arrives with 0 headers; getCalloutStatus says 11 \"reset\" (F.29)", () => {
    const { host, result, say } = run("", "broken");
    expect(say("stream response")).toMatch(/headers=0 body=0 trailers=0$/);
    expect(say("stream failure status")).toBe('11 "reset"');
    expect(result.upstream!.headers).toContainEqual(["x-callout-status", "failed"]);
    expectHostcalls(host, ["proxy_get_status"]);
  });

  test("a timeout arrives as a 504 response (F.29)", () => {
    const { result, say } = run("", "slow");
    expect(say("stream :status")).toBe('"504"');
    expect(result.upstream!.headers).toContainEqual(["x-callout-status", "504"]);
  });

  test("an unknown cluster, a missing :path, or a CRLF in a header is refused synchronously (F.30)", () => {
    expect(run("", "no-such-cluster").say("httpCall")).toBe("BAD_ARGUMENT token 0");
    expect(run("no-path", "callout").say("httpCall without :path")).toBe("BAD_ARGUMENT");
    const unsafe = run("unsafe", "callout");
    expect(unsafe.say("httpCall with CRLF")).toBe("BAD_ARGUMENT");
    expect(hostcallResults(unsafe.host, "proxy_http_call")).toEqual([]);
  });
});

describe("routing answers (F.28)", () => {
  test("an answer for a stream that has ended is dropped, not delivered to a dead context", () => {
    const { host, result } = run("fire-and-forget", "slow", { logLevel: "debug" });
    expect(result.status).toBe(200);
    host.advance(20_000); // the 5 s callout timeout fires after the stream is gone
    const delivered = host.callbacks.filter((callback) => callback.name === "proxy_on_http_call_response");
    expect(delivered).toHaveLength(1);
    const messages = host.logs().map((record) => record.message);
    expect(messages.some((line) => line.startsWith("callouts: stream response"))).toBe(false);
    expect(messages.some((line) => line.startsWith("dropping callout response for deleted context "))).toBe(true);
  });

  test("a root context's call is answered on the root", () => {
    const host = probeHost("callouts", { clusters });
    host.http({ path: "/c", headers: [["x-probe", "root"]] });
    host.advance(1_500); // next tick: the root calls; the answer follows
    const messages = host.logs().map((record) => record.message);
    expect(messages).toContain("callouts: root :status = \"200\"");
    expect(messages).toContain("callouts: root body = \"allowed\"");
  });
});
