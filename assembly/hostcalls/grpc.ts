/**
 * gRPC callouts (unary calls and streams). As for HTTP calls, Envoy issues them from the root context and
 * answers with the root's id; the dispatcher routes each answer to the context that started the call or
 * stream (`onGrpcReceiveInitialMetadata`, `onGrpcReceive`, `onGrpcReceiveTrailingMetadata`, `onGrpcClose`),
 * and drops answers for contexts deleted meanwhile.
 */

import { proxy_grpc_call, proxy_grpc_cancel, proxy_grpc_close, proxy_grpc_send, proxy_grpc_stream } from "../abi/imports";
import { Status } from "../abi/enums";
import { RETURN_0, bufferLen, bufferPtr, encodeUtf8 } from "../abi/memory";
import { HeaderPair, encodeHeaderMap } from "../codec/header-map";
import { BaseContext } from "../context/base";
import { forgetGrpcCallout, trackGrpcCallout } from "../dispatcher";
import { grpcReceiveBuffer } from "./buffers";
import { grpcInitialMetadata, grpcTrailingMetadata, isSafeHeaderText } from "./headers";

/** What {@link grpcCall} and {@link grpcStream} return: the host's status and, when OK, the token. */
export class GrpcCallResult {
  constructor(
    public status: Status,
    /** Identifies the call or stream in the gRPC callbacks; 0 when it failed. */
    public token: u32,
  ) {}
}

function metadataIsSafe(metadata: HeaderPair[]): bool {
  for (let i = 0, n = metadata.length; i < n; i++) {
    const pair = unchecked(metadata[i]);
    if (!isSafeHeaderText(pair.name, false) || !isSafeHeaderText(pair.value, true)) return false;
  }
  return true;
}

/**
 * Starts a unary gRPC call of `serviceName`/`methodName` on the Envoy cluster `cluster` with a serialized
 * request `message`. `timeoutMilliseconds` 0 means none. PARSE_FAILURE for an unknown cluster. Answers arrive
 * on `from`: the response message in `onGrpcReceive` (read it with `getGrpcReceiveMessage()`), then
 * `onGrpcClose(token, status)` (message via `getCalloutStatus()`). Wraps `proxy_grpc_call`.
 */
export function grpcCall(
  cluster: string,
  serviceName: string,
  methodName: string,
  initialMetadata: HeaderPair[],
  message: ArrayBuffer | null,
  timeoutMilliseconds: u32,
  from: BaseContext,
): GrpcCallResult {
  if (!metadataIsSafe(initialMetadata)) return new GrpcCallResult(Status.BadArgument, 0);
  const upstream = encodeUtf8(cluster);
  const service = encodeUtf8(serviceName);
  const method = encodeUtf8(methodName);
  const metadata = encodeHeaderMap(initialMetadata);
  store<u32>(RETURN_0, 0);
  const status = <Status>(
    proxy_grpc_call(
      changetype<usize>(upstream),
      <usize>upstream.byteLength,
      changetype<usize>(service),
      <usize>service.byteLength,
      changetype<usize>(method),
      <usize>method.byteLength,
      changetype<usize>(metadata),
      <usize>metadata.byteLength,
      bufferPtr(message),
      bufferLen(message),
      timeoutMilliseconds,
      RETURN_0,
    )
  );
  if (status != Status.Ok) return new GrpcCallResult(status, 0);
  const token = load<u32>(RETURN_0);
  trackGrpcCallout(token, from, false);
  return new GrpcCallResult(status, token);
}

/**
 * Opens a gRPC stream to `serviceName`/`methodName` on cluster `cluster`. Send with {@link grpcSend};
 * answers arrive on `from` as for {@link grpcCall}, until `onGrpcClose`. Wraps `proxy_grpc_stream`.
 */
export function grpcStream(
  cluster: string,
  serviceName: string,
  methodName: string,
  initialMetadata: HeaderPair[],
  from: BaseContext,
): GrpcCallResult {
  if (!metadataIsSafe(initialMetadata)) return new GrpcCallResult(Status.BadArgument, 0);
  const upstream = encodeUtf8(cluster);
  const service = encodeUtf8(serviceName);
  const method = encodeUtf8(methodName);
  const metadata = encodeHeaderMap(initialMetadata);
  store<u32>(RETURN_0, 0);
  const status = <Status>(
    proxy_grpc_stream(
      changetype<usize>(upstream),
      <usize>upstream.byteLength,
      changetype<usize>(service),
      <usize>service.byteLength,
      changetype<usize>(method),
      <usize>method.byteLength,
      changetype<usize>(metadata),
      <usize>metadata.byteLength,
      RETURN_0,
    )
  );
  if (status != Status.Ok) return new GrpcCallResult(status, 0);
  const token = load<u32>(RETURN_0);
  trackGrpcCallout(token, from, true);
  return new GrpcCallResult(status, token);
}

/**
 * Sends `message` on stream `token`; `endStream` half-closes it. BAD_ARGUMENT for a call token, NOT_FOUND
 * for an unknown stream. Wraps `proxy_grpc_send`.
 */
export function grpcSend(token: u32, message: ArrayBuffer, endStream: bool): Status {
  return <Status>proxy_grpc_send(token, changetype<usize>(message), <usize>message.byteLength, endStream ? 1 : 0);
}

/**
 * Cancels a call or resets a stream; no callback follows, so the SDK forgets the token. NOT_FOUND for an
 * unknown token. Wraps `proxy_grpc_cancel`.
 */
export function grpcCancel(token: u32): Status {
  const status = <Status>proxy_grpc_cancel(token);
  if (status == Status.Ok) forgetGrpcCallout(token, true);
  return status;
}

/**
 * Closes a call (same as cancel: no callback follows) or half-closes a stream (the remote side may still
 * answer until `onGrpcClose`). Wraps `proxy_grpc_close`.
 */
export function grpcClose(token: u32): Status {
  const status = <Status>proxy_grpc_close(token);
  if (status == Status.Ok) forgetGrpcCallout(token, false);
  return status;
}

/** The gRPC message being delivered; only in `onGrpcReceive`, else null. Wraps `proxy_get_buffer_bytes`. */
export function getGrpcReceiveMessage(): ArrayBuffer | null {
  return grpcReceiveBuffer.read();
}

/** Initial metadata being delivered; only in `onGrpcReceiveInitialMetadata`. Wraps `proxy_get_header_map_pairs`. */
export function getGrpcInitialMetadata(): HeaderPair[] {
  return grpcInitialMetadata.pairs();
}

/** Trailing metadata being delivered; only in `onGrpcReceiveTrailingMetadata`. Wraps `proxy_get_header_map_pairs`. */
export function getGrpcTrailingMetadata(): HeaderPair[] {
  return grpcTrailingMetadata.pairs();
}
