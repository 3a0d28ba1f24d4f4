/**
 * A proxy-wasm context, host side: the union of cpp-host `ContextBase` (calls into the VM, failure checks, result
 * translation) and Envoy's `Context` (the HTTP/TCP filter, header maps and buffers by availability window, local
 * replies, properties, callouts). One object per VM context id: the VM context (0), one root context per plugin on
 * that VM, and one per HTTP stream or TCP connection.
 *
 * Availability rules follow Envoy's pointers: a header map or body is reachable only while Envoy holds it (during
 * its callback, or while the plugin keeps the stream stopped), and `on_log` sees the access-log copies
 * (host-behaviour.md F.16, F.22).
 */
import { Buffer } from "node:buffer";
import type { BytePair } from "./codec";
import { MapType, Status, StreamType, PeerType } from "./enums";
import { DataBuffer } from "./state/buffer";
import type { HeaderMap } from "./state/header-map";
import { FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, NetworkFilterStatus } from "./http/types";
import type { HttpFilter, HttpFilterCallbacks, NetworkFilterCallbacks } from "./http/types";
import type { WasmVm } from "./vm";
import type { PluginRuntime } from "./plugin";
import type { StreamInfo } from "./properties/stream-info";
import { getProperty, type PropertyScope } from "./properties/catalogue";
import type { CalloutResponse, HttpCallHandle, GrpcCallHandle, GrpcStreamHandle } from "./http/callouts";
import type { LogLevelName } from "./scenario/types";

/**
 * What `getBuffer` hands a hostcall: Envoy's `Wasm::Buffer`. Mutable when it wraps a live body/TCP buffer,
 * read-only when it wraps a string (configuration, callout body) — and, quirk, a "null" buffer (Envoy's
 * `buffer_.set(nullptr)`) that reads as empty rather than NOT_FOUND.
 */
export class WasmBuffer {
  mutable: DataBuffer | null = null;
  data: Uint8Array | null = null;

  setMutable(b: DataBuffer | null): this {
    this.mutable = b;
    this.data = null;
    return this;
  }

  setData(d: Uint8Array): this {
    this.mutable = null;
    this.data = d;
    return this;
  }

  size(): number {
    return this.mutable ? this.mutable.length : this.data ? this.data.length : 0;
  }

  slice(start: number, length: number): Uint8Array {
    if (this.mutable) return this.mutable.slice(start, length);
    if (this.data) return this.data.subarray(start, start + length);
    return new Uint8Array(0);
  }

  /**
   * Envoy `Buffer::copyFrom`: `start == 0` drains `length` bytes then prepends the data; `start >= size` appends;
   * anything else, or a read-only buffer, is BAD_ARGUMENT (host-behaviour.md F.21).
   */
  copyFrom(start: number, length: number, data: Uint8Array): Status {
    const b = this.mutable;
    if (!b) return Status.BadArgument;
    if (start === 0) {
      if (length !== 0) b.drain(length);
      b.prepend(data);
      return Status.Ok;
    }
    if (start >= b.length) {
      b.add(data);
      return Status.Ok;
    }
    return Status.BadArgument;
  }
}

/** A `declare_property` prototype (Envoy `CelStatePrototype`). */
export interface StatePrototype {
  readOnly: boolean;
  type: number;
  schema: string;
  span: number;
}

export class Context implements HttpFilter {
  readonly id: number;
  readonly isRoot: boolean;
  /** cpp-host `in_vm_context_created_`: `on_context_create` was sent (or the SDK needs none). */
  inVmContextCreated = false;
  destroyed = false;
  /** cpp-host `temp_plugin_`: set while `on_context_create`(root)/`on_configure` run; gates PLUGIN_CONFIGURATION. */
  tempPluginConfiguration: Uint8Array | null = null;
  /** cpp-host `stream_failed_`. */
  private streamFailed = false;
  /** Envoy `buffer_`: the scratch buffer `getBuffer` fills, and what buffer type 8 (CallData) returns as is. */
  readonly scratch = new WasmBuffer();

  // Root-context state --------------------------------------------------------------------------------------
  readonly httpRequests = new Map<number, HttpCallHandle>();
  readonly grpcCalls = new Map<number, GrpcCallHandle>();
  readonly grpcStreams = new Map<number, GrpcStreamHandle>();
  httpCallResponse: CalloutResponse | null = null;
  grpcReceiveBuffer: DataBuffer | null = null;
  grpcReceiveInitialMetadata: HeaderMap | null = null;
  grpcReceiveTrailingMetadata: HeaderMap | null = null;
  statusCode = 0;
  statusMessage = "";
  readonly statePrototypes = new Map<string, StatePrototype>();

  // HTTP stream state ---------------------------------------------------------------------------------------
  http: HttpFilterCallbacks | null = null;
  requestHeaders: HeaderMap | null = null;
  requestBody: DataBuffer | null = null;
  requestTrailers: HeaderMap | null = null;
  responseHeaders: HeaderMap | null = null;
  responseBody: DataBuffer | null = null;
  responseTrailers: HeaderMap | null = null;
  bufferingRequestBody = false;
  bufferingResponseBody = false;
  endOfStream = false;
  /** True only inside `decodeData(..., end_stream=true)`: when Envoy lets a plugin add request trailers. */
  private inLastDecodeData = false;
  private inLastEncodeData = false;
  accessLogPhase = false;
  accessLogRequestHeaders: HeaderMap | null = null;
  accessLogResponseHeaders: HeaderMap | null = null;
  accessLogResponseTrailers: HeaderMap | null = null;
  accessLogStreamInfo: StreamInfo | null = null;
  failureLocalReplySent = false;

