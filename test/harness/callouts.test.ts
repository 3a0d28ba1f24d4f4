// HTTP and gRPC callouts as Envoy delivers them (host-behaviour.md A.3 #23–29, F.28–F.30; Envoy context.cc
// httpCall/onHttpCallSuccess/onHttpCallFailure/grpcCall/grpcStream/grpcSend/grpcClose/grpcCancel).
import { Buffer } from "node:buffer";
import { describe, expect, test } from "vitest";
import { createHost, decodePairs, encodePairs } from "../../harness";
import { data, proxyModule, RECORDER, slots } from "./support/wat";

const IMPORTS = [
  "proxy_http_call",
  "proxy_get_header_map_value",
  "proxy_get_header_map_pairs",
  "proxy_get_buffer_bytes",
  "proxy_get_status",
  "proxy_grpc_call",
  "proxy_grpc_stream",
  "proxy_grpc_send",
  "proxy_grpc_cancel",
  "proxy_grpc_close",
];

const pairs = (p: Array<[string, string]>): Uint8Array => encodePairs(p);
const GOOD = pairs([[":method", "POST"], [":path", "/v1/check"], [":authority", "authz"], ["X-Trace", "t1"]]);

/** Makes an HTTP call from on_vm_start-free on_request_headers, recording status and token. */
function caller(headers: Uint8Array, cluster: string, timeoutMs: number, body = "payload"): Uint8Array {
  return proxyModule({
    imports: IMPORTS,
    body: `${RECORDER} ${data({ 16: cluster, 64: body, 128: headers, 900: ":status" })}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (call $r (call $proxy_http_call (i32.const 16) (i32.const ${cluster.length}) (i32.const 128) (i32.const ${headers.length})
        (i32.const 64) (i32.const ${body.length}) (i32.const 0) (i32.const 0) (i32.const ${timeoutMs}) (i32.const 2048)))
      (call $r (i32.load (i32.const 2048)))
      (i32.const 0))
    (func (export "proxy_on_http_call_response") (param $root i32) (param $token i32) (param $nh i32) (param $body i32) (param $nt i32)
      (call $r (local.get $root)) (call $r (local.get $token)) (call $r (local.get $nh)) (call $r (local.get $body)) (call $r (local.get $nt))
      (call $r (call $proxy_get_header_map_value (i32.const 6) (i32.const 900) (i32.const 7) (i32.const 2056) (i32.const 2060)))
      (call $r (call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (i32.const 1000) (i32.const 2064) (i32.const 2068)))
      (call $r (call $proxy_get_status (i32.const 2072) (i32.const 2076) (i32.const 2080))))`,
  });
}

const text = (host: ReturnType<typeof createHost>, ptrAt: number, lenAt: number): string =>
  host.readMemory(host.readU32(ptrAt), host.readU32(lenAt)).toString("utf8");

