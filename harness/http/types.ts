/**
 * Envoy's HTTP filter vocabulary, host side: the statuses a filter returns to the filter manager
 * (`envoy/http/filter.h`) and the callbacks a filter gets from it. The Wasm filter (`context.ts`), the simulated
 * native filters and the router all speak it, so the filter manager can run them in one chain.
 */
import type { DataBuffer } from "../state/buffer";
import type { HeaderMap } from "../state/header-map";
import type { StreamInfo } from "../properties/stream-info";

/** `Http::FilterHeadersStatus`. */
export const FilterHeadersStatus = {
  Continue: 0,
  StopIteration: 1,
  StopAllIterationAndBuffer: 3,
  StopAllIterationAndWatermark: 4,
} as const;
export type FilterHeadersStatus = (typeof FilterHeadersStatus)[keyof typeof FilterHeadersStatus];

/** `Http::FilterDataStatus`. */
export const FilterDataStatus = {
  Continue: 0,
  StopIterationAndBuffer: 1,
  StopIterationAndWatermark: 2,
  StopIterationNoBuffer: 3,
} as const;
export type FilterDataStatus = (typeof FilterDataStatus)[keyof typeof FilterDataStatus];

/** `Http::FilterTrailersStatus`. */
export const FilterTrailersStatus = { Continue: 0, StopIteration: 1 } as const;
export type FilterTrailersStatus = (typeof FilterTrailersStatus)[keyof typeof FilterTrailersStatus];

/** `Network::FilterStatus`. */
export const NetworkFilterStatus = { Continue: 0, StopIteration: 1 } as const;
export type NetworkFilterStatus = (typeof NetworkFilterStatus)[keyof typeof NetworkFilterStatus];

/** What the filter manager offers a filter (`StreamDecoderFilterCallbacks` ∪ `StreamEncoderFilterCallbacks`). */
export interface HttpFilterCallbacks {
  readonly streamInfo: StreamInfo;
  /** Resume decoding from this filter (`continueDecoding`). */
  continueDecoding(): void;
  /** Resume encoding from this filter (`continueEncoding`). */
  continueEncoding(): void;
  /**
   * `sendLocalReply(code, body, modify_headers, grpc_status, details)`: through the encoder chain when the response
   * has not started, straight to the client when response headers exist but were not sent, a reset otherwise.
   */
  sendLocalReply(
    code: number,
    body: string,
    modifyHeaders: ((headers: HeaderMap) => void) | null,
    grpcStatus: number | null,
    details: string,
  ): void;
  /** `addDecodedData(data, streaming)`: buffer `data` (moved) into the filter manager's request buffer. */
  addDecodedData(data: DataBuffer, streaming: boolean): void;
  addEncodedData(data: DataBuffer, streaming: boolean): void;
  /** `modifyDecodingBuffer`: the filter manager's buffered request data (created if missing). */
  decodingBuffer(): DataBuffer;
  encodingBuffer(): DataBuffer;
  /** `addDecodedTrailers()` / `addEncodedTrailers()`: only valid in the last data callback. */
  addDecodedTrailers(): HeaderMap;
  addEncodedTrailers(): HeaderMap;
  /** `resetStream()`. */
  resetStream(details?: string): void;
  clearRouteCache(): void;
  /**
   * The request headers were replaced wholesale (`proxy_set_header_map_pairs`): Envoy 1.40 then finds no route
   * for the request (observed: 404 `route_not_found` even with `:path`/`:authority` set, docs/E2E.md).
   */
  loseRoute(): void;
}

/** What a filter in the chain implements (`Http::StreamFilter` + access logging). All optional. */
export interface HttpFilter {
  readonly name: string;
  setCallbacks?(callbacks: HttpFilterCallbacks): void;
  decodeHeaders?(headers: HeaderMap, endStream: boolean): FilterHeadersStatus;
  decodeData?(data: DataBuffer, endStream: boolean): FilterDataStatus;
  decodeTrailers?(trailers: HeaderMap): FilterTrailersStatus;
  encodeHeaders?(headers: HeaderMap, endStream: boolean): FilterHeadersStatus;
  encodeData?(data: DataBuffer, endStream: boolean): FilterDataStatus;
  encodeTrailers?(trailers: HeaderMap): FilterTrailersStatus;
  /** Access log (`AccessLog::Instance::log`), called once the stream is complete, before `onDestroy`. */
  log?(requestHeaders: HeaderMap | null, responseHeaders: HeaderMap | null, responseTrailers: HeaderMap | null): void;
  onDestroy?(): void;
}

/** What a network filter gets (`ReadFilterCallbacks` / `WriteFilterCallbacks`). */
export interface NetworkFilterCallbacks {
  readonly streamInfo: StreamInfo;
  continueReading(): void;
  /** Close the downstream (`read` side) or upstream (`write` side) connection with FlushWrite. */
  closeConnection(side: "downstream" | "upstream", details: string): void;
}