  // TCP state -----------------------------------------------------------------------------------------------
  network: NetworkFilterCallbacks | null = null;
  downstreamData: DataBuffer | null = null;
  upstreamData: DataBuffer | null = null;
  private downstreamClosed = false;
  private tcpConnectionClosed = false;

  constructor(
    readonly vm: WasmVm,
    /** Null only for the VM context (id 0). */
    readonly plugin: PluginRuntime | null,
    /** 0 for the VM context and root contexts; the root id for streams. */
    readonly parentId: number,
    kind: "vm" | "root" | "stream",
  ) {
    this.id = kind === "vm" ? 0 : vm.allocContextId();
    this.isRoot = parentId === 0;
    vm.contexts.set(this.id, this);
  }

  get rootContext(): Context {
    if (this.isRoot) return this;
    return this.vm.contexts.get(this.parentId) ?? this;
  }

  /** cpp-host `root_id()`. */
  get rootId(): string {
    return this.plugin?.rootId ?? "";
  }

  /** cpp-host `log_prefix()`: roots use ` root_id vm_id`, streams ` name root_id vm_id` (empty parts skipped). */
  get logPrefix(): string {
    if (!this.plugin) return this.vm.vmId ? ` ${this.vm.vmId}` : "";
    return this.isRoot ? this.plugin.rootLogPrefix : this.plugin.logPrefix;
  }

  get isFailed(): boolean {
    return this.vm.isFailed;
  }

  get allowOnHeadersStopIteration(): boolean {
    return this.plugin?.allowOnHeadersStopIteration ?? false;
  }

  /** Stream info: the filter's, else the access-log one, else the connection's (Envoy `getConstRequestStreamInfo`). */
  get streamInfo(): StreamInfo | null {
    if (this.http) return this.http.streamInfo;
    if (this.accessLogStreamInfo) return this.accessLogStreamInfo;
    if (this.network) return this.network.streamInfo;
    return null;
  }

  // ===========================================================================================================
  // Failure handling (cpp-host CHECK_FAIL)
  // ===========================================================================================================

  /**
   * When the VM has failed: send the `wasm_fail_stream` reply once, then `closed`. Returns undefined when the VM is
   * healthy. cpp-host returns `open` here when the plugin's `fail_open_` is set, but Envoy 1.40 configured with
   * `failure_policy: FAIL_OPEN` leaves it unset: the stream whose callback trapped still gets the 503, and only
   * later streams skip the plugin (observed with Envoy 1.40, docs/E2E.md). `open` is kept for that code path.
   */
  private checkFail<T>(open: T, closed: T, network: boolean): T | undefined {
    if (!this.isFailed) return undefined;
    if (this.plugin?.failOpenInFlight) return open;
    if (!this.streamFailed) {
      if (network) {
        this.failStream(StreamType.Downstream);
        this.failStream(StreamType.Upstream);
      } else {
        this.failStream(StreamType.HttpRequest);
        this.failStream(StreamType.HttpResponse);
      }
      this.streamFailed = true;
    }
    return closed;
  }

  /** Envoy `Context::failStream`: a 503 `wasm_fail_stream` local reply (gRPC UNAVAILABLE), or a TCP close. */
  failStream(type: StreamType): void {
    if (type === StreamType.HttpRequest || type === StreamType.HttpResponse) {
      if (this.http && !this.failureLocalReplySent) {
        this.failureLocalReplySent = true;
        this.http.sendLocalReply(503, "", null, 14, "wasm_fail_stream");
      }
    } else if (this.network) {
      this.network.closeConnection(type === StreamType.Downstream ? "downstream" : "upstream", "");
    }
  }

  // ===========================================================================================================
  // Root lifecycle (cpp-host ContextBase::onStart/onConfigure/onCreate/…)
  // ===========================================================================================================

  /** `on_context_create(root, 0)` then `on_vm_start(root, vm_config_size)`. False = start failed. */
  onStart(): boolean {
    const vm = this.vm;
    const fn = vm.fn;
    let result = true;
    try {
      if (fn.proxy_on_context_create) {
        this.tempPluginConfiguration = this.plugin?.configuration ?? null;
        vm.call(this, "proxy_on_context_create", fn.proxy_on_context_create, this.id, 0);
        this.inVmContextCreated = true;
        this.tempPluginConfiguration = null;
      }
      if (fn.proxy_on_vm_start) {
        const r = vm.call(this, "proxy_on_vm_start", fn.proxy_on_vm_start, this.id, vm.settings.vmConfiguration.length);
        result = r !== undefined && r !== 0;
      }
    } finally {
      vm.afterCall();
    }
    return result;
  }

  /** `on_configure(root, plugin_config_size)`. A failed VM reports success (cpp-host `onConfigure`). */
  onConfigure(): boolean {
    if (this.isFailed) return true;
    const vm = this.vm;
    const fn = vm.fn;
    if (!this.inVmContextCreated && fn.proxy_on_context_create) {
      try {
        vm.call(this, "proxy_on_context_create", fn.proxy_on_context_create, this.id, 0);
      } finally {
        vm.afterCall();
      }
    }
    this.inVmContextCreated = true;
    if (!fn.proxy_on_configure) return true;
    try {
      this.tempPluginConfiguration = this.plugin!.configuration;
      const r = vm.call(this, "proxy_on_configure", fn.proxy_on_configure, this.id, this.plugin!.configuration.length);
      this.tempPluginConfiguration = null;
      return r !== undefined && r !== 0;
    } finally {
      this.tempPluginConfiguration = null;
      vm.afterCall();
    }
  }