describe("proxy_http_call", () => {
  test("reaches the cluster with the headers (content-length added for a body); tokens are 4, 8, …", () => {
    const host = createHost(caller(GOOD, "authz", 500), { clusters: { authz: { respond: { status: 200, body: "ok" } } } });
    host.http();
    host.http();
    expect(host.callouts.map((c) => [c.token, c.cluster, c.method, c.path, c.body])).toEqual([
      [4, "authz", "POST", "/v1/check", "payload"],
      [8, "authz", "POST", "/v1/check", "payload"],
    ]);
    expect(host.callouts[0]!.headers).toEqual(expect.arrayContaining([["x-trace", "t1"], ["content-length", "7"]]));
  });

  test("the answer goes to the ROOT context: (root, token, headers, body size, trailers); headers and body readable inside", () => {
    const host = createHost(caller(GOOD, "authz", 500), {
      clusters: { authz: { respond: { status: 201, headers: { "x-a": "1" }, body: "hello" } } },
    });
    host.http();
    const s = slots(host, 10);
    expect(s.slice(0, 2)).toEqual([0, 4]);
    // 4 headers: :status, x-a, content-length (the server frames the body), x-envoy-upstream-service-time (router).
    expect(s.slice(2, 7)).toEqual([1, 4, 4, 5, 0]);
    expect(s.slice(7, 9)).toEqual([0, 0]);
    expect(text(host, 2056, 2060)).toBe("201");
    expect(text(host, 2064, 2068)).toBe("hello");
  });

  test("unknown cluster, a missing :path/:method/:authority or a timeout ≥ 2^31 → BAD_ARGUMENT, synchronously (F.30)", () => {
    const noPath = pairs([[":method", "GET"], [":authority", "a"]]);
    for (const [mod, cluster] of [
      [caller(GOOD, "nope", 500), "nope"],
      [caller(noPath, "authz", 500), "authz"],
      [caller(GOOD, "authz", -1), "authz"],
    ] as const) {
      const host = createHost(mod, { clusters: { authz: { respond: {} } } });
      host.http();
      expect(slots(host, 2), cluster).toEqual([2, 0]);
      expect(host.callouts).toEqual([]);
    }
  });

  test("a reset is (token, 0, 0, 0) and proxy_get_status says (11 BrokenConnection, \"reset\")", () => {
    const host = createHost(caller(GOOD, "authz", 500), { clusters: { authz: { respond: { reset: true } } } });
    host.http();
    const s = slots(host, 10);
    expect(s.slice(2, 7)).toEqual([1, 4, 0, 0, 0]);
    expect(s[9]).toBe(0);
    expect(host.readU32(2072)).toBe(11);
    expect(text(host, 2076, 2080)).toBe("reset");
  });

  test("a timeout is a synthesized 504 response 'upstream request timeout' (F.29)", () => {
    const host = createHost(caller(GOOD, "authz", 100), { clusters: { authz: { respond: { status: 200, delayMs: 5000 } } } });
    host.http();
    expect(slots(host, 3)[2]).toBe(0);
    host.advance(100);
    expect(text(host, 2056, 2060)).toBe("504");
    expect(text(host, 2064, 2068)).toBe("upstream request timeout");
  });

  test("a declared cluster with nothing listening answers like Envoy's router: 503, never reaching a collector", () => {
    const host = createHost(caller(GOOD, "authz", 500), { clusters: { authz: { down: true } } });
    host.http();
    expect(text(host, 2056, 2060)).toBe("503");
    expect(text(host, 2064, 2068)).toMatch(/^upstream connect error or disconnect\/reset before headers/);
    expect(host.callouts).toEqual([]);
  });

  test("a handler computes the answer from the request", () => {
    const host = createHost(caller(GOOD, "authz", 500), {
      clusters: { authz: { handler: (req) => ({ status: 200, body: `${req.method} ${req.path}` }) } },
    });
    host.http();
    expect(text(host, 2064, 2068)).toBe("POST /v1/check");
  });

  test("the callout outlives the stream that made it: it is answered after the stream ended (F.28)", () => {
    const host = createHost(caller(GOOD, "authz", 0), { clusters: { authz: {} } });
    const res = host.http();
    expect(res.status).toBe(200);
    host.respondToHttpCall(4, { status: 202 });
    expect(text(host, 2056, 2060)).toBe("202");
  });
});

