/**
 * A model of Envoy's HTTP `FilterManager` (`source/common/http/filter_manager.cc`) for one stream: the decoder
 * chain (native filters, Wasm filters, router) and the encoder chain (the same filters in reverse), with the
 * iteration rules a plugin can observe:
 *
 * - **Stop statuses.** `StopIteration` on headers stops the headers but lets body frames reach the filter;
 *   `StopAllIteration*` stops everything: later frames are buffered by the filter manager and handed to the filter
 *   in one piece when it continues. A body `StopIterationAndBuffer`/`…Watermark` buffers the frame; the next frame
 *   is appended and the filter sees the whole buffer.
 * - **Buffer limit.** Buffering (not watermark) above the limit (default 1 MiB, `per_connection_buffer_limit_bytes`)
 *   gives a 413 local reply for requests and a 500 for responses (`requestDataTooLarge`/`responseDataTooLarge`).
 * - **Local replies** go through the whole encoder chain while the response has not started, straight to the client
 *   when response headers exist but were not sent, and reset the stream once headers went out. Afterwards decoding
 *   never continues.
 * - **Completion.** When the response is complete the stream ends (reset first if the request was not complete):
 *   every filter's access log (`on_log`), then every filter's `onDestroy` (`on_done` → `on_delete`), in chain order
 *   (`conn_manager_impl.cc doDeferredStreamDestroy`, host-behaviour.md F.26).
 */
import { Buffer } from "node:buffer";
import { DataBuffer } from "../state/buffer";
import { HeaderMap, RESPONSE_INLINE_HEADERS, TRAILER_INLINE_HEADERS } from "../state/header-map";
import type { StreamInfo } from "../properties/stream-info";
import { httpToGrpcStatus } from "../properties/catalogue";
import {
  FilterDataStatus,
  FilterHeadersStatus,
  FilterTrailersStatus,
  type HttpFilter,
  type HttpFilterCallbacks,
} from "./types";

type IterationState = "continue" | "single" | "allBuffer" | "allWatermark";

class Entry {
  iteration: IterationState = "continue";
  headersContinued = false;
  endStream = false;
  iterateFromCurrent = false;
  constructor(
    readonly filter: HttpFilter,
    readonly index: number,
  ) {}
  get stoppedAll(): boolean {
    return this.iteration === "allBuffer" || this.iteration === "allWatermark";
  }
}

/** What reached the client. */
export interface DownstreamResponse {
  status: number;
  headers: HeaderMap | null;
  body: DataBuffer;
  trailers: HeaderMap | null;
  /** True once the response end was written. */
  complete: boolean;
  /** The stream was reset (no response, or a truncated one). */
  reset: boolean;
}

export interface FilterManagerOptions {
  /** `per_connection_buffer_limit_bytes`; default 1 MiB. */
  bufferLimitBytes: number;
  /** Request content-type was gRPC (`application/grpc*`): local replies use gRPC framing. */
  isGrpcRequest: boolean;
  isHeadRequest: boolean;
}

/** What the filter manager needs from its stream (the connection manager side). */
export interface FilterManagerHost {
  /** Fake-clock monotonic ms. */
  nowMs(): number;
  /** Response headers just before they reach the client (the connection manager's own additions). */
  onEncodeHeadersToClient(headers: HeaderMap, localReply: boolean): void;
  /** Once, when the stream has ended (after logs and destroys). */
  onStreamEnd(): void;
}

const HTTP_REASON: Record<number, string> = { 413: "Payload Too Large", 500: "Internal Server Error" };

export class FilterManager {
  private readonly decoders: Entry[];
  private readonly encoders: Entry[];
  requestHeaders: HeaderMap | null = null;
  requestTrailers: HeaderMap | null = null;
  bufferedRequestData: DataBuffer | null = null;
  responseHeaders: HeaderMap | null = null;
  responseTrailers: HeaderMap | null = null;
  bufferedResponseData: DataBuffer | null = null;
  /** Request end_stream reached the filter manager. */
  remoteDecodeComplete = false;
  /** Response end_stream reached the filter manager (upstream or local reply). */
  localComplete = false;
  /** Response end_stream went to the client. */
  remoteEncodeComplete = false;
  private decoderFiltersStreaming = false;
  private encoderFiltersStreaming = false;
  /** Decoder entry currently in decodeData with end_stream (the only time addDecodedTrailers is valid). */
  private lastDataDecoder: Entry | null = null;
  private lastDataEncoder: Entry | null = null;
  destroyed = false;
  localReplySent = false;
  /** Set by `loseRoute()`: the router answers 404 `route_not_found`. */
  routeLost = false;
  readonly downstream: DownstreamResponse = {
    status: 0,
    headers: null,
    body: new DataBuffer(),
    trailers: null,
    complete: false,
    reset: false,
  };