  /** cpp-host `onCreate`: `on_context_create(ctx, root)` once, skipped when the VM failed. */
  onCreate(): void {
    const fn = this.vm.fn;
    if (!this.isFailed && !this.inVmContextCreated && fn.proxy_on_context_create) {
      try {
        this.vm.call(this, "proxy_on_context_create", fn.proxy_on_context_create, this.id, this.parentId);
      } finally {
        this.vm.afterCall();
      }
    }
    this.inVmContextCreated = true;
  }

  onTick(): void {
    const f = this.vm.fn.proxy_on_tick;
    if (this.isFailed || !f) return;
    try {
      this.vm.call(this, "proxy_on_tick", f, this.id);
    } finally {
      this.vm.afterCall();
    }
  }

  onQueueReady(token: number): void {
    const f = this.vm.fn.proxy_on_queue_ready;
    if (this.isFailed || !f) return;
    try {
      this.vm.call(this, "proxy_on_queue_ready", f, this.id, token);
    } finally {
      this.vm.afterCall();
    }
  }

  /** Only tests call this in Envoy; arguments are readable as buffer type 8 during the call. */
  onForeignFunction(functionId: number, args: Uint8Array): void {
    const f = this.vm.fn.proxy_on_foreign_function;
    if (!f) return;
    this.scratch.setData(args);
    try {
      this.vm.call(this, "proxy_on_foreign_function", f, this.id, functionId, args.length);
    } finally {
      this.vm.afterCall();
    }
  }

  /** `on_done`; the result only matters for root contexts. A failed VM counts as done. */
  onDone(): boolean {
    const f = this.vm.fn.proxy_on_done;
    if (this.isFailed || !f) return true;
    try {
      const r = this.vm.call(this, "proxy_on_done", f, this.id);
      return r === undefined ? true : r !== 0;
    } finally {
      this.vm.afterCall();
    }
  }

  onLog(): void {
    const f = this.vm.fn.proxy_on_log;
    if (this.isFailed || !f) return;
    try {
      this.vm.call(this, "proxy_on_log", f, this.id);
    } finally {
      this.vm.afterCall();
    }
  }

  onDelete(): void {
    const f = this.vm.fn.proxy_on_delete;
    if (!this.inVmContextCreated || this.isFailed || !f) return;
    try {
      this.vm.call(this, "proxy_on_delete", f, this.id);
    } finally {
      this.vm.afterCall();
    }
  }

  // ===========================================================================================================
  // HTTP stream callbacks (cpp-host ContextBase::onRequestHeaders… + Envoy Context::decodeHeaders…)
  // ===========================================================================================================

  /**
   * cpp-host `convertVmCallResultToFilterHeadersStatus` + Envoy `convertFilterHeadersStatus`: a local reply in
   * the callback or a value above 4 → StopAllIterationAndWatermark; 1 → StopAllIterationAndWatermark unless
   * `allow_on_headers_stop_iteration`; 2 (ContinueAndEndStream) → Continue (host-behaviour.md F.14).
   */
  private headersResult(result: unknown): FilterHeadersStatus {
    const r = (result as number) >>> 0;
    if (this.vm.stopIteration || r > 4) return FilterHeadersStatus.StopAllIterationAndWatermark;
    if (r === 1) {
      return this.allowOnHeadersStopIteration
        ? FilterHeadersStatus.StopIteration
        : FilterHeadersStatus.StopAllIterationAndWatermark;
    }
    if (r === 3) return FilterHeadersStatus.StopAllIterationAndBuffer;
    if (r === 4) return FilterHeadersStatus.StopAllIterationAndWatermark;
    return FilterHeadersStatus.Continue;
  }

  /** Body: 0 Continue, 1 StopIterationAndBuffer, 2 StopIterationAndWatermark, ≥3 or local reply NoBuffer. */
  private dataResult(result: unknown): FilterDataStatus {
    const r = (result as number) >>> 0;
    if (this.vm.stopIteration || r > 3) return FilterDataStatus.StopIterationNoBuffer;
    return r as FilterDataStatus;
  }

  /** Trailers: 0 Continue, anything else (or a local reply) StopIteration. */
  private trailersResult(result: unknown): FilterTrailersStatus {
    const r = (result as number) >>> 0;
    if (this.vm.stopIteration || r > 1) return FilterTrailersStatus.StopIteration;
    return r as FilterTrailersStatus;
  }

  private onRequestHeaders(numHeaders: number, endOfStream: boolean): FilterHeadersStatus {
    const W = FilterHeadersStatus.StopAllIterationAndWatermark;
    const failed = this.checkFail(FilterHeadersStatus.Continue, W, false);
    if (failed !== undefined) return failed;
    const vm = this.vm;
    const f1 = vm.fn.proxy_on_request_headers_abi_01;
    const f2 = vm.fn.proxy_on_request_headers_abi_02;
    if (!f1 && !f2) return FilterHeadersStatus.Continue;
    try {
      const r = f1
        ? vm.call(this, "proxy_on_request_headers", f1, this.id, numHeaders)
        : vm.call(this, "proxy_on_request_headers", f2!, this.id, numHeaders, endOfStream ? 1 : 0);
      const after = this.checkFail(FilterHeadersStatus.Continue, W, false);
      if (after !== undefined) return after;
      return this.headersResult(r);
    } finally {
      vm.afterCall();
    }
  }

