// The HTTP stream model: return-code translation, body buffering and the buffer limit, deferred continue/close/
// local replies, local replies through the response callbacks, resuming from a callout (host-behaviour.md F.14,
// F.15, F.20, F.23; cpp-host context.cc convertVmCallResultTo*; Envoy context.cc decodeData/sendLocalResponse/
// continueStream/closeStream; filter_manager.cc).
import { describe, expect, test } from "vitest";
import { createHost } from "../../harness";
import { data, proxyModule, RECORDER, slots, watString } from "./support/wat";

const IMPORTS = [
  "proxy_log",
  "proxy_http_call",
  "proxy_set_effective_context",
  "proxy_continue_stream",
  "proxy_close_stream",
  "proxy_send_local_response",
  "proxy_get_buffer_bytes",
  "proxy_get_header_map_value",
  "proxy_add_header_map_value",
];

/** http_call headers: :method GET, :path /check, :authority auth (pairs-encoded). */
function callHeaders(): Uint8Array {
  const pairs: Array<[string, string]> = [[":method", "GET"], [":path", "/check"], [":authority", "auth"]];
  const parts: number[] = [pairs.length, 0, 0, 0];
  for (const [k, v] of pairs) parts.push(k.length, 0, 0, 0, v.length, 0, 0, 0);
  for (const [k, v] of pairs) parts.push(...Buffer.from(`${k}\0${v}\0`));
  return Uint8Array.from(parts);
}

/**
 * Pauses request headers (returning `headersResult`), asks cluster "auth", and on the answer continues the
 * stream from the root by switching to the stream's context. Records every body size it sees.
 */
function pauseThenCallout(headersResult: number): Uint8Array {
  const h = callHeaders();
  return proxyModule({
    imports: IMPORTS,
    body: `${RECORDER}
    ${data({ 16: "auth", 32: h })}
    (global $stream (mut i32) (i32.const 0))
    (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32)
      (global.set $stream (local.get $ctx))
      (drop (call $proxy_http_call (i32.const 16) (i32.const 4) (i32.const 32) (i32.const ${h.length})
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 2048)))
      (i32.const ${headersResult}))
    (func (export "proxy_on_request_body") (param i32) (param $size i32) (param $eos i32) (result i32)
      (call $r (local.get $size)) (call $r (local.get $eos)) (i32.const 0))
    (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32)
      (call $r (i32.const 999))
      (drop (call $proxy_set_effective_context (global.get $stream)))
      (drop (call $proxy_continue_stream (i32.const 0))))`,
  });
}

describe("return-code translation (F.14; cpp-host convertVmCallResultToFilterHeadersStatus)", () => {
  test("Pause on request headers = StopAllIterationAndWatermark: body callbacks wait; after continue the whole body arrives at once", () => {
    const host = createHost(pauseThenCallout(1), { clusters: { auth: { respond: { status: 200 } } } });
    const res = host.http({ method: "POST", body: ["ab", "cde"] });
    expect(slots(host, 3)).toEqual([999, 5, 1]);
    expect(res.upstream?.body).toBe("abcde");
  });

  test("with allow_on_headers_stop_iteration, Pause is StopIteration: body callbacks run while the headers wait (Envoy ≥ 1.35)", () => {
    const host = createHost(pauseThenCallout(1), {
      allowOnHeadersStopIteration: true,
      clusters: { auth: { respond: { status: 200 } } },
    });
    const res = host.http({ method: "POST", body: ["ab", "cde"] });
    // HTTP/1.1: each data chunk, then the codec's empty end-of-stream chunk, all before the callout answer.
    expect(slots(host, 7)).toEqual([2, 0, 3, 0, 0, 1, 999]);
    expect(res.upstream?.body).toBe("abcde");
  });

  test("3 = StopAllIterationAndBuffer behaves like Pause for the callbacks", () => {
    const host = createHost(pauseThenCallout(3), { clusters: { auth: { respond: { status: 200 } } } });
    host.http({ method: "POST", body: ["ab", "cde"] });
    expect(slots(host, 3)).toEqual([999, 5, 1]);
  });

  test("a paused stream stays paused while the callout is unanswered, and resumes when the test answers it", () => {
    const host = createHost(pauseThenCallout(1), { clusters: { auth: {} } });
    const s = host.stream({ method: "POST", body: "xyz" }, { status: 204 });
    s.sendRequest();
    host.runUntilIdle();
    expect(s.upstreamRequest).toBeNull();
    expect(host.pendingHttpCalls().map((c) => c.path)).toEqual(["/check"]);
    host.respondToHttpCall(4, { status: 200 });
    s.drain(1000);
    expect(s.result().status).toBe(204);
    expect(s.upstreamRequest?.body).toBe("xyz");
  });
});

