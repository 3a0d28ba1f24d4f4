/**
 * Enumerations that cross the proxy-wasm ABI boundary, with the numeric values of
 * proxy-wasm spec v0.2.1 ("Types") and, where Envoy sends or understands more, of
 * proxy-wasm-cpp-sdk `proxy_wasm_common.h` / `proxy_wasm_enums.h`.
 *
 * Members are the spec names in PascalCase (`NOT_FOUND` → `NotFound`), always with explicit numbers.
 * This file mirrors `assembly/abi/enums.ts` (the SDK side) name for name and number for number;
 * `test/harness/enums.test.ts` compares both. Host-only enumerations live next to their users.
 */

/** `proxy_status_t`: the result of every `proxy_*` hostcall. */
export enum Status {
  Ok = 0,
  NotFound = 1,
  BadArgument = 2,
  SerializationFailure = 3,
  ParseFailure = 4,
  /** Not in the spec; Envoy's CEL foreign functions return it (`WasmResult::BadExpression`). */
  BadExpression = 5,
  InvalidMemoryAccess = 6,
  Empty = 7,
  CasMismatch = 8,
  /** Not in the spec (`WasmResult::ResultMismatch`). */
  ResultMismatch = 9,
  InternalFailure = 10,
  /** Not in the spec; Envoy reports it from `proxy_get_status` after a failed HTTP call ("reset"). */
  BrokenConnection = 11,
  Unimplemented = 12,
}

/** `proxy_log_level_t`. */
export enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
  /**
   * Not in the spec: Envoy's `proxy_get_log_level` returns the spdlog level of its `wasm` logger,
   * which is 6 when that logger is off. Never pass it to `proxy_log` (BAD_ARGUMENT).
   */
  Off = 6,
}

/** `proxy_action_t`: what an HTTP or TCP stream callback returns. */
export enum Action {
  Continue = 0,
  Pause = 1,
}

/**
 * Envoy-specific return values of `proxy_on_request_headers`/`proxy_on_response_headers`
 * (cpp-sdk `FilterHeadersStatus`). Cast to {@link Action} to return one. Envoy translates Pause (1)
 * into StopAllIterationAndWatermark unless the plugin sets `allow_on_headers_stop_iteration`
 * (host-behaviour.md F.14); 2 is treated as Continue.
 */
export enum HeadersStatus {
  Continue = 0,
  StopIteration = 1,
  ContinueAndEndStream = 2,
  StopAllIterationAndBuffer = 3,
  StopAllIterationAndWatermark = 4,
}

/** Envoy-specific return values of the body callbacks (cpp-sdk `FilterDataStatus`). Cast to {@link Action}. */
export enum DataStatus {
  Continue = 0,
  StopIterationAndBuffer = 1,
  StopIterationAndWatermark = 2,
  StopIterationNoBuffer = 3,
}

/** `proxy_buffer_type_t`. */
export enum BufferType {
  HttpRequestBody = 0,
  HttpResponseBody = 1,
  DownstreamData = 2,
  UpstreamData = 3,
  HttpCallResponseBody = 4,
  GrpcCallMessage = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
  ForeignFunctionArguments = 8,
}

/** `proxy_map_type_t`. */
export enum MapType {
  HttpRequestHeaders = 0,
  HttpRequestTrailers = 1,
  HttpResponseHeaders = 2,
  HttpResponseTrailers = 3,
  GrpcCallInitialMetadata = 4,
  GrpcCallTrailingMetadata = 5,
  HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7,
}

/** `proxy_stream_type_t` (ABI ≥ 0.2.0). */
export enum StreamType {
  HttpRequest = 0,
  HttpResponse = 1,
  Downstream = 2,
  Upstream = 3,
}

/** `proxy_peer_type_t`: which side closed a TCP connection. */
export enum PeerType {
  Unknown = 0,
  Local = 1,
  Remote = 2,
}

/** `proxy_metric_type_t`. */
export enum MetricType {
  Counter = 0,
  Gauge = 1,
  Histogram = 2,
}

/** gRPC status codes (0..16) for `sendLocalResponse`; `InvalidCode` (-1) sends no `grpc-status`. */
export enum GrpcStatus {
  InvalidCode = -1,
  Ok = 0,
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
}

/** `wasi_errno_t`, the values the proxy-wasm spec and cpp-host use. */
export enum WasiErrno {
  Success = 0,
  Badf = 8,
  Notdir = 20,
  Fault = 21,
  Inval = 28,
  Noent = 44,
  Nosys = 52,
  Notsup = 58,
  Notcapable = 76,
}

/** `wasi_clock_id_t`. */
export enum WasiClockId {
  Realtime = 0,
  Monotonic = 1,
}

/**
 * Envoy `envoy.source.extensions.common.wasm.WasmType` (ext/declare_property.proto): how a declared
 * property's bytes are interpreted when read back through `proxy_get_property` or CEL.
 */
export enum PropertyType {
  Bytes = 0,
  String = 1,
  FlatBuffers = 2,
  Protobuf = 3,
}

/**
 * Envoy `envoy.source.extensions.common.wasm.LifeSpan` (ext/declare_property.proto): how long a filter-state
 * object written by `declare_property` / `set_envoy_filter_state` lives.
 */
export enum LifeSpan {
  FilterChain = 0,
  DownstreamRequest = 1,
  DownstreamConnection = 2,
}