  private onRequestBody(bodySize: number, endOfStream: boolean): FilterDataStatus {
    const N = FilterDataStatus.StopIterationNoBuffer;
    const failed = this.checkFail(FilterDataStatus.Continue, N, false);
    if (failed !== undefined) return failed;
    const f = this.vm.fn.proxy_on_request_body;
    if (!f) return FilterDataStatus.Continue;
    try {
      const r = this.vm.call(this, "proxy_on_request_body", f, this.id, bodySize, endOfStream ? 1 : 0);
      const after = this.checkFail(FilterDataStatus.Continue, N, false);
      if (after !== undefined) return after;
      return this.dataResult(r);
    } finally {
      this.vm.afterCall();
    }
  }

  private onRequestTrailers(numTrailers: number): FilterTrailersStatus {
    const S = FilterTrailersStatus.StopIteration;
    const failed = this.checkFail(FilterTrailersStatus.Continue, S, false);
    if (failed !== undefined) return failed;
    const f = this.vm.fn.proxy_on_request_trailers;
    if (!f) return FilterTrailersStatus.Continue;
    try {
      const r = this.vm.call(this, "proxy_on_request_trailers", f, this.id, numTrailers);
      const after = this.checkFail(FilterTrailersStatus.Continue, S, false);
      if (after !== undefined) return after;
      return this.trailersResult(r);
    } finally {
      this.vm.afterCall();
    }
  }

  private onResponseHeaders(numHeaders: number, endOfStream: boolean): FilterHeadersStatus {
    const W = FilterHeadersStatus.StopAllIterationAndWatermark;
    const failed = this.checkFail(FilterHeadersStatus.Continue, W, false);
    if (failed !== undefined) return failed;
    const vm = this.vm;
    const f1 = vm.fn.proxy_on_response_headers_abi_01;
    const f2 = vm.fn.proxy_on_response_headers_abi_02;
    if (!f1 && !f2) return FilterHeadersStatus.Continue;
    try {
      const r = f1
        ? vm.call(this, "proxy_on_response_headers", f1, this.id, numHeaders)
        : vm.call(this, "proxy_on_response_headers", f2!, this.id, numHeaders, endOfStream ? 1 : 0);
      const after = this.checkFail(FilterHeadersStatus.Continue, W, false);
      if (after !== undefined) return after;
      return this.headersResult(r);
    } finally {
      vm.afterCall();
    }
  }

  private onResponseBody(bodySize: number, endOfStream: boolean): FilterDataStatus {
    const N = FilterDataStatus.StopIterationNoBuffer;
    const failed = this.checkFail(FilterDataStatus.Continue, N, false);
    if (failed !== undefined) return failed;
    const f = this.vm.fn.proxy_on_response_body;
    if (!f) return FilterDataStatus.Continue;
    try {
      const r = this.vm.call(this, "proxy_on_response_body", f, this.id, bodySize, endOfStream ? 1 : 0);
      const after = this.checkFail(FilterDataStatus.Continue, N, false);
      if (after !== undefined) return after;
      return this.dataResult(r);
    } finally {
      this.vm.afterCall();
    }
  }

  private onResponseTrailers(numTrailers: number): FilterTrailersStatus {
    const S = FilterTrailersStatus.StopIteration;
    const failed = this.checkFail(FilterTrailersStatus.Continue, S, false);
    if (failed !== undefined) return failed;
    const f = this.vm.fn.proxy_on_response_trailers;
    if (!f) return FilterTrailersStatus.Continue;
    try {
      const r = this.vm.call(this, "proxy_on_response_trailers", f, this.id, numTrailers);
      const after = this.checkFail(FilterTrailersStatus.Continue, S, false);
      if (after !== undefined) return after;
      return this.trailersResult(r);
    } finally {
      this.vm.afterCall();
    }
  }

  /** Envoy `Context::decodeHeaders`: create lazily, hold the map, drop it again on Continue. */
  decodeHeaders(headers: HeaderMap, endStream: boolean): FilterHeadersStatus {
    this.onCreate();
    this.requestHeaders = headers;
    this.endOfStream = endStream;
    const result = this.onRequestHeaders(headers.size, endStream);
    if (result === FilterHeadersStatus.Continue) this.requestHeaders = null;
    return result;
  }

  /**
   * Envoy `Context::decodeData`: while buffering, the new chunk is moved into the filter manager's buffer first
   * (which may trigger the 413 reply, after which the VM is not called), and `body_size` is the whole buffer.
   */
  decodeData(data: DataBuffer, endStream: boolean): FilterDataStatus {
    if (!this.inVmContextCreated) return FilterDataStatus.Continue;
    if (this.bufferingRequestBody) {
      this.http!.addDecodedData(data, false);
      if (this.destroyed) return FilterDataStatus.StopIterationAndBuffer;
    }
    this.requestBody = data;
    this.endOfStream = endStream;
    const buffer = this.getBuffer(0);
    const size = buffer === null ? 0 : buffer.size();
    this.inLastDecodeData = endStream;
    let result: FilterDataStatus;
    try {
      result = this.onRequestBody(size, endStream);
    } finally {
      this.inLastDecodeData = false;
    }
    this.bufferingRequestBody = false;
    if (result === FilterDataStatus.Continue) this.requestBody = null;
    else if (result === FilterDataStatus.StopIterationAndBuffer) this.bufferingRequestBody = true;
    return result;
  }