describe("gRPC (F.28; Envoy context.cc grpcCall/grpcStream)", () => {
  const grpcModule = proxyModule({
    imports: IMPORTS,
    body: `${RECORDER} ${data({ 16: "grpc-cluster", 48: "pkg.Svc", 64: "Check", 80: "req", 96: "unknown-cluster" })}
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (call $r (call $proxy_grpc_call (i32.const 16) (i32.const 12) (i32.const 48) (i32.const 7) (i32.const 64) (i32.const 5)
        (i32.const 0) (i32.const 0) (i32.const 80) (i32.const 3) (i32.const 1000) (i32.const 2048)))
      (call $r (i32.load (i32.const 2048)))
      (call $r (call $proxy_grpc_stream (i32.const 16) (i32.const 12) (i32.const 48) (i32.const 7) (i32.const 64) (i32.const 5)
        (i32.const 0) (i32.const 0) (i32.const 2048)))
      (call $r (i32.load (i32.const 2048)))
      (call $r (call $proxy_grpc_send (i32.const 6) (i32.const 80) (i32.const 3) (i32.const 0)))
      (call $r (call $proxy_grpc_send (i32.const 5) (i32.const 80) (i32.const 3) (i32.const 0)))
      (call $r (call $proxy_grpc_send (i32.const 10) (i32.const 80) (i32.const 3) (i32.const 0)))
      (call $r (call $proxy_grpc_call (i32.const 96) (i32.const 15) (i32.const 48) (i32.const 7) (i32.const 64) (i32.const 5)
        (i32.const 0) (i32.const 0) (i32.const 80) (i32.const 3) (i32.const 1000) (i32.const 2048)))
      (i32.const 0))
    (func (export "proxy_on_grpc_receive_initial_metadata") (param i32 i32 i32) (call $r (i32.const 101)))
    (func (export "proxy_on_grpc_receive") (param i32) (param $token i32) (param $size i32)
      (call $r (local.get $token)) (call $r (local.get $size))
      (call $r (call $proxy_get_buffer_bytes (i32.const 5) (i32.const 0) (i32.const 100) (i32.const 2056) (i32.const 2060))))
    (func (export "proxy_on_grpc_receive_trailing_metadata") (param i32 i32 i32) (call $r (i32.const 103)))
    (func (export "proxy_on_grpc_close") (param i32) (param $token i32) (param $status i32)
      (call $r (local.get $token)) (call $r (local.get $status))
      (call $r (call $proxy_get_status (i32.const 2064) (i32.const 2068) (i32.const 2072))))`,
  });

  test("call tokens 5, 9 …, stream tokens 6, 10 …; send on a call token → BAD_ARGUMENT, unknown stream → NOT_FOUND; unknown cluster → PARSE_FAILURE", () => {
    const host = createHost(grpcModule, { clusters: { "grpc-cluster": {} } });
    host.http();
    expect(slots(host, 8)).toEqual([0, 5, 0, 6, 0, 2, 1, 4]);
    expect(host.grpcCalls.map((c) => [c.kind, c.token, c.service, c.method])).toEqual([
      ["call", 5, "pkg.Svc", "Check"],
      ["stream", 6, "pkg.Svc", "Check"],
    ]);
    expect(Buffer.from(host.grpcCalls[1]!.messages[0]!).toString()).toBe("req");
  });

  test("a unary OK answer without a message is a failure: on_grpc_close INTERNAL (13), empty message (AsyncRequestImpl)", () => {
    const host = createHost(grpcModule, {
      clusters: { "grpc-cluster": { grpc: (r) => (r.kind === "call" ? { messages: [] } : undefined) } },
    });
    host.http();
    expect(slots(host, 11).slice(8)).toEqual([5, 13, 0]);
    expect(host.readU32(2072)).toBe(0);
  });

  test("a unary call past its timeout closes UNAVAILABLE (the router's 504 as gRPC), details appended", () => {
    const host = createHost(grpcModule, { clusters: { "grpc-cluster": {} } });
    host.http();
    host.advance(1000);
    expect(slots(host, 11).slice(8)).toEqual([5, 14, 0]);
    expect(host.readMemory(host.readU32(2068), host.readU32(2072)).toString()).toBe("upstream request timeout{response_timeout}");
  });

  test("a call to a cluster nothing listens on closes UNAVAILABLE with the router's connect-failure text", () => {
    const host = createHost(grpcModule, { clusters: { "grpc-cluster": { down: true } } });
    host.http();
    expect(host.grpcCalls).toEqual([]);
    expect(host.readMemory(host.readU32(2068), host.readU32(2072)).toString()).toBe(
      "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure" +
        "{upstream_reset_before_response_started{remote_connection_failure}}",
    );
  });

  test("a call cancelled in the callback that made it never reaches the cluster (observed on Envoy 1.40)", () => {
    const cancelling = proxyModule({
      imports: IMPORTS,
      body: `${RECORDER} ${data({ 16: "grpc-cluster", 48: "pkg.Svc", 64: "Check", 80: "req" })}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (call $r (call $proxy_grpc_call (i32.const 16) (i32.const 12) (i32.const 48) (i32.const 7) (i32.const 64) (i32.const 5)
          (i32.const 0) (i32.const 0) (i32.const 80) (i32.const 3) (i32.const 1000) (i32.const 2048)))
        (call $r (call $proxy_grpc_cancel (i32.load (i32.const 2048))))
        (call $r (call $proxy_grpc_stream (i32.const 16) (i32.const 12) (i32.const 48) (i32.const 7) (i32.const 64) (i32.const 5)
          (i32.const 0) (i32.const 0) (i32.const 2048)))
        (i32.const 0))`,
    });
    const host = createHost(cancelling, { clusters: { "grpc-cluster": {} } });
    host.http();
    expect(slots(host, 3)).toEqual([0, 0, 0]);
    // The cancelled call is gone; the stream (not cancelled) reached the cluster.
    expect(host.grpcCalls.map((c) => [c.kind, c.token])).toEqual([["stream", 6]]);
  });

  test("a unary OK answer is only on_grpc_receive (no close); the message is buffer 5", () => {
    const host = createHost(grpcModule, {
      clusters: { "grpc-cluster": { grpc: (r) => (r.kind === "call" ? { messages: ["resp!"] } : undefined) } },
    });
    host.http();
    expect(slots(host, 11).slice(8)).toEqual([5, 5, 0]);
    expect(host.readMemory(host.readU32(2056), host.readU32(2060)).toString()).toBe("resp!");
  });

  test("a stream gets initial metadata, messages, trailing metadata, then on_grpc_close with the status readable via proxy_get_status", () => {
    const host = createHost(grpcModule, {
      clusters: {
        "grpc-cluster": {
          grpc: (r) =>
            r.kind === "stream"
              ? { initialMetadata: { a: "1" }, messages: ["m1"], trailingMetadata: {}, status: 16, statusMessage: "who are you" }
              : undefined,
        },
      },
    });
    host.http();
    expect(slots(host, 16).slice(8)).toEqual([101, 6, 2, 0, 103, 6, 16, 0]);
    expect(host.readU32(2064)).toBe(16);
    // Envoy's gRPC async client appends the response code details (enhancedGrpcMessage; observed on Envoy 1.40).
    expect(host.readMemory(host.readU32(2068), host.readU32(2072)).toString()).toBe("who are you{via_upstream}");
  });
});

void decodePairs;