describe("body buffering (F.20; Envoy context.cc decodeData)", () => {
  const buffering = proxyModule({
    imports: IMPORTS,
    body: `${RECORDER}
    (func (export "proxy_on_request_body") (param i32) (param $size i32) (param $eos i32) (result i32)
      (call $r (local.get $size))
      (if (result i32) (local.get $eos)
        (then
          (call $r (call $proxy_get_buffer_bytes (i32.const 0) (i32.const 0) (i32.const 100) (i32.const 2048) (i32.const 2052)))
          (call $r (i32.load (i32.const 2052)))
          (i32.const 0))
        (else (i32.const 1))))
    (func (export "proxy_on_response_headers") (param i32) (param $n i32) (param i32) (result i32)
      (call $r (i32.const 777)) (i32.const 0))`,
  });

  test("returning 1 buffers: body_size is the cumulative size and get_buffer_bytes sees the whole buffer", () => {
    const host = createHost(buffering);
    const res = host.http({ method: "POST", body: ["aa", "bbb", "c"] });
    // Three data chunks (buffered), then the empty end-of-stream chunk sees the whole 6 bytes.
    expect(slots(host, 6)).toEqual([2, 5, 6, 6, 0, 6]);
    expect(res.upstream?.body).toBe("aabbbc");
  });

  test("buffering past the buffer limit → 413 'Payload Too Large' (request_payload_too_large); the VM is not called for that chunk", () => {
    const host = createHost(buffering, { listener: { bufferLimitBytes: 4 } });
    const res = host.http({ method: "POST", body: ["aaa", "bb", "c"] });
    expect(res.status).toBe(413);
    expect(res.body).toBe("Payload Too Large");
    expect(res.responseCodeDetails).toBe("request_payload_too_large");
    // The router had already started the upstream request with the headers; the 413 resets it before any body.
    expect(res.upstream).toMatchObject({ method: "POST", body: "" });
    // One body callback (size 3), then the 413 passed through this plugin's on_response_headers.
    expect(slots(host, 3)).toEqual([3, 777, 0]);
  });
});

describe("local replies (F.15; Envoy context.cc sendLocalResponse, filter_manager sendLocalReply)", () => {
  const headersPairs = Uint8Array.from([1, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, ...Buffer.from("X-Why\0test\0")]);
  const localReply = proxyModule({
    imports: IMPORTS,
    body: `${RECORDER}
    ${data({ 16: "denied by policy", 48: "no", 64: headersPairs, 128: "after send", 160: ":status" })}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (call $r (call $proxy_send_local_response (i32.const 403) (i32.const 16) (i32.const 16) (i32.const 48) (i32.const 2)
        (i32.const 64) (i32.const ${headersPairs.length}) (i32.const -1)))
      (drop (call $proxy_log (i32.const 2) (i32.const 128) (i32.const 10)))
      (i32.const 0))
    (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
      (drop (call $proxy_log (i32.const 2) (i32.const 160) (i32.const 7)))
      (call $r (call $proxy_get_header_map_value (i32.const 2) (i32.const 160) (i32.const 7) (i32.const 2048) (i32.const 2052)))
      (call $r (i32.load (i32.const 2052)))
      (i32.const 0))`,
  });

  test("the reply is sent after the callback returns, even though it returned Continue, and never reaches the upstream", () => {
    const host = createHost(localReply);
    const res = host.http({ method: "POST", body: "x" });
    expect(res.status).toBe(403);
    expect(res.upstream).toBeNull();
    expect(host.logs().map((l) => l.message)).toEqual(["after send", ":status"]);
  });

  test("it passes back through the same plugin's on_response_headers, which sees :status 403", () => {
    const host = createHost(localReply);
    host.http();
    expect(slots(host, 3)).toEqual([0, 0, 3]);
  });

  test("body gets content-type text/plain and content-length; extra headers are added; details have whitespace as '_'", () => {
    const host = createHost(localReply);
    const res = host.http();
    expect(res.body).toBe("no");
    expect(res.headers).toEqual(expect.arrayContaining([["content-type", "text/plain"], ["content-length", "2"], ["x-why", "test"]]));
    expect(res.responseCodeDetails).toBe("denied_by_policy");
    expect(res.localReply).toEqual({ status: 403, details: "denied_by_policy", body: "no" });
  });

  test("gRPC requests get a trailers-only gRPC reply: 200, grpc-status from the call (or mapped), grpc-message", () => {
    const grpc = proxyModule({
      imports: IMPORTS,
      body: `${data({ 16: "nope", 48: "go away" })}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (drop (call $proxy_send_local_response (i32.const 403) (i32.const 16) (i32.const 4) (i32.const 48) (i32.const 7)
          (i32.const 0) (i32.const 0) (i32.const 7)))
        (i32.const 0))`,
    });
    const res = createHost(grpc).http({ method: "POST", headers: { "content-type": "application/grpc" }, protocol: "http2" });
    expect(res.status).toBe(200);
    expect(Object.fromEntries(res.headers)).toMatchObject({ "grpc-status": "7", "grpc-message": "go%20away", "content-type": "application/grpc" });
  });

  test("sent from on_response_headers (response started, not sent): straight to the client, the callbacks are not re-run", () => {
    const fromResponse = proxyModule({
      imports: IMPORTS,
      body: `${RECORDER} ${data({ 16: "replaced", 48: "bye" })}
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (call $r (i32.const 1))
        (drop (call $proxy_send_local_response (i32.const 502) (i32.const 16) (i32.const 8) (i32.const 48) (i32.const 3)
          (i32.const 0) (i32.const 0) (i32.const -1)))
        (i32.const 0))`,
    });
    const host = createHost(fromResponse);
    const res = host.http();
    expect([res.status, res.body, res.responseCodeDetails]).toEqual([502, "bye", "replaced"]);
    expect(res.upstream).not.toBeNull();
    expect(slots(host, 2)).toEqual([1, 0]);
  });
});