  decodeTrailers(trailers: HeaderMap): FilterTrailersStatus {
    if (!this.inVmContextCreated) return FilterTrailersStatus.Continue;
    this.requestTrailers = trailers;
    const result = this.onRequestTrailers(trailers.size);
    if (result === FilterTrailersStatus.Continue) this.requestTrailers = null;
    return result;
  }

  /** Skipped before the context exists and after the failure reply (the `wasm_fail_stream` reply bypasses it). */
  encodeHeaders(headers: HeaderMap, endStream: boolean): FilterHeadersStatus {
    if (!this.inVmContextCreated || this.failureLocalReplySent) return FilterHeadersStatus.Continue;
    this.responseHeaders = headers;
    this.endOfStream = endStream;
    const result = this.onResponseHeaders(headers.size, endStream);
    if (result === FilterHeadersStatus.Continue) this.responseHeaders = null;
    return result;
  }

  encodeData(data: DataBuffer, endStream: boolean): FilterDataStatus {
    if (!this.inVmContextCreated || this.failureLocalReplySent) return FilterDataStatus.Continue;
    if (this.bufferingResponseBody) {
      this.http!.addEncodedData(data, false);
      if (this.destroyed) return FilterDataStatus.StopIterationAndBuffer;
    }
    this.responseBody = data;
    this.endOfStream = endStream;
    const buffer = this.getBuffer(1);
    const size = buffer === null ? 0 : buffer.size();
    this.inLastEncodeData = endStream;
    let result: FilterDataStatus;
    try {
      result = this.onResponseBody(size, endStream);
    } finally {
      this.inLastEncodeData = false;
    }
    this.bufferingResponseBody = false;
    if (result === FilterDataStatus.Continue) this.responseBody = null;
    else if (result === FilterDataStatus.StopIterationAndBuffer) this.bufferingResponseBody = true;
    return result;
  }

  encodeTrailers(trailers: HeaderMap): FilterTrailersStatus {
    if (!this.inVmContextCreated || this.failureLocalReplySent) return FilterTrailersStatus.Continue;
    this.responseTrailers = trailers;
    const result = this.onResponseTrailers(trailers.size);
    if (result === FilterTrailersStatus.Continue) this.responseTrailers = null;
    return result;
  }

  /**
   * Envoy `Context::log`: creates the context if the filter never saw the request (an earlier filter replied),
   * then `on_log` with the access-log copies of the maps (request trailers are not available).
   */
  log(requestHeaders: HeaderMap | null, responseHeaders: HeaderMap | null, responseTrailers: HeaderMap | null): void {
    if (!this.inVmContextCreated) this.onCreate();
    this.accessLogPhase = true;
    this.accessLogRequestHeaders = requestHeaders;
    this.accessLogResponseHeaders = responseHeaders;
    this.accessLogResponseTrailers = responseTrailers;
    this.accessLogStreamInfo = this.http?.streamInfo ?? null;
    try {
      this.onLog();
    } finally {
      this.accessLogPhase = false;
      this.accessLogRequestHeaders = null;
      this.accessLogResponseHeaders = null;
      this.accessLogResponseTrailers = null;
      this.accessLogStreamInfo = null;
    }
  }

  /** Envoy `Context::onDestroy`: `on_done` (result ignored for streams) then `on_delete`. */
  onDestroy(): void {
    if (this.destroyed || !this.inVmContextCreated) return;
    this.destroyed = true;
    this.onDone();
    this.onDelete();
  }

  /** Filter name in the chain. */
  get name(): string {
    return `wasm:${this.plugin?.name ?? ""}`;
  }

  /** The filter manager hands over its callbacks when the filter is created. */
  setCallbacks(cb: HttpFilterCallbacks): void {
    this.http = cb;
  }

  // ===========================================================================================================
  // TCP (Envoy Context network filter)
  // ===========================================================================================================

  onNewConnection(): NetworkFilterStatus {
    this.onCreate();
    const failed = this.checkFail(NetworkFilterStatus.Continue, NetworkFilterStatus.StopIteration, true);
    if (failed !== undefined) return failed;
    const f = this.vm.fn.proxy_on_new_connection;
    if (!f) return NetworkFilterStatus.Continue;
    try {
      const r = this.vm.call(this, "proxy_on_new_connection", f, this.id);
      const after = this.checkFail(NetworkFilterStatus.Continue, NetworkFilterStatus.StopIteration, true);
      if (after !== undefined) return after;
      return r === 0 ? NetworkFilterStatus.Continue : NetworkFilterStatus.StopIteration;
    } finally {
      this.vm.afterCall();
    }
  }

  private onNetworkData(upstream: boolean, size: number, endStream: boolean): NetworkFilterStatus {
    const failed = this.checkFail(NetworkFilterStatus.Continue, NetworkFilterStatus.StopIteration, true);
    if (failed !== undefined) return failed;
    const f = upstream ? this.vm.fn.proxy_on_upstream_data : this.vm.fn.proxy_on_downstream_data;
    if (!f) return NetworkFilterStatus.Continue;
    try {
      const name = upstream ? "proxy_on_upstream_data" : "proxy_on_downstream_data";
      const r = this.vm.call(this, name, f, this.id, size, endStream ? 1 : 0);
      const after = this.checkFail(NetworkFilterStatus.Continue, NetworkFilterStatus.StopIteration, true);
      if (after !== undefined) return after;
      return r === 0 ? NetworkFilterStatus.Continue : NetworkFilterStatus.StopIteration;
    } finally {
      this.vm.afterCall();
    }
  }