  constructor(
    readonly streamInfo: StreamInfo,
    filters: HttpFilter[],
    private readonly options: FilterManagerOptions,
    private readonly host: FilterManagerHost,
  ) {
    this.decoders = filters.map((f, i) => new Entry(f, i));
    this.encoders = filters.filter((f) => f.encodeHeaders || f.encodeData || f.encodeTrailers).reverse().map((f, i) => new Entry(f, i));
    for (const e of this.decoders) e.filter.setCallbacks?.(this.callbacksFor(e));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // From the codec (the client)
  // ---------------------------------------------------------------------------------------------------------------

  receiveRequestHeaders(headers: HeaderMap, endStream: boolean): void {
    this.requestHeaders = headers;
    this.streamInfo.requestHeaders = headers;
    this.remoteDecodeComplete = endStream;
    this.decodeHeaders(null, headers, endStream);
  }

  receiveRequestData(data: DataBuffer, endStream: boolean): void {
    if (this.destroyed) return;
    this.streamInfo.bytesReceived += data.length;
    this.remoteDecodeComplete = endStream;
    this.decodeData(null, data, endStream, false);
  }

  receiveRequestTrailers(trailers: HeaderMap): void {
    if (this.destroyed) return;
    this.requestTrailers = trailers;
    this.remoteDecodeComplete = true;
    this.decodeTrailers(null, trailers);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // From the router (the upstream)
  // ---------------------------------------------------------------------------------------------------------------

  receiveResponseHeaders(headers: HeaderMap, endStream: boolean): void {
    if (this.destroyed || this.localComplete) return;
    this.responseHeaders = headers;
    this.localComplete = endStream;
    this.encodeHeaders(null, headers, endStream);
  }

  receiveResponseData(data: DataBuffer, endStream: boolean): void {
    if (this.destroyed || this.localComplete) return;
    this.localComplete = endStream;
    this.encodeData(null, data, endStream, false);
  }

  receiveResponseTrailers(trailers: HeaderMap): void {
    if (this.destroyed || this.localComplete) return;
    this.responseTrailers = trailers;
    this.localComplete = true;
    this.encodeTrailers(null, trailers);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Decoding
  // ---------------------------------------------------------------------------------------------------------------

  private decodeHeaders(from: Entry | null, headers: HeaderMap, endStream: boolean): void {
    for (let i = from === null ? 0 : from.index + 1; i < this.decoders.length; i++) {
      const e = this.decoders[i]!;
      e.endStream = endStream;
      const status = e.filter.decodeHeaders ? e.filter.decodeHeaders(headers, endStream) : FilterHeadersStatus.Continue;
      if (this.destroyed || this.localComplete) return;
      if (status === FilterHeadersStatus.StopIteration) {
        e.iteration = "single";
        return;
      }
      if (status === FilterHeadersStatus.StopAllIterationAndBuffer) {
        e.iteration = "allBuffer";
        return;
      }
      if (status === FilterHeadersStatus.StopAllIterationAndWatermark) {
        e.iteration = "allWatermark";
        return;
      }
      e.headersContinued = true;
    }
  }

  private decodeData(from: Entry | null, data: DataBuffer, endStream: boolean, fromCurrent: boolean): void {
    const trailersAtStart = this.requestTrailers !== null;
    let trailersAddedAt: Entry | null = null;
    let start = 0;
    if (from) start = fromCurrent && from.iterateFromCurrent ? from.index : from.index + 1;
    for (let i = start; i < this.decoders.length; i++) {
      const e = this.decoders[i]!;
      if (e.stoppedAll) {
        this.decoderFiltersStreaming = e.iteration === "allWatermark";
        this.bufferRequestData(data);
        return;
      }
      if (e.endStream) return;
      e.endStream = endStream && this.requestTrailers === null;
      let status: FilterDataStatus = FilterDataStatus.Continue;
      if (e.filter.decodeData) {
        this.lastDataDecoder = e.endStream ? e : null;
        try {
          status = e.filter.decodeData(data, e.endStream);
        } finally {
          this.lastDataDecoder = null;
        }
      }
      if (this.destroyed || this.localComplete) return;
      if (!trailersAtStart && this.requestTrailers !== null && trailersAddedAt === null) {
        endStream = false;
        trailersAddedAt = e;
      }
      if (!this.afterDecodeData(e, status, data) && i !== this.decoders.length - 1) {
        if (trailersAddedAt) this.decodeTrailers(trailersAddedAt, this.requestTrailers!);
        return;
      }
    }
    // The terminal filter (router) consumed the data.
    if (this.bufferedRequestData === data) this.bufferedRequestData = null;
    if (trailersAddedAt) this.decodeTrailers(trailersAddedAt, this.requestTrailers!);
  }

  /** `commonHandleAfterDataCallback` for decoders. True = keep iterating. */
  private afterDecodeData(e: Entry, status: FilterDataStatus, data: DataBuffer): boolean {
    if (status === FilterDataStatus.Continue) {
      if (e.iteration === "single") {
        this.bufferRequestData(data);
        this.continueDecoding(e);
        return false;
      }
      return true;
    }
    e.iteration = "single";
    if (status === FilterDataStatus.StopIterationAndBuffer || status === FilterDataStatus.StopIterationAndWatermark) {
      this.decoderFiltersStreaming = status === FilterDataStatus.StopIterationAndWatermark;
      this.bufferRequestData(data);
    } else if (this.remoteDecodeComplete && this.requestTrailers === null && this.bufferedRequestData === null) {
      this.bufferedRequestData = new DataBuffer();
    }
    return false;
  }

  /** `commonHandleBufferData` + the watermark check: buffering past the limit → 413 (not when watermarking). */
  private bufferRequestData(data: DataBuffer): void {
    if (this.bufferedRequestData === data) return;
    if (!this.bufferedRequestData) this.bufferedRequestData = new DataBuffer();
    this.bufferedRequestData.move(data);
    if (this.bufferedRequestData.length > this.options.bufferLimitBytes && !this.decoderFiltersStreaming) {
      this.sendLocalReply(413, "Payload Too Large", null, null, "request_payload_too_large");
    }
  }

  private decodeTrailers(from: Entry | null, trailers: HeaderMap): void {
    for (let i = from === null ? 0 : from.index + 1; i < this.decoders.length; i++) {
      const e = this.decoders[i]!;
      if (e.stoppedAll) return;
      e.endStream = true;
      const status = e.filter.decodeTrailers ? e.filter.decodeTrailers(trailers) : FilterTrailersStatus.Continue;
      if (this.destroyed || this.localComplete) return;
      if (status === FilterTrailersStatus.Continue) {
        if (e.iteration === "single") {
          this.continueDecoding(e);
          return;
        }
      } else {
        e.iteration = "single";
        return;
      }
    }
  }

  /** `ActiveStreamFilterBase::commonContinue` for a decoder filter. */
  private continueDecoding(e: Entry): void {
    if (this.localComplete || this.destroyed) return;
    if (e.stoppedAll) e.iterateFromCurrent = true;
    e.iteration = "continue";
    if (!e.headersContinued) {
      e.headersContinued = true;
      this.decodeHeaders(
        e,
        this.requestHeaders!,
        this.remoteDecodeComplete && this.bufferedRequestData === null && this.requestTrailers === null,
      );
    }
    const hadTrailers = this.requestTrailers !== null;
    if (this.bufferedRequestData && !this.destroyed && !this.localComplete) {
      const data = this.bufferedRequestData;
      this.decodeData(e, data, this.remoteDecodeComplete && !hadTrailers, true);
    }
    if (hadTrailers && !this.destroyed && !this.localComplete) this.decodeTrailers(e, this.requestTrailers!);
    e.iterateFromCurrent = false;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Encoding
  // ---------------------------------------------------------------------------------------------------------------

  private encodeHeaders(from: Entry | null, headers: HeaderMap, endStream: boolean): void {
    for (let i = from === null ? 0 : from.index + 1; i < this.encoders.length; i++) {
      const e = this.encoders[i]!;
      e.endStream = endStream;
      const status = e.filter.encodeHeaders ? e.filter.encodeHeaders(headers, endStream) : FilterHeadersStatus.Continue;
      if (this.destroyed || this.remoteEncodeComplete) return;
      if (status === FilterHeadersStatus.StopIteration) {
        e.iteration = "single";
        return;
      }
      if (status === FilterHeadersStatus.StopAllIterationAndBuffer) {
        e.iteration = "allBuffer";
        return;
      }
      if (status === FilterHeadersStatus.StopAllIterationAndWatermark) {
        e.iteration = "allWatermark";
        return;
      }
      e.headersContinued = true;
    }
    this.writeHeadersToClient(headers, endStream && this.bufferedResponseData === null, false);
  }

  private encodeData(from: Entry | null, data: DataBuffer, endStream: boolean, fromCurrent: boolean): void {
    const trailersAtStart = this.responseTrailers !== null;
    let trailersAddedAt: Entry | null = null;
    let start = 0;
    if (from) start = fromCurrent && from.iterateFromCurrent ? from.index : from.index + 1;
    for (let i = start; i < this.encoders.length; i++) {
      const e = this.encoders[i]!;
      if (e.stoppedAll) {
        this.encoderFiltersStreaming = e.iteration === "allWatermark";
        this.bufferResponseData(data);
        return;
      }
      if (e.endStream) return;
      e.endStream = endStream && this.responseTrailers === null;
      let status: FilterDataStatus = FilterDataStatus.Continue;
      if (e.filter.encodeData) {
        this.lastDataEncoder = e.endStream ? e : null;
        try {
          status = e.filter.encodeData(data, e.endStream);
        } finally {
          this.lastDataEncoder = null;
        }
      }
      if (this.destroyed || this.remoteEncodeComplete) return;
      if (!trailersAtStart && this.responseTrailers !== null && trailersAddedAt === null) {
        endStream = false;
        trailersAddedAt = e;
      }
      if (!this.afterEncodeData(e, status, data)) {
        if (trailersAddedAt) this.encodeTrailers(trailersAddedAt, this.responseTrailers!);
        return;
      }
    }
    this.writeDataToClient(data, endStream);
    if (trailersAddedAt) this.encodeTrailers(trailersAddedAt, this.responseTrailers!);
  }

  private afterEncodeData(e: Entry, status: FilterDataStatus, data: DataBuffer): boolean {
    if (status === FilterDataStatus.Continue) {
      if (e.iteration === "single") {
        this.bufferResponseData(data);
        this.continueEncoding(e);
        return false;
      }
      return true;
    }
    e.iteration = "single";
    if (status === FilterDataStatus.StopIterationAndBuffer || status === FilterDataStatus.StopIterationAndWatermark) {
      this.encoderFiltersStreaming = status === FilterDataStatus.StopIterationAndWatermark;
      this.bufferResponseData(data);
    } else if (this.localComplete && this.responseTrailers === null && this.bufferedResponseData === null) {
      this.bufferedResponseData = new DataBuffer();
    }
    return false;
  }

  private bufferResponseData(data: DataBuffer): void {
    if (this.bufferedResponseData === data) return;
    if (!this.bufferedResponseData) this.bufferedResponseData = new DataBuffer();
    this.bufferedResponseData.move(data);
    if (this.bufferedResponseData.length > this.options.bufferLimitBytes && !this.encoderFiltersStreaming) {
      this.sendLocalReply(500, "Internal Server Error", null, null, "response_payload_too_large");
    }
  }

  private encodeTrailers(from: Entry | null, trailers: HeaderMap): void {
    for (let i = from === null ? 0 : from.index + 1; i < this.encoders.length; i++) {
      const e = this.encoders[i]!;
      if (e.stoppedAll) return;
      e.endStream = true;
      const status = e.filter.encodeTrailers ? e.filter.encodeTrailers(trailers) : FilterTrailersStatus.Continue;
      if (this.destroyed || this.remoteEncodeComplete) return;
      if (status === FilterTrailersStatus.Continue) {
        if (e.iteration === "single") {
          this.continueEncoding(e);
          return;
        }
      } else {
        e.iteration = "single";
        return;
      }
    }
    this.writeTrailersToClient(trailers);
  }

  private continueEncoding(e: Entry): void {
    if (this.remoteEncodeComplete || this.destroyed) return;
    if (e.stoppedAll) e.iterateFromCurrent = true;
    e.iteration = "continue";
    if (!e.headersContinued) {
      e.headersContinued = true;
      this.encodeHeaders(e, this.responseHeaders!, this.localComplete && this.bufferedResponseData === null && this.responseTrailers === null);
    }
    const hadTrailers = this.responseTrailers !== null;
    if (this.bufferedResponseData && !this.destroyed && !this.remoteEncodeComplete) {
      const data = this.bufferedResponseData;
      this.encodeData(e, data, this.localComplete && !hadTrailers, true);
    }
    if (hadTrailers && !this.destroyed && !this.remoteEncodeComplete) this.encodeTrailers(e, this.responseTrailers!);
    e.iterateFromCurrent = false;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // To the client
  // ---------------------------------------------------------------------------------------------------------------

  private writeHeadersToClient(headers: HeaderMap, endStream: boolean, localReply: boolean): void {
    const d = this.downstream;
    if (d.headers) return;
    this.host.onEncodeHeadersToClient(headers, localReply || this.localReplySent);
    d.headers = headers;
    d.status = Number(headers.get(":status") ?? 0);
    this.streamInfo.responseCode = d.status;
    if (endStream) this.endResponse();
  }

  private writeDataToClient(data: DataBuffer, endStream: boolean): void {
    const d = this.downstream;
    if (!d.headers) {
      // Data before headers cannot happen: headers always complete the encoder chain first.
      return;
    }
    if (!this.options.isHeadRequest) {
      d.body.add(data.bytes());
      this.streamInfo.bytesSent += data.length;
    }
    if (this.bufferedResponseData === data) this.bufferedResponseData = null;
    if (endStream) this.endResponse();
  }

  private writeTrailersToClient(trailers: HeaderMap): void {
    this.downstream.trailers = trailers;
    this.endResponse();
  }

  private endResponse(): void {
    if (this.remoteEncodeComplete) return;
    this.remoteEncodeComplete = true;
    this.downstream.complete = true;
    this.endStream(!this.remoteDecodeComplete);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Local replies, resets, completion
  // ---------------------------------------------------------------------------------------------------------------

  /** Builds the local reply headers (Envoy `Utility::sendLocalReply`/`prepareLocalReply`). */
  private localReplyHeaders(code: number, body: string, modify: ((h: HeaderMap) => void) | null, grpcStatus: number | null): {
    headers: HeaderMap;
    body: string;
  } {
    const headers = new HeaderMap(RESPONSE_INLINE_HEADERS);
    headers.add(":status", String(code));
    if (modify) modify(headers);
    if (this.options.isGrpcRequest) {
      headers.set(":status", "200");
      headers.set("content-type", "application/grpc");
      headers.set("grpc-status", String(grpcStatus ?? httpToGrpcStatus(code)));
      if (body.length > 0) headers.set("grpc-message", encodeURIComponent(Buffer.from(body, "latin1").toString("utf8")));
      return { headers, body: "" };
    }
    if (body.length > 0 && !this.options.isHeadRequest) {
      headers.set("content-length", String(body.length));
      if (headers.get("content-type") === undefined) headers.set("content-type", "text/plain");
    } else {
      headers.remove("content-length");
      headers.remove("content-type");
    }
    return { headers, body: this.options.isHeadRequest ? "" : body };
  }

  /** `FilterManager::sendLocalReply`. */
  sendLocalReply(
    code: number,
    body: string,
    modify: ((h: HeaderMap) => void) | null,
    grpcStatus: number | null,
    details: string,
  ): void {
    if (this.destroyed) return;
    this.streamInfo.responseCodeDetails = details;
    this.streamInfo.responseCode = this.options.isGrpcRequest ? 200 : code;
    this.localReplySent = true;
    const reply = this.localReplyHeaders(code, body, modify, grpcStatus);
    if (this.responseHeaders === null) {
      // Through the encoder chain, from its start.
      this.responseHeaders = reply.headers;
      const endOnHeaders = reply.body.length === 0;
      this.localComplete = endOnHeaders;
      this.encodeHeaders(null, reply.headers, endOnHeaders);
      if (!endOnHeaders && !this.destroyed) {
        this.localComplete = true;
        this.encodeData(null, new DataBuffer(reply.body), true, false);
      }
      return;
    }
    if (this.downstream.headers === null) {
      // Response headers exist but have not been sent: straight to the client, bypassing the filters.
      this.localComplete = true;
      this.writeHeadersToClient(reply.headers, reply.body.length === 0, true);
      if (reply.body.length > 0 && !this.destroyed) {
        this.downstream.body.clear();
        this.writeDataToClient(new DataBuffer(reply.body), true);
      }
      return;
    }
    this.resetStream();
  }

  /** `resetStream()`: the client gets nothing more; the stream ends. */
  resetStream(details?: string): void {
    if (this.destroyed) return;
    if (details && this.streamInfo.responseCodeDetails === null) this.streamInfo.responseCodeDetails = details;
    this.downstream.reset = true;
    this.endStream(true);
  }

  /** HCM `doEndStream` → `doDeferredStreamDestroy`: logs, then destroys, in chain order. */
  private endStream(reset: boolean): void {
    if (this.destroyed) return;
    if (reset && !this.downstream.complete) this.downstream.reset = true;
    this.destroyed = true;
    this.streamInfo.requestCompleteMs ??= this.host.nowMs();
    const logRequest = this.requestHeaders;
    const logResponse = this.downstream.headers ?? this.responseHeaders;
    const logTrailers = this.downstream.trailers ?? this.responseTrailers;
    for (const e of this.decoders) e.filter.log?.(logRequest, logResponse, logTrailers);
    for (const e of this.decoders) e.filter.onDestroy?.();
    this.host.onStreamEnd();
  }

  // ---------------------------------------------------------------------------------------------------------------

  private callbacksFor(entry: Entry): HttpFilterCallbacks {
    return new FilterCallbacks(this, entry);
  }

  /** @internal callbacks plumbing */
  encoderEntryOf(filter: HttpFilter): Entry | undefined {
    for (const e of this.encoders) if (e.filter === filter) return e;
    return undefined;
  }
  /** @internal */
  continueDecodingFrom(e: Entry): void {
    this.continueDecoding(e);
  }
  /** @internal */
  continueEncodingFrom(e: Entry): void {
    this.continueEncoding(e);
  }
  /** @internal */
  bufferRequest(data: DataBuffer, streaming: boolean): void {
    this.decoderFiltersStreaming = streaming;
    this.bufferRequestData(data);
  }
  /** @internal */
  bufferResponse(data: DataBuffer, streaming: boolean): void {
    this.encoderFiltersStreaming = streaming;
    this.bufferResponseData(data);
  }
  /** @internal `addDecodedTrailers`: valid in the last data callback of `entry` (else the existing map). */
  addRequestTrailers(entry: Entry): HeaderMap {
    if (this.lastDataDecoder !== entry && this.requestTrailers) return this.requestTrailers;
    this.requestTrailers ??= new HeaderMap();
    return this.requestTrailers;
  }
  /** @internal */
  addResponseTrailers(entry: Entry | undefined): HeaderMap {
    if (this.lastDataEncoder !== entry && this.responseTrailers) return this.responseTrailers;
    this.responseTrailers ??= new HeaderMap(TRAILER_INLINE_HEADERS);
    return this.responseTrailers;
  }
}

/** The callbacks one filter gets (no per-stream closures: this is on the per-request path). */
class FilterCallbacks implements HttpFilterCallbacks {
  constructor(
    private readonly fm: FilterManager,
    private readonly entry: Entry,
  ) {}
  get streamInfo(): StreamInfo {
    return this.fm.streamInfo;
  }
  continueDecoding(): void {
    this.fm.continueDecodingFrom(this.entry);
  }
  continueEncoding(): void {
    const e = this.fm.encoderEntryOf(this.entry.filter);
    if (e) this.fm.continueEncodingFrom(e);
  }
  sendLocalReply(code: number, body: string, modify: ((h: HeaderMap) => void) | null, grpcStatus: number | null, details: string): void {
    this.fm.sendLocalReply(code, body, modify, grpcStatus, details);
  }
  addDecodedData(data: DataBuffer, streaming: boolean): void {
    this.fm.bufferRequest(data, streaming);
  }
  addEncodedData(data: DataBuffer, streaming: boolean): void {
    this.fm.bufferResponse(data, streaming);
  }
  decodingBuffer(): DataBuffer {
    return (this.fm.bufferedRequestData ??= new DataBuffer());
  }
  encodingBuffer(): DataBuffer {
    return (this.fm.bufferedResponseData ??= new DataBuffer());
  }
  addDecodedTrailers(): HeaderMap {
    return this.fm.addRequestTrailers(this.entry);
  }
  addEncodedTrailers(): HeaderMap {
    return this.fm.addResponseTrailers(this.fm.encoderEntryOf(this.entry.filter));
  }
  resetStream(details?: string): void {
    this.fm.resetStream(details);
  }
  clearRouteCache(): void {}
  loseRoute(): void {
    this.fm.routeLost = true;
  }
}

export { HTTP_REASON };
