/**
 * HTTP callouts. Envoy issues every call from the **root** context and delivers the answer with the root's id
 * (host-behaviour.md F.28); the dispatcher remembers which context made the call and routes the answer to
 * that context's `onHttpCallResponse`, after making it the effective context. An answer for a context that
 * was deleted meanwhile is dropped.
 */

import { proxy_http_call } from "../abi/imports";
import { Status } from "../abi/enums";
import { RETURN_0, bufferLen, bufferPtr, encodeUtf8 } from "../abi/memory";
import { HeaderPair, encodeHeaderMap } from "../codec/header-map";
import { BaseContext } from "../context/base";
import { trackHttpCallout } from "../dispatcher";
import { httpCallResponseBody } from "./buffers";
import { httpCallResponseHeaders, httpCallResponseTrailers, isSafeHeaderText } from "./headers";

/** What {@link httpCall} returns: the host's status and, when OK, the call's token. */
export class HttpCallResult {
  constructor(
    public status: Status,
    /** Identifies the call in `onHttpCallResponse(token, …)`; 0 when the call failed. */
    public token: u32,
  ) {}
}

function headersAreSafe(headers: HeaderPair[]): bool {
  for (let i = 0, n = headers.length; i < n; i++) {
    const pair = unchecked(headers[i]);
    if (!isSafeHeaderText(pair.name, false) || !isSafeHeaderText(pair.value, true)) return false;
  }
  return true;
}

/**
 * Sends an HTTP request to the Envoy cluster `cluster`. `headers` must include `:method`, `:path` and
 * `:authority` (else BAD_ARGUMENT, as for an unknown cluster or an unsafe header). `timeoutMilliseconds` 0
 * means no timeout; a timeout shows up as a 504 response. The answer arrives as
 * `from.onHttpCallResponse(token, numHeaders, bodySize, numTrailers)` (0 headers = failed; read the reason
 * with `getCalloutStatus`), where `getHttpCallResponseHeaders()` etc. read it. Valid in any callback of a root
 * or stream context. Wraps `proxy_http_call`.
 */
export function httpCall(
  cluster: string,
  headers: HeaderPair[],
  body: ArrayBuffer | null,
  trailers: HeaderPair[],
  timeoutMilliseconds: u32,
  from: BaseContext,
): HttpCallResult {
  if (!headersAreSafe(headers) || !headersAreSafe(trailers)) return new HttpCallResult(Status.BadArgument, 0);
  const upstream = encodeUtf8(cluster);
  const encodedHeaders = encodeHeaderMap(headers);
  const encodedTrailers = encodeHeaderMap(trailers);
  store<u32>(RETURN_0, 0);
  const status = <Status>(
    proxy_http_call(
      changetype<usize>(upstream),
      <usize>upstream.byteLength,
      changetype<usize>(encodedHeaders),
      <usize>encodedHeaders.byteLength,
      bufferPtr(body),
      bufferLen(body),
      changetype<usize>(encodedTrailers),
      <usize>encodedTrailers.byteLength,
      timeoutMilliseconds,
      RETURN_0,
    )
  );
  if (status != Status.Ok) return new HttpCallResult(status, 0);
  const token = load<u32>(RETURN_0);
  trackHttpCallout(token, from);
  return new HttpCallResult(status, token);
}

/**
 * Headers of the HTTP-call response being delivered (`:status` included). Only in `onHttpCallResponse`; empty
 * elsewhere. For single values use `httpCallResponseHeaders.get(name)`. Wraps `proxy_get_header_map_pairs`.
 */
export function getHttpCallResponseHeaders(): HeaderPair[] {
  return httpCallResponseHeaders.pairs();
}

/** Body of the HTTP-call response; only in `onHttpCallResponse`, else null. Wraps `proxy_get_buffer_bytes`. */
export function getHttpCallResponseBody(): ArrayBuffer | null {
  return httpCallResponseBody.read();
}

/** Trailers of the HTTP-call response; only in `onHttpCallResponse`. Wraps `proxy_get_header_map_pairs`. */
export function getHttpCallResponseTrailers(): HeaderPair[] {
  return httpCallResponseTrailers.pairs();
}