  /** Envoy `Context::onData` (downstream → upstream). */
  onData(data: DataBuffer, endStream: boolean): NetworkFilterStatus {
    if (!this.inVmContextCreated) return NetworkFilterStatus.Continue;
    this.downstreamData = data;
    this.endOfStream = endStream;
    const result = this.onNetworkData(false, data.length, endStream);
    if (result === NetworkFilterStatus.Continue) this.downstreamData = null;
    return result;
  }

  /** Envoy `Context::onWrite` (upstream → downstream); end_stream synthesizes the upstream close. */
  onWrite(data: DataBuffer, endStream: boolean): NetworkFilterStatus {
    if (!this.inVmContextCreated) return NetworkFilterStatus.Continue;
    this.upstreamData = data;
    this.endOfStream = endStream;
    const result = this.onNetworkData(true, data.length, endStream);
    if (result === NetworkFilterStatus.Continue) this.upstreamData = null;
    if (endStream) this.onUpstreamConnectionClose(PeerType.Unknown);
    return result;
  }

  onDownstreamConnectionClose(peer: PeerType): void {
    const f = this.vm.fn.proxy_on_downstream_connection_close;
    if (!this.isFailed && f) {
      try {
        this.vm.call(this, "proxy_on_downstream_connection_close", f, this.id, peer);
      } finally {
        this.vm.afterCall();
      }
    }
    this.downstreamClosed = true;
    this.onCloseTCP();
  }

  onUpstreamConnectionClose(peer: PeerType): void {
    const f = this.vm.fn.proxy_on_upstream_connection_close;
    if (!this.isFailed && f) {
      try {
        this.vm.call(this, "proxy_on_upstream_connection_close", f, this.id, peer);
      } finally {
        this.vm.afterCall();
      }
    }
    if (this.downstreamClosed) this.onCloseTCP();
  }

  /** Envoy `Context::onCloseTCP`: `on_done` → `on_log` → `on_delete`, once (host-behaviour.md F.26). */
  private onCloseTCP(): void {
    if (this.tcpConnectionClosed || !this.inVmContextCreated) return;
    this.tcpConnectionClosed = true;
    this.onDone();
    this.onLog();
    this.onDelete();
  }

  // ===========================================================================================================
  // Callout responses (delivered to root contexts)
  // ===========================================================================================================

  /** Envoy `onHttpCallSuccess`: deferred while any VM call is in progress; headers/body readable only inside. */
  onHttpCallSuccess(token: number, response: CalloutResponse): void {
    const handler = this.httpRequests.get(token);
    if (!handler) return;
    this.httpCallResponse = response;
    const vm = this.vm;
    vm.addAfterVmCallAction(() => {
      this.httpCallResponse = null;
      this.httpRequests.delete(token);
    });
    this.callHttpCallResponse(token, response.headers.size, response.body.length, response.trailers?.size ?? 0);
  }

  /** Envoy `onHttpCallFailure`: `(token, 0, 0, 0)` with `proxy_get_status` = (11 BrokenConnection, "reset"). */
  onHttpCallFailure(token: number): void {
    const handler = this.httpRequests.get(token);
    if (!handler) return;
    this.statusCode = Status.BrokenConnection;
    this.statusMessage = "reset";
    this.vm.addAfterVmCallAction(() => {
      this.statusMessage = "";
      this.httpRequests.delete(token);
    });
    this.callHttpCallResponse(token, 0, 0, 0);
  }

  private callHttpCallResponse(token: number, headers: number, body: number, trailers: number): void {
    const f = this.vm.fn.proxy_on_http_call_response;
    try {
      if (!this.isFailed && f) this.vm.call(this, "proxy_on_http_call_response", f, this.id, token, headers, body, trailers);
    } finally {
      this.vm.afterCall();
    }
  }

  onGrpcReceiveInitialMetadata(token: number, metadata: HeaderMap): void {
    this.grpcReceiveInitialMetadata = metadata;
    const f = this.vm.fn.proxy_on_grpc_receive_initial_metadata;
    try {
      if (!this.isFailed && f) this.vm.call(this, "proxy_on_grpc_receive_initial_metadata", f, this.id, token, metadata.size);
    } finally {
      this.vm.afterCall();
      this.grpcReceiveInitialMetadata = null;
    }
  }

  onGrpcReceiveTrailingMetadata(token: number, metadata: HeaderMap): void {
    this.grpcReceiveTrailingMetadata = metadata;
    const f = this.vm.fn.proxy_on_grpc_receive_trailing_metadata;
    try {
      if (!this.isFailed && f) {
        this.vm.call(this, "proxy_on_grpc_receive_trailing_metadata", f, this.id, token, metadata.size);
      }
    } finally {
      this.vm.afterCall();
      this.grpcReceiveTrailingMetadata = null;
    }
  }

  /** Envoy `onGrpcReceiveWrapper`: a unary call is finished once its message has been delivered. */
  onGrpcReceive(token: number, message: Uint8Array, isCall: boolean): void {
    const cleanup = (): void => {
      if (isCall) this.grpcCalls.delete(token);
    };
    const f = this.vm.fn.proxy_on_grpc_receive;
    if (!f) {
      cleanup();
      return;
    }
    this.grpcReceiveBuffer = new DataBuffer(message);
    this.vm.addAfterVmCallAction(() => {
      this.grpcReceiveBuffer = null;
      cleanup();
    });
    try {
      if (!this.isFailed) this.vm.call(this, "proxy_on_grpc_receive", f, this.id, token, message.length);
    } finally {
      this.vm.afterCall();
    }
  }

