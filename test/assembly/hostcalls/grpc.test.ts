/**
 * gRPC callouts (assembly/hostcalls/grpc.ts) and their routing, through probe-grpc in the harness.
 * Envoy semantics: host-behaviour.md A.3 #25–29 (tokens, PARSE_FAILURE for an unknown cluster, send/cancel/close
 * statuses), B (the four gRPC callbacks arrive with the root's id), F.28 (routing to the calling context);
 * Envoy context.cc grpcCall / grpcStream / onGrpcReceiveWrapper (a unary call's success is its last callback) /
 * onGrpcCloseWrapper.
 */

import { describe, expect, test } from "vitest";
import { Status } from "../../../harness/index.js";
import { expectHostcalls, hostcallResults, probeHost, reported, reports } from "../probes.js";

const clusters = {
  grpc: {
    grpc: (request: { kind: string }) =>
      request.kind === "call"
        ? { messages: ["response"], status: 0 }
        : { initialMetadata: { "x-md": "s" }, messages: ["m1", "m2"], trailingMetadata: { "x-tr": "end" }, status: 0, statusMessage: "" },
  },
  failing: { grpc: () => ({ status: 7, statusMessage: "denied" }) },
};

function run(action: string, cluster = "grpc") {
  const host = probeHost("grpc", { clusters, recordCallbacks: true });
  const result = host.http({ path: "/g", headers: [["x-probe", action], ["x-cluster", cluster]] });
  return { host, result, say: (what: string) => reported(result.logs, "grpc", what) };
}

describe("unary calls", () => {
  test("the response reaches the calling stream, which resumes; metadata and message go out as given", () => {
    const { host, result, say } = run("call");
    expect(say("grpcCall")).toBe("OK");
    expect(say("message")).toBe('8 "response"');
    expect(say("resumeRequest")).toBe("OK");
    expect(result.upstream).not.toBeNull();
    const [call] = host.grpcCalls;
    expect(call).toMatchObject({ kind: "call", cluster: "grpc", service: "probe.Service", method: "Check", timeoutMs: 5000 });
    expect(call!.initialMetadata).toContainEqual(["x-probe-md", "1"]);
    expect(Buffer.from(call!.messages[0]!).toString()).toBe("request");
    // The answer came on the root's id (1) and was delivered to stream 2 after making it effective.
    expect(host.callbacks.filter((c) => c.name === "proxy_on_grpc_receive").map((c) => c.contextId)).toEqual([1]);
    expectHostcalls(host, ["proxy_grpc_call", "proxy_get_buffer_bytes", "proxy_set_effective_context"]);
  });

  test("a failed call ends with onGrpcClose and its status message (getCalloutStatus)", () => {
    const { host, say } = run("call", "failing");
    // Envoy's async client appends the response code details to the message (observed on Envoy 1.40).
    expect(say("close")).toBe('7 7 "denied{via_upstream}"');
    expect(say("resumeRequest")).toBe("OK");
    expectHostcalls(host, ["proxy_get_status"]);
  });

  test("cancel stops a call; cancelling again is NOT_FOUND", () => {
    const { host, say } = run("cancel");
    expect(say("grpcCancel")).toBe("OK");
    expect(say("grpcCancel again")).toBe("NOT_FOUND");
    expect(host.callbacks.some((c) => c.name.startsWith("proxy_on_grpc"))).toBe(false);
    expectHostcalls(host, ["proxy_grpc_cancel"]);
  });

  test("an unknown cluster is PARSE_FAILURE", () => {
    expect(run("unknown-cluster").say("grpcCall unknown cluster")).toBe("PARSE_FAILURE");
  });
});

describe("streams", () => {
  test("open, send twice, half-close; metadata, messages and close arrive on the calling stream in order", () => {
    const { host, result, say } = run("stream");
    expect(say("grpcStream")).toBe("OK");
    expect(say("grpcSend 1")).toBe("OK");
    expect(say("grpcSend 2")).toBe("OK");
    expect(say("grpcClose stream")).toBe("OK");
    // The response headers as Envoy hands them over: `:status` and the router's timing around the metadata.
    expect(say("initial metadata")).toBe("3 :status=200,x-md=s,x-envoy-upstream-service-time=0");
    expect(reports(result.logs, "grpc").get("message")).toEqual(['2 "m1"', '2 "m2"']);
    expect(say("trailing metadata")).toBe("1 x-tr=end");
    expect(say("close")).toBe('0 0 "via_upstream"');
    const [stream] = host.grpcCalls;
    expect(stream!.kind).toBe("stream");
    expect(stream!.messages.map((m) => Buffer.from(m).toString())).toEqual(["one", "two"]);
    expectHostcalls(host, ["proxy_grpc_stream", "proxy_grpc_send", "proxy_grpc_close", "proxy_get_header_map_pairs"]);
  });

  test("send on a call token is BAD_ARGUMENT, on an unknown stream NOT_FOUND; close on a call is OK", () => {
    const { host, say } = run("bad-send");
    expect(say("grpcSend on a call")).toBe("BAD_ARGUMENT");
    expect(say("grpcSend unknown stream")).toBe("NOT_FOUND");
    expect(say("grpcClose call")).toBe("OK");
    expect(hostcallResults(host, "proxy_grpc_send")).toEqual([Status.BadArgument, Status.NotFound]);
  });
});
