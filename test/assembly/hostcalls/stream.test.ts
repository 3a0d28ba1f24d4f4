/**
 * Flow control and local responses (assembly/hostcalls/stream.ts, HttpContext.resumeRequest, closeStream,
 * sendLocalResponse) through probe-stream in the harness.
 * Envoy semantics: host-behaviour.md A.3 #17, #18, #20; F.14 (Pause on headers), F.15 (local replies: deferred,
 * details whitespace → `_`, back through this plugin's response callbacks), F.23 (deferred actions); Envoy
 * context.cc sendLocalResponse / continueStream / closeStream; cpp-host exports.cc continue_stream.
 */

import { describe, expect, test } from "vitest";
import { Status } from "../../../harness/index.js";
import { expectHostcalls, hostcallResults, probeHost, reported } from "../probes.js";

function run(action: string, options: { allowOnHeadersStopIteration?: boolean } = {}) {
  const host = probeHost("stream", options);
  const result = host.http({ method: "POST", path: "/stream", headers: [["x-probe", action]], body: "data" });
  return { host, result, say: (what: string) => reported(result.logs, "stream", what) };
}

describe("sendLocalResponse", () => {
  test("answers with status, headers and body; the upstream is never reached; details get '_' for whitespace (F.15)", () => {
    const { host, result, say } = run("local");
    expect(say("sendLocalResponse")).toBe("OK");
    expect(result.status).toBe(403);
    expect(result.body).toBe("denied by probe");
    expect(result.headers).toContainEqual(["x-probe-local", "1"]);
    expect(result.responseCodeDetails).toBe("probe_denied");
    expect(result.upstream).toBeNull();
    // The local reply travels back through this plugin's onResponseHeaders.
    expect(say("response :status")).toBe("403");
    expectHostcalls(host, ["proxy_send_local_response"]);
  });

  test("a gRPC status becomes grpc-status for a gRPC request", () => {
    const host = probeHost("stream");
    const result = host.http({
      method: "POST",
      path: "/pkg.Service/Method",
      protocol: "http2",
      headers: [["x-probe", "local-grpc"], ["content-type", "application/grpc"], ["te", "trailers"]],
      body: "data",
    });
    expect(reported(result.logs, "stream", "sendLocalResponse grpc")).toBe("OK");
    expect(result.headers).toContainEqual(["grpc-status", "7"]);
    expect(result.upstream).toBeNull();
  });

  test("a header with CRLF is refused before reaching the host; the request goes on untouched", () => {
    const { host, result, say } = run("local-unsafe");
    expect(say("sendLocalResponse unsafe header")).toBe("BAD_ARGUMENT");
    expect(hostcallResults(host, "proxy_send_local_response")).toEqual([]);
    expect(result.status).toBe(200);
    expect(result.headers.some(([name]) => name === "set-cookie" || name === "x-bad")).toBe(false);
  });

  test("from onResponseHeaders it replaces the upstream response", () => {
    const { result, say } = run("local-on-response");
    expect(say("sendLocalResponse on response")).toBe("OK");
    expect(result.status).toBe(502);
    expect(result.body).toBe("replaced");
    expect(result.responseCodeDetails).toBe("replaced_upstream");
  });
});

describe("pause, resume and close", () => {
  test("Pause on request headers then resumeRequest from the body callback (allow_on_headers_stop_iteration, F.14)", () => {
    const { host, result, say } = run("pause", { allowOnHeadersStopIteration: true });
    expect(say("pause headers")).toBe("Pause");
    expect(say("resumeRequest")).toBe("OK");
    expect(result.status).toBe(200);
    expect(result.upstream).not.toBeNull();
    expectHostcalls(host, ["proxy_continue_stream"]);
  });

  test("without allow_on_headers_stop_iteration, Pause on headers also stops the body callbacks (StopAllIterationAndWatermark, F.14)", () => {
    const host = probeHost("stream");
    const stream = host.stream({ method: "POST", path: "/stream", headers: [["x-probe", "pause"]], body: "data" });
    stream.sendRequest();
    stream.drain(1_000);
    const logs = host.logs().map((record) => record.message);
    expect(logs).toContain("stream: pause headers = Pause");
    expect(logs.some((line) => line.startsWith("stream: resumeRequest"))).toBe(false);
  });

  test("closeStream(HttpRequest) resets the stream with details wasm_close_stream", () => {
    const { host, result, say } = run("close-request");
    expect(say("closeStream request")).toBe("OK");
    expect(result.reset).toBe(true);
    expect(result.responseCodeDetails).toBe("wasm_close_stream");
    expect(result.upstream).toBeNull();
    expectHostcalls(host, ["proxy_close_stream"]);
  });

  test("closeStream(HttpResponse) from onResponseHeaders resets the response", () => {
    const { result, say } = run("close-response");
    expect(say("closeStream response")).toBe("OK");
    expect(result.reset).toBe(true);
  });

  test("an unknown stream type is BAD_ARGUMENT for continue and close (cpp-host checks type > UPSTREAM)", () => {
    const { host, say } = run("bad-stream-type");
    expect(say("continueStream 7")).toBe("BAD_ARGUMENT");
    expect(say("closeStream 7")).toBe("BAD_ARGUMENT");
    expect(hostcallResults(host, "proxy_continue_stream")).toEqual([Status.BadArgument]);
  });
});