  /** Envoy `onGrpcCloseWrapper`: status readable through `proxy_get_status` during the call. */
  onGrpcClose(token: number, status: number, message: string, isCall: boolean): void {
    const cleanup = (): void => {
      if (isCall) this.grpcCalls.delete(token);
      else {
        const s = this.grpcStreams.get(token);
        if (s && s.localClosed) this.grpcStreams.delete(token);
      }
    };
    const f = this.vm.fn.proxy_on_grpc_close;
    if (!f) {
      cleanup();
      return;
    }
    this.statusCode = status >>> 0;
    this.statusMessage = message;
    this.vm.addAfterVmCallAction(() => {
      this.statusMessage = "";
      cleanup();
    });
    try {
      if (!this.isFailed) this.vm.call(this, "proxy_on_grpc_close", f, this.id, token, status >>> 0);
    } finally {
      this.vm.afterCall();
    }
  }

  /** `envoy_on_resolve_dns(root, token, size)`; the result is in buffer type 8. */
  onResolveDns(token: number, result: Uint8Array): void {
    const f = this.vm.fn.envoy_on_resolve_dns;
    try {
      if (this.vm.isFailed || !f) return;
      this.scratch.setData(result);
      this.vm.call(this, "envoy_on_resolve_dns", f, this.id, token, result.length);
    } finally {
      this.vm.afterCall();
    }
  }

  // ===========================================================================================================
  // Host side of the hostcalls
  // ===========================================================================================================

  /** Envoy `Context::getBuffer`. Null means NOT_FOUND. */
  getBuffer(type: number): WasmBuffer | null {
    const b = this.scratch;
    switch (type) {
      case 8: // CallData: whatever the scratch buffer holds.
        return b;
      case 6:
        return b.setData(this.vm.settings.vmConfiguration);
      case 7:
        return this.tempPluginConfiguration ? b.setData(this.tempPluginConfiguration) : null;
      case 0:
        if (this.bufferingRequestBody && this.http) return b.setMutable(this.http.decodingBuffer());
        return b.setMutable(this.requestBody);
      case 1:
        if (this.bufferingResponseBody && this.http) return b.setMutable(this.http.encodingBuffer());
        return b.setMutable(this.responseBody);
      case 2:
        return b.setMutable(this.downstreamData);
      case 3:
        return b.setMutable(this.upstreamData);
      case 4: {
        const r = this.rootContext.httpCallResponse;
        return r ? b.setData(r.body) : null;
      }
      case 5:
        return b.setMutable(this.rootContext.grpcReceiveBuffer);
      default:
        return null;
    }
  }

  /** Envoy `Context::getMap`: the mutable maps (trailers may be added in the last body callback). */
  getMap(type: number): HeaderMap | null {
    switch (type) {
      case MapType.HttpRequestHeaders:
        return this.requestHeaders;
      case MapType.HttpRequestTrailers:
        if (this.requestTrailers === null && this.requestBody && this.endOfStream && this.http && this.inLastDecodeData) {
          this.requestTrailers = this.http.addDecodedTrailers();
        }
        return this.requestTrailers;
      case MapType.HttpResponseHeaders:
        return this.responseHeaders;
      case MapType.HttpResponseTrailers:
        if (this.responseTrailers === null && this.responseBody && this.endOfStream && this.http && this.inLastEncodeData) {
          this.responseTrailers = this.http.addEncodedTrailers();
        }
        return this.responseTrailers;
      default:
        return null;
    }
  }

  /** Envoy `Context::getConstMap`: read access, with the access-log copies during `on_log`. */
  getConstMap(type: number): HeaderMap | null {
    switch (type) {
      case MapType.HttpRequestHeaders:
        return this.accessLogPhase ? this.accessLogRequestHeaders : this.requestHeaders;
      case MapType.HttpRequestTrailers:
        return this.accessLogPhase ? null : this.requestTrailers;
      case MapType.HttpResponseHeaders:
        return this.accessLogPhase ? this.accessLogResponseHeaders : this.responseHeaders;
      case MapType.HttpResponseTrailers:
        return this.accessLogPhase ? this.accessLogResponseTrailers : this.responseTrailers;
      case MapType.GrpcCallInitialMetadata:
        return this.rootContext.grpcReceiveInitialMetadata;
      case MapType.GrpcCallTrailingMetadata:
        return this.rootContext.grpcReceiveTrailingMetadata;
      case MapType.HttpCallResponseHeaders:
        return this.rootContext.httpCallResponse?.headers ?? null;
      case MapType.HttpCallResponseTrailers:
        return this.rootContext.httpCallResponse?.trailers ?? null;
      default:
        return null;
    }
  }

  /** Envoy `Context::continueStream`: deferred until the VM call returns; continuing also drops the request maps. */
  continueStream(type: number): Status {
    switch (type) {
      case StreamType.HttpRequest: {
        const cb = this.http;
        if (cb) this.vm.addAfterVmCallAction(() => cb.continueDecoding());
        break;
      }
      case StreamType.HttpResponse: {
        const cb = this.http;
        if (cb) this.vm.addAfterVmCallAction(() => cb.continueEncoding());
        break;
      }
      case StreamType.Downstream: {
        const nw = this.network;
        if (nw) this.vm.addAfterVmCallAction(() => nw.continueReading());
        return Status.Ok;
      }
      case StreamType.Upstream:
        return Status.Unimplemented;
      default:
        return Status.BadArgument;
    }
    // Envoy clears these for a request *and* a response continue.
    this.requestHeaders = null;
    this.requestBody = null;
    this.requestTrailers = null;
    return Status.Ok;
  }

