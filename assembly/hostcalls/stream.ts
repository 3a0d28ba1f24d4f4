/** Stream flow control, local responses and callout status. */

import { proxy_close_stream, proxy_continue_stream, proxy_get_status, proxy_send_local_response } from "../abi/imports";
import { GrpcStatus, Status, StreamType } from "../abi/enums";
import { RETURN_0, RETURN_1, RETURN_2, bufferLen, bufferPtr, stageStrings, stagedLen0, stagedPtr0, takeString } from "../abi/memory";
import { HeaderPair, encodeHeaderMap } from "../codec/header-map";
import { isSafeHeaderText } from "./headers";

/**
 * Resumes `streamType` of the current stream after a callback returned Pause. Envoy applies it after the
 * current callback returns; `Upstream` is UNIMPLEMENTED in Envoy. Wraps `proxy_continue_stream`.
 */
export function continueStream(streamType: StreamType): Status {
  return <Status>proxy_continue_stream(<u32>streamType);
}

/**
 * Closes `streamType`: for HTTP Envoy resets the stream (details `wasm_close_stream`), for TCP it closes the
 * connection after flushing. Deferred until the current callback returns. Wraps `proxy_close_stream`.
 */
export function closeStream(streamType: StreamType): Status {
  return <Status>proxy_close_stream(<u32>streamType);
}

/**
 * Answers the current HTTP request locally instead of forwarding it (request callbacks) or replaces the
 * upstream response (before response headers were sent downstream).
 *
 * Envoy: sends the reply after the current callback returns and turns that callback's result into a Stop;
 * the reply then passes through this plugin's `onResponseHeaders`/`onResponseBody`; whitespace in `details`
 * becomes `_` (it is `%RESPONSE_CODE_DETAILS%`); a `grpcStatus` outside 0..16 (default -1) sends no
 * `grpc-status`. BAD_ARGUMENT without calling the host when a header name or value is unsafe (empty name, CR,
 * LF or NUL). Wraps `proxy_send_local_response`.
 */
export function sendLocalResponse(
  statusCode: u32,
  details: string,
  body: ArrayBuffer | null,
  headers: HeaderPair[],
  grpcStatus: i32 = GrpcStatus.InvalidCode,
): Status {
  for (let i = 0, n = headers.length; i < n; i++) {
    const pair = unchecked(headers[i]);
    if (!isSafeHeaderText(pair.name, false) || !isSafeHeaderText(pair.value, true)) return Status.BadArgument;
  }
  const encodedHeaders = encodeHeaderMap(headers);
  stageStrings(details);
  return <Status>(
    proxy_send_local_response(
      statusCode,
      stagedPtr0,
      stagedLen0,
      bufferPtr(body),
      bufferLen(body),
      changetype<usize>(encodedHeaders),
      <usize>encodedHeaders.byteLength,
      grpcStatus,
    )
  );
}

/** The outcome of the root context's last callout, from {@link getCalloutStatus}. */
export class CalloutStatus {
  constructor(
    /** gRPC status code after `onGrpcClose`; after a failed HTTP call Envoy reports 11 (BrokenConnection). */
    public code: u32,
    /** gRPC status message, or Envoy's "reset" after a failed HTTP call. */
    public message: string,
  ) {}
}

/**
 * The status of the root context's last callout: valid in `onGrpcClose` and in `onHttpCallResponse` after a
 * failure (0 headers). Null if the host fails. Wraps `proxy_get_status`.
 */
export function getCalloutStatus(): CalloutStatus | null {
  if (proxy_get_status(RETURN_0, RETURN_1, RETURN_2) != Status.Ok) return null;
  const code = load<u32>(RETURN_0);
  return new CalloutStatus(code, takeString(RETURN_1, RETURN_2));
}