describe("continue / close (F.23; Envoy context.cc continueStream/closeStream)", () => {
  test("close_stream(HTTP_REQUEST) resets the stream after the callback, with details wasm_close_stream", () => {
    const host = createHost(
      proxyModule({
        imports: IMPORTS,
        body: `${RECORDER}
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          (call $r (call $proxy_close_stream (i32.const 0))) (i32.const 0))`,
      }),
    );
    const res = host.http();
    expect(slots(host, 1)).toEqual([0]);
    expect([res.status, res.reset, res.responseCodeDetails]).toEqual([0, true, "wasm_close_stream"]);
  });

  test("continue_stream(UPSTREAM) → UNIMPLEMENTED; a stream type > 3 → BAD_ARGUMENT", () => {
    const host = createHost(
      proxyModule({
        imports: IMPORTS,
        body: `${RECORDER}
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          (call $r (call $proxy_continue_stream (i32.const 3)))
          (call $r (call $proxy_continue_stream (i32.const 4)))
          (call $r (call $proxy_close_stream (i32.const 9)))
          (i32.const 0))`,
      }),
    );
    host.http();
    expect(slots(host, 3)).toEqual([12, 2, 2]);
  });

  test("continuing the request drops Envoy's request-header pointer at once, inside the same callback", () => {
    const host = createHost(
      proxyModule({
        imports: IMPORTS,
        body: `${RECORDER} ${data({ 16: ":path" })}
        (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
          (call $r (call $proxy_get_header_map_value (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 2048) (i32.const 2052)))
          (drop (call $proxy_continue_stream (i32.const 0)))
          (call $r (call $proxy_get_header_map_value (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 2048) (i32.const 2052)))
          (i32.const 0))`,
      }),
    );
    host.http();
    expect(slots(host, 2)).toEqual([0, 2]);
  });
});

describe("trailers", () => {
  test("request and response trailers reach their callbacks and the other side", () => {
    const host = createHost(
      proxyModule({
        imports: IMPORTS,
        body: `${RECORDER}
        (func (export "proxy_on_request_trailers") (param i32) (param $n i32) (result i32) (call $r (local.get $n)) (i32.const 0))
        (func (export "proxy_on_response_trailers") (param i32) (param $n i32) (result i32) (call $r (local.get $n)) (i32.const 0))`,
      }),
    );
    const res = host.http({ method: "POST", body: "b", trailers: { a: "1", b: "2" }, protocol: "http2" }, { body: "r", trailers: [["grpc-status", "0"]] });
    expect(slots(host, 2)).toEqual([2, 1]);
    expect(res.upstream?.trailers).toEqual([["a", "1"], ["b", "2"]]);
    expect(res.trailers).toEqual([["grpc-status", "0"]]);
  });

  test("over HTTP/1.1 Envoy's codec drops trailers both ways: the chunked body just ends (enable_trailers off)", () => {
    const host = createHost(
      proxyModule({
        imports: IMPORTS,
        body: `${RECORDER}
        (func (export "proxy_on_request_body") (param i32) (param $n i32) (param $eos i32) (result i32) (call $r (local.get $eos)) (i32.const 0))
        (func (export "proxy_on_request_trailers") (param i32) (param $n i32) (result i32) (call $r (i32.const 99)) (i32.const 0))
        (func (export "proxy_on_response_trailers") (param i32) (param $n i32) (result i32) (call $r (local.get $n)) (i32.const 0))`,
      }),
    );
    const res = host.http({ method: "POST", body: "b", trailers: { a: "1" } }, { body: "r", trailers: [["grpc-status", "0"]] });
    // Body data, then the codec's empty end-of-stream call; no request trailers. Response trailers still reach
    // the filters (the upstream is HTTP/2), but not the HTTP/1.1 client.
    expect(slots(host, 3)).toEqual([0, 1, 1]);
    expect(res.upstream?.trailers).toEqual([]);
    expect(res.upstream?.headers.some(([k]) => k === "content-length")).toBe(false);
    expect(res.trailers).toEqual([]);
  });
});

void watString;