  /** Envoy `Context::closeStream`: deferred reset with details `wasm_close_stream`, or a TCP close. */
  closeStream(type: number): Status {
    switch (type) {
      case StreamType.HttpRequest:
      case StreamType.HttpResponse: {
        const cb = this.http;
        if (cb) {
          if (cb.streamInfo.responseCodeDetails === null) cb.streamInfo.responseCodeDetails = "wasm_close_stream";
          this.vm.addAfterVmCallAction(() => cb.resetStream());
        }
        return Status.Ok;
      }
      case StreamType.Downstream: {
        const nw = this.network;
        if (nw) this.vm.addAfterVmCallAction(() => nw.closeConnection("downstream", "wasm_downstream_close"));
        return Status.Ok;
      }
      case StreamType.Upstream: {
        const nw = this.network;
        if (nw) this.vm.addAfterVmCallAction(() => nw.closeConnection("upstream", "wasm_upstream_close"));
        return Status.Ok;
      }
      default:
        return Status.BadArgument;
    }
  }

  /**
   * Envoy `Context::sendLocalResponse`: header names lower-cased and *added* to the reply, whitespace in the details
   * replaced with `_`, gRPC status outside 0..16 sends none; the reply itself is deferred until the callback returns.
   */
  sendLocalResponse(code: number, body: string, headers: BytePair[], grpcStatus: number, details: string): Status {
    const cb = this.http;
    if (cb) {
      const cleanDetails = details.replace(/[ \t\n\v\f\r]/g, "_");
      const status = grpcStatus >= 0 && grpcStatus <= 16 ? grpcStatus : null;
      this.vm.addAfterVmCallAction(() =>
        cb.sendLocalReply(
          code,
          body,
          (h) => {
            for (const [k, v] of headers) h.add(k, v);
          },
          status,
          cleanDetails,
        ),
      );
    }
    return Status.Ok;
  }

  clearRouteCache(): void {
    this.http?.clearRouteCache();
  }

  /** The facts `proxy_get_property` resolves against. */
  propertyScope(): PropertyScope {
    return {
      streamInfo: this.streamInfo,
      requestHeaders: this.requestHeaders ?? this.accessLogRequestHeaders,
      responseHeaders: this.responseHeaders ?? this.accessLogResponseHeaders,
      responseTrailers: this.responseTrailers ?? this.accessLogResponseTrailers,
      xds: this.plugin?.xds ?? this.vm.proxy.defaultXds,
      pluginName: this.plugin?.name ?? null,
      rootId: this.rootId,
      vmId: this.vm.vmId,
      nowMonotonicMs: this.vm.proxy.clock.monotonicMs,
    };
  }

  getProperty(path: string): { status: Status; bytes?: Uint8Array | string } {
    return getProperty(this.propertyScope(), path);
  }

  /**
   * Envoy `Context::setProperty`: writes filter state `wasm.<path>` (a `CelState`, from a declared prototype if
   * any: read-only values can be written once). Needs stream info: NOT_FOUND from a root context.
   */
  setProperty(path: string, value: string): Status {
    const info = this.http?.streamInfo ?? this.network?.streamInfo ?? null;
    if (!info) return Status.NotFound;
    const key = `wasm.${path}`;
    let state = info.filterState.get(key);
    if (!state) {
      const proto = this.rootContext.statePrototypes.get(path);
      state = {
        kind: "cel",
        readOnly: proto?.readOnly ?? false,
        type: proto?.type ?? 0,
        schema: proto?.schema ?? "",
        value: "",
        initialized: false,
      };
      info.filterState.set(key, state);
    }
    if (state.kind !== "cel") return Status.BadArgument;
    if (state.initialized && state.readOnly) return Status.BadArgument;
    state.value = value;
    state.initialized = true;
    return Status.Ok;
  }

  /** Envoy `Context::declareProperty` (foreign function `declare_property`): once per path per context. */
  declareProperty(path: string, proto: StatePrototype): Status {
    if (this.statePrototypes.has(path)) return Status.BadArgument;
    this.statePrototypes.set(path, proto);
    return Status.Ok;
  }

  /**
   * Envoy `Context::setEnvoyFilterState`: only keys with a registered `ObjectFactory` (here: the host option
   * `filterStateFactories`) are accepted, else NOT_FOUND; needs stream info.
   */
  setEnvoyFilterState(path: string, value: string): Status {
    const factories = this.vm.proxy.filterStateFactories;
    if (!factories.has(path)) return Status.NotFound;
    const info = this.http?.streamInfo ?? this.network?.streamInfo ?? null;
    if (!info) return Status.NotFound;
    info.filterState.set(path, { kind: "object", serialized: value });
    return Status.Ok;
  }

  /** `proxy_log` / fd_write. */
  logMessage(level: LogLevelName, message: string, source: "proxy_log" | "stdout" | "stderr"): void {
    this.vm.proxy.pluginLog(this.vm, this, level, message, source);
  }

  /** Envoy `Wasm::setTimerPeriod` on the caller's root context. */
  setTickPeriod(periodMs: number): void {
    this.vm.proxy.setTickPeriod(this.vm, this.rootContext.id, periodMs);
  }

  /** Body bytes of a read request (for tests and the call log). */
  static bytesOf(s: string): Buffer {
    return Buffer.from(s, "latin1");
  }
}
