/** The per-request HTTP stream context. */

import { Action, GrpcStatus, Status, StreamType } from "../abi/enums";
import { HeaderPair } from "../codec/header-map";
import { Body, requestBody, responseBody } from "../hostcalls/buffers";
import { HeaderMap, requestHeaders, requestTrailers, responseHeaders, responseTrailers } from "../hostcalls/headers";
import { closeStream, continueStream, sendLocalResponse } from "../hostcalls/stream";
import { BaseContext } from "./base";
import { RootContext } from "./root";

/**
 * One HTTP request/response pair. Subclass it and override the callbacks you need; each returns
 * {@link Action.Continue} by default.
 *
 * Envoy order: `onRequestHeaders` → `onRequestBody`* → `onRequestTrailers` → `onResponseHeaders` →
 * `onResponseBody`* → `onResponseTrailers` → `onLog` → `onDone` → `onDelete`; callbacks for parts a request
 * does not have are skipped. A local reply (`sendLocalResponse`) passes through this context's response
 * callbacks. Returning Pause from a headers callback stops Envoy's whole iteration (bodies included) until
 * `resumeRequest`/`resumeResponse` (host-behaviour.md F.14).
 */
export class HttpContext extends BaseContext {
  /** The root context that created this stream (cast it to your root class to reach the parsed config). */
  readonly root: RootContext;

  constructor(contextId: u32, root: RootContext) {
    super(contextId);
    this.root = root;
  }

  /** Request headers arrived (`endOfStream`: no body follows). Headers: {@link requestHeaders}. */
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    return Action.Continue;
  }

  /**
   * A request body chunk arrived; `bodySize` is the total buffered so far (it grows while you return Pause,
   * which Envoy treats as StopIterationAndBuffer). Body: {@link requestBody}.
   */
  onRequestBody(bodySize: usize, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** Request trailers arrived. Trailers: {@link requestTrailers}. */
  onRequestTrailers(numTrailers: u32): Action {
    return Action.Continue;
  }

  /** Response headers arrived (from upstream or a local reply). Headers: {@link responseHeaders}. */
  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** A response body chunk arrived; `bodySize` as for {@link onRequestBody}. Body: {@link responseBody}. */
  onResponseBody(bodySize: usize, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** Response trailers arrived. Trailers: {@link responseTrailers}. */
  onResponseTrailers(numTrailers: u32): Action {
    return Action.Continue;
  }

  /** Request headers (map 0): in `onRequestHeaders`, while paused from it, and in `onLog`. */
  get requestHeaders(): HeaderMap {
    return requestHeaders;
  }

  /** Request trailers (map 1): in `onRequestTrailers`; addable from `onRequestBody` at end of stream. */
  get requestTrailers(): HeaderMap {
    return requestTrailers;
  }

  /** Response headers (map 2): in `onResponseHeaders`, while paused from it, and in `onLog`. */
  get responseHeaders(): HeaderMap {
    return responseHeaders;
  }

  /** Response trailers (map 3): in `onResponseTrailers` and `onLog`. */
  get responseTrailers(): HeaderMap {
    return responseTrailers;
  }

  /** Request body (buffer 0): in `onRequestBody` and while paused from it. */
  get requestBody(): Body {
    return requestBody;
  }

  /** Response body (buffer 1): in `onResponseBody` and while paused from it. */
  get responseBody(): Body {
    return responseBody;
  }

  /** Resumes the request after Pause (applied when the current callback returns). Wraps `proxy_continue_stream`. */
  resumeRequest(): Status {
    return continueStream(StreamType.HttpRequest);
  }

  /** Resumes the response after Pause. Wraps `proxy_continue_stream`. */
  resumeResponse(): Status {
    return continueStream(StreamType.HttpResponse);
  }

  /** Resets the stream (`HttpRequest` or `HttpResponse`); details `wasm_close_stream`. Wraps `proxy_close_stream`. */
  closeStream(which: StreamType): Status {
    return closeStream(which);
  }

  /**
   * Answers locally with `statusCode`, `body` (null = none) and extra `headers`; `details` becomes
   * `%RESPONSE_CODE_DETAILS%` (whitespace → `_`). Sent after the current callback returns, whose result Envoy
   * turns into a Stop. See `sendLocalResponse` in hostcalls/stream.ts. Wraps `proxy_send_local_response`.
   */
  sendLocalResponse(
    statusCode: u32,
    details: string,
    body: ArrayBuffer | null,
    headers: HeaderPair[],
    grpcStatus: i32 = GrpcStatus.InvalidCode,
  ): Status {
    return sendLocalResponse(statusCode, details, body, headers, grpcStatus);
  }
}
