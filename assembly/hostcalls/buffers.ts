/**
 * Buffers: HTTP bodies, TCP data, configuration, callout bodies and messages.
 *
 * Availability (spec "Buffers"; Envoy `context.cc getBuffer`): a body holds data only in its own callback or
 * while the stream is paused from it — elsewhere Envoy hands out an empty buffer (size 0, reads give empty
 * bytes, writes BAD_ARGUMENT), not NOT_FOUND as the spec and host-behaviour.md F.22 say; Envoy wins. The
 * HTTP-call body exists only in `onHttpCallResponse`, the plugin configuration only in `onConfigure` (NOT_FOUND
 * elsewhere, so these wrappers return null / -1); the gRPC message only in `onGrpcReceive`; the VM
 * configuration always.
 */

import { proxy_get_buffer_bytes, proxy_get_buffer_status, proxy_set_buffer_bytes } from "../abi/imports";
import { BufferType, Status } from "../abi/enums";
import { RETURN_0, RETURN_1, takeBuffer, takeString } from "../abi/memory";

/** `maxSize` default of {@link Body.read}: everything from `start` on. */
export const READ_ALL: usize = <usize>-1;

/**
 * Reads up to `maxSize` bytes from `start` of buffer `bufferType`. The host clamps the range (a start past the
 * end gives an empty buffer). Null when the buffer is unavailable in this callback. Wraps `proxy_get_buffer_bytes`.
 */
export function getBufferBytes(bufferType: BufferType, start: usize = 0, maxSize: usize = READ_ALL): ArrayBuffer | null {
  // Keep start + maxSize within 32 bits: some hosts check that sum for overflow (cpp-host: BAD_ARGUMENT).
  const limit = <usize>-1 - start;
  const status = proxy_get_buffer_bytes(<u32>bufferType, start, maxSize < limit ? maxSize : limit, RETURN_0, RETURN_1);
  if (status != Status.Ok) return null;
  return takeBuffer(RETURN_0, RETURN_1);
}

/** One host buffer. Instances are stateless views (the host decides which stream they refer to). */
export class Body {
  constructor(public readonly bufferType: BufferType) {}

  /** Current length in bytes (0 outside a body's window), or -1 when the host has no such buffer now. Wraps `proxy_get_buffer_status`. */
  size(): i64 {
    const status = proxy_get_buffer_status(<u32>this.bufferType, RETURN_0, RETURN_1);
    return status == Status.Ok ? <i64>load<u32>(RETURN_0) : -1;
  }

  /**
   * Up to `maxSize` bytes from `start` (default: all), or null when the host has no such buffer now (empty
   * outside a body's window). For HTTP bodies this is the whole buffered body while the stream is paused with
   * StopIterationAndBuffer. Wraps `proxy_get_buffer_bytes`.
   */
  read(start: usize = 0, maxSize: usize = READ_ALL): ArrayBuffer | null {
    return getBufferBytes(this.bufferType, start, maxSize);
  }

  /**
   * Like {@link read}, decoded as UTF-8 with invalid sequences replaced by U+FFFD; null when unavailable.
   * Wraps `proxy_get_buffer_bytes`.
   */
  readString(start: usize = 0, maxSize: usize = READ_ALL): string | null {
    const limit = <usize>-1 - start;
    const status = proxy_get_buffer_bytes(<u32>this.bufferType, start, maxSize < limit ? maxSize : limit, RETURN_0, RETURN_1);
    if (status != Status.Ok) return null;
    return takeString(RETURN_0, RETURN_1);
  }

  /**
   * Replaces the whole buffer with `data`. Envoy implements only three forms of `proxy_set_buffer_bytes`
   * (drain-then-prepend at 0, or append at ≥ length; host-behaviour.md F.21); this is "drain everything, then
   * prepend". Configuration and callout buffers are read-only (BAD_ARGUMENT). A plugin that changes a body
   * must also fix or remove `content-length`. Wraps `proxy_get_buffer_status` + `proxy_set_buffer_bytes`.
   */
  replace(data: ArrayBuffer): Status {
    const length = this.size();
    if (length < 0) return Status.NotFound;
    return <Status>proxy_set_buffer_bytes(<u32>this.bufferType, 0, <usize>length, changetype<usize>(data), <usize>data.byteLength);
  }

  /** Inserts `data` before the current content (start 0, size 0). Wraps `proxy_set_buffer_bytes`. */
  prepend(data: ArrayBuffer): Status {
    return <Status>proxy_set_buffer_bytes(<u32>this.bufferType, 0, 0, changetype<usize>(data), <usize>data.byteLength);
  }

  /**
   * Adds `data` after the current content (start = the maximum size_t, which the spec and Envoy treat as
   * "at or past the end"). Wraps `proxy_set_buffer_bytes`.
   */
  append(data: ArrayBuffer): Status {
    return <Status>proxy_set_buffer_bytes(<u32>this.bufferType, <usize>-1, 0, changetype<usize>(data), <usize>data.byteLength);
  }
}

/** The HTTP request body of the current stream (buffer 0). */
// @ts-ignore: decorator
@lazy export const requestBody = new Body(BufferType.HttpRequestBody);
/** The HTTP response body of the current stream (buffer 1). */
// @ts-ignore: decorator
@lazy export const responseBody = new Body(BufferType.HttpResponseBody);
/** Data received from downstream on the current TCP connection (buffer 2). */
// @ts-ignore: decorator
@lazy export const downstreamData = new Body(BufferType.DownstreamData);
/** Data received from upstream on the current TCP connection (buffer 3). */
// @ts-ignore: decorator
@lazy export const upstreamData = new Body(BufferType.UpstreamData);
/** The body of an HTTP-call response; only in `onHttpCallResponse` (buffer 4). */
// @ts-ignore: decorator
@lazy export const httpCallResponseBody = new Body(BufferType.HttpCallResponseBody);
/** The gRPC message just received; only in `onGrpcReceive` (buffer 5). */
// @ts-ignore: decorator
@lazy export const grpcReceiveBuffer = new Body(BufferType.GrpcCallMessage);
/** `vm_config.configuration` (buffer 6); readable at any time. */
// @ts-ignore: decorator
@lazy export const vmConfiguration = new Body(BufferType.VmConfiguration);
/** The plugin configuration (buffer 7); only in `onConfigure`. */
// @ts-ignore: decorator
@lazy export const pluginConfiguration = new Body(BufferType.PluginConfiguration);
/** Arguments of a foreign-function callback; only in `onForeignFunction` (buffer 8). */
// @ts-ignore: decorator
@lazy export const foreignFunctionArguments = new Body(BufferType.ForeignFunctionArguments);
