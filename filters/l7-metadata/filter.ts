// The recorder: a root context that parses the configuration, declares the filter-state keys, owns the
// metrics and the export queue; and a stream context that reads each fact in the phase where Envoy makes it
// available and writes it to the configured outputs.
//
// Phases (host-behaviour.md F.12, F.16, F.26; verified against Envoy 1.40, README "Envoy behaviour"):
//   onRequestHeaders   request facts (headers, connection, JWT metadata, ABAC filter state); request-header
//                      outputs; their filter-state values.
//   onResponseHeaders  response facts; response-header outputs; their filter-state values; the JSON document.
//   onLog              completion facts (sizes, durations, gRPC status, response details); any request or
//                      response fact not read yet, from the access-log copies of the headers (a stream that
//                      an earlier filter answered gets only create → onLog); their filter-state values; the
//                      JSON document again; metrics; export.
// Envoy 1.40 runs the Wasm filter's log handler before the HCM access loggers, so values written in onLog are
// in the access-log line. Each header or property is read only if a configured fact or tag needs it, and at most
// once per callback (reads.ts).

import {
  Action,
  Counter,
  Gauge,
  Histogram,
  HttpContext,
  LifeSpan,
  Log,
  PropertyType as WasmType,
  RootContext,
  Status,
  TagPair,
  currentTimeNanos,
  declareProperty,
  getHttpCallResponseHeaders,
  httpCall,
  metricName,
  setProperty,
} from "../../assembly";
import { HeaderPair, asciiLower, decimalText, encodeUtf8, unsignedDecimalText } from "../../assembly";
import { Config, FieldSpec, HeaderOutput, parseConfig } from "./config";
import { formatDecimal, safeValue } from "./escape";
import { EnqueueResult, ExportQueue, FailureOutcome } from "./exporter";
import { Fact, Phase, PropertyType, ValueKind, formatSecondsFromNanos, normalizeMethod } from "./facts";
import { MetricsSettings, OVERFLOW, POLICY_NONE, ROUTE_OTHER, sanitizeTagValue, statusClass } from "./metrics";
import { Redactor } from "./redact";
import { HostReads } from "./reads";
import { matchRoute } from "./route";

/** Prefix of every log line of this filter. */
export const LOG_PREFIX = "l7-metadata: ";

// Fixed property paths, built once (an array literal in a function allocates at every evaluation).
const PEER_PRINCIPAL_PATH: string[] = ["filter_state", "io.istio.peer_principal"];
const PEER_URI_SAN_PATH: string[] = ["connection", "uri_san_peer_certificate"];
const ABAC_POLICY_PATH: string[] = ["filter_state", "wasm.abac.policy"];
const DESTINATION_PORT_PATH: string[] = ["destination", "port"];
const DESTINATION_ADDRESS_PATH: string[] = ["destination", "address"];
const SOURCE_PORT_PATH: string[] = ["source", "port"];
const SOURCE_ADDRESS_PATH: string[] = ["source", "address"];
const REQUEST_PROTOCOL_PATH: string[] = ["request", "protocol"];
const REQUEST_TIME_PATH: string[] = ["request", "time"];
const REQUEST_DURATION_PATH: string[] = ["request", "duration"];
const REQUEST_SIZE_PATH: string[] = ["request", "size"];
const REQUEST_TOTAL_SIZE_PATH: string[] = ["request", "total_size"];
const RESPONSE_CODE_PATH: string[] = ["response", "code"];
const RESPONSE_CODE_DETAILS_PATH: string[] = ["response", "code_details"];
const RESPONSE_GRPC_STATUS_PATH: string[] = ["response", "grpc_status"];
const RESPONSE_SIZE_PATH: string[] = ["response", "size"];
const RESPONSE_TOTAL_SIZE_PATH: string[] = ["response", "total_size"];
const RESPONSE_BACKEND_LATENCY_PATH: string[] = ["response", "backend_latency"];

/** Export counters and the buffer gauge (names relative to `metrics.prefix`, default `l7`). */
class ExportMetrics {
  readonly batchesSent: Counter;
  readonly recordsSent: Counter;
  readonly failures: Counter;
  readonly retries: Counter;
  readonly droppedOverflow: Counter;
  readonly droppedFailed: Counter;
  readonly sampledOut: Counter;
  readonly buffered: Gauge;

  constructor(prefix: string) {
    this.batchesSent = Counter.define(prefix + ".export.batches_sent");
    this.recordsSent = Counter.define(prefix + ".export.records_sent");
    this.failures = Counter.define(prefix + ".export.failures");
    this.retries = Counter.define(prefix + ".export.retries");
    this.droppedOverflow = Counter.define(prefix + ".export.records_dropped_overflow");
    this.droppedFailed = Counter.define(prefix + ".export.records_dropped_failed");
    this.sampledOut = Counter.define(prefix + ".export.records_sampled_out");
    this.buffered = Gauge.define(prefix + ".export.buffered_records");
  }
}

/** One tagged request series: its counter and duration histogram. */
class RequestSeries {
  constructor(public readonly requests: Counter, public readonly duration: Histogram) {}
}

export class L7MetadataRoot extends RootContext {
  config: Config | null = null;
  private queue: ExportQueue | null = null;
  private exportMetrics: ExportMetrics | null = null;
  private series: Map<string, RequestSeries> = new Map<string, RequestSeries>();
  private overflowSeries: RequestSeries | null = null;

  onConfigure(pluginConfigurationSize: usize): bool {
    const bytes = this.getPluginConfiguration();
    const result = parseConfig(bytes);
    if (result.error !== null) {
      Log.critical(LOG_PREFIX + "invalid configuration: " + result.error!);
      return false;
    }
    const config = result.config!;
    this.config = config;
    this.declareFilterState(config);
    const exportSettings = config.exportSettings;
    if (exportSettings !== null) {
      const seed = <u64>currentTimeNanos() ^ (<u64>this.contextId << 32);
      this.queue = new ExportQueue(exportSettings, seed);
      this.exportMetrics = new ExportMetrics(config.metricsPrefix);
      this.setTickPeriod(exportSettings.flushIntervalMs);
    }
    return true;
  }

  /**
   * Declares every filter-state key as a String (Envoy `declare_property`), so that CEL reads them as strings
   * (`filter_state['wasm.l7.url.path']` without `string(...)`). Life span DownstreamRequest: the values
   * survive an internal redirect. Not read-only: a value can be refined in a later phase. BAD_ARGUMENT means
   * the key is already declared in this VM (another plugin instance, a configuration update): harmless.
   */
  private declareFilterState(config: Config): void {
    if (config.writeFieldState) {
      for (let i = 0; i < config.fields.length; i++) {
        this.declareKey(unchecked(config.fields[i]).filterStateKey);
      }
    }
    if (config.writeDocument) this.declareKey(config.prefix);
  }

  private declareKey(key: string): void {
    const status = declareProperty(key, WasmType.String, false, LifeSpan.DownstreamRequest);
    if (status != Status.Ok && status != Status.BadArgument) {
      Log.warn(LOG_PREFIX + "declare_property wasm." + key + " failed with status " + decimalText(<i32>status));
    }
  }

  createHttpContext(contextId: u32): HttpContext | null {
    const config = this.config;
    if (config === null) return null;
    return new L7MetadataStream(contextId, this, config);
  }

  // -- metrics ---------------------------------------------------------------------------------------------

  /** Counts a finished request under its tag set (bounded by `maxSeries`). */
  recordRequest(settings: MetricsSettings, route: string, method: string, status: i32, policy: string, durationMs: u64): void {
    const statusTag = statusClass(status);
    // Every tag value is already sanitized (route tags at configure time, methods from a fixed list, the
    // policy when read), so the values alone identify the series; the tag list and stat names are built only
    // for a new series.
    const key = seriesKey(
      settings.tagRoute ? route : "", settings.tagMethod ? method : "", settings.tagStatusClass ? statusTag : "", settings.tagPolicy ? policy : "",
    );
    let series: RequestSeries;
    if (this.series.has(key)) {
      series = this.series.get(key);
    } else {
      const full = this.series.size >= settings.maxSeries;
      let overflow = this.overflowSeries;
      if (full && overflow !== null) {
        series = overflow;
      } else {
        const tags = new Array<TagPair>();
        if (settings.tagRoute) tags.push(new TagPair("route", full ? OVERFLOW : route));
        if (settings.tagMethod) tags.push(new TagPair("method", full ? OVERFLOW : method));
        if (settings.tagStatusClass) tags.push(new TagPair("status_class", full ? OVERFLOW : statusTag));
        if (settings.tagPolicy) tags.push(new TagPair("policy", full ? OVERFLOW : policy));
        series = this.defineSeries(settings, tags);
        if (full) this.overflowSeries = series;
        else this.series.set(key, series);
      }
    }
    series.requests.increment(1);
    series.duration.record(durationMs);
  }

  private defineSeries(settings: MetricsSettings, tags: TagPair[]): RequestSeries {
    return new RequestSeries(
      Counter.define(metricName(settings.prefix + ".requests_total", tags)),
      Histogram.define(metricName(settings.prefix + ".request_duration_milliseconds", tags)),
    );
  }

  // -- export ----------------------------------------------------------------------------------------------

  /** Takes a finished record from a stream (same VM, direct call). Never blocks: at most starts a callout. */
  exportRecord(record: ArrayBuffer): void {
    const queue = this.queue;
    if (queue === null) return;
    const metrics = this.exportMetrics!;
    const rate = queue.settings.sampleRate;
    if (rate < 1.0 && !(queue.nextUnit() < rate)) {
      metrics.sampledOut.increment(1);
      return;
    }
    const result = queue.enqueue(record);
    if (result != EnqueueResult.Queued) metrics.droppedOverflow.increment(1);
    this.flush(false);
    metrics.buffered.record(<i64>queue.buffered);
  }

  onTick(): void {
    const queue = this.queue;
    if (queue === null) return;
    const now = nowMs();
    if (queue.isStuck(now)) this.handleFailure(now, 0); // the host never answered: count it and move on
    this.flush(true);
    this.exportMetrics!.buffered.record(<i64>queue.buffered);
  }

  private flush(tick: bool): void {
    const queue = this.queue!;
    const now = nowMs();
    if (!queue.shouldSend(now, tick)) return;
    const settings = queue.settings;
    const resend = queue.retryAt != 0;
    const body = queue.startSend(now);
    if (resend) this.exportMetrics!.retries.increment(1);
    const headers: HeaderPair[] = [
      new HeaderPair(":method", "POST"),
      new HeaderPair(":path", settings.path),
      new HeaderPair(":authority", settings.authority),
      new HeaderPair("content-type", "application/x-ndjson"),
    ];
    const call = httpCall(settings.cluster, headers, body, [], settings.timeoutMs, this);
    if (call.status != Status.Ok) {
      Log.warn(LOG_PREFIX + "export to cluster " + settings.cluster + " failed to start: status " + decimalText(<i32>call.status));
      this.handleFailure(now, 0);
    }
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    const queue = this.queue;
    if (queue === null || !queue.isInFlight) return;
    let status: i32 = 0;
    if (numHeaders > 0) {
      const headers = getHttpCallResponseHeaders();
      for (let i = 0; i < headers.length; i++) {
        if (unchecked(headers[i]).name == ":status") {
          status = parseStatus(unchecked(headers[i]).value);
          break;
        }
      }
    }
    if (status >= 200 && status < 300) {
      const records = queue.succeeded();
      this.exportMetrics!.batchesSent.increment(1);
      this.exportMetrics!.recordsSent.increment(<u64>records);
    } else {
      this.handleFailure(nowMs(), status);
    }
  }

  private handleFailure(now: u64, status: i32): void {
    const queue = this.queue!;
    const metrics = this.exportMetrics!;
    metrics.failures.increment(1);
    if (queue.failed(now, status) == FailureOutcome.Dropped && queue.lastDropped > 0) {
      metrics.droppedFailed.increment(<u64>queue.lastDropped);
    }
  }
}

/** `a;b;c;d` in one allocation (`;` is outside the sanitized tag alphabet, so distinct tuples give distinct keys). */
function seriesKey(a: string, b: string, c: string, d: string): string {
  const lengthA = <usize>a.length << 1, lengthB = <usize>b.length << 1, lengthC = <usize>c.length << 1, lengthD = <usize>d.length << 1;
  const key = changetype<string>(__new(lengthA + lengthB + lengthC + lengthD + 6, idof<string>()));
  let out = changetype<usize>(key);
  memory.copy(out, changetype<usize>(a), lengthA);
  out += lengthA;
  store<u16>(out, 0x3b);
  memory.copy(out + 2, changetype<usize>(b), lengthB);
  out += 2 + lengthB;
  store<u16>(out, 0x3b);
  memory.copy(out + 2, changetype<usize>(c), lengthC);
  out += 2 + lengthC;
  store<u16>(out, 0x3b);
  memory.copy(out + 2, changetype<usize>(d), lengthD);
  return key;
}

function nowMs(): u64 {
  return currentTimeNanos() / 1_000_000;
}

/** A 3-digit HTTP status, or 0 when `text` is not one. */
function parseStatus(text: string): i32 {
  if (text.length != 3) return 0;
  let value = 0;
  for (let i = 0; i < 3; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return 0;
    value = value * 10 + (c - 0x30);
  }
  return value >= 100 ? value : 0;
}

/** Splits `host[:port]` / `[v6]:port`; returns the host (brackets removed, lower-cased). */
function hostOf(authority: string): string {
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    return asciiLower(close > 0 ? authority.substring(1, close) : authority);
  }
  const colon = authority.lastIndexOf(":");
  return asciiLower(colon >= 0 ? authority.substring(0, colon) : authority);
}

/** The port of `host:port` / `[v6]:port`, or -1. */
function portOf(authority: string): i32 {
  const close = authority.lastIndexOf("]");
  const colon = authority.lastIndexOf(":");
  if (colon < 0 || colon < close) return -1;
  const digits = authority.substring(colon + 1);
  if (digits.length == 0 || digits.length > 5) return -1;
  let port = 0;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    port = port * 10 + (c - 0x30);
  }
  return port <= 65535 ? port : -1;
}

/** The IP of an Envoy address string (`1.2.3.4:5678`, `[::1]:5678`). */
function ipOf(address: string): string {
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    return close > 0 ? address.substring(1, close) : address;
  }
  const colon = address.lastIndexOf(":");
  return colon >= 0 && address.indexOf(":") == colon ? address.substring(0, colon) : address;
}

export class L7MetadataStream extends HttpContext {
  /** Rendered value of each configured field (escaped string content, or a JSON number/bool); null = absent. */
  private readonly values: StaticArray<string | null>;
  /** UTF-8 of `values`, filled lazily when a value is first written out. */
  private readonly bytes: StaticArray<ArrayBuffer | null>;
  private sawRequest: bool = false;
  private sawResponse: bool = false;
  private isGrpc: bool = false;
  private status: i32 = 0;
  private routeTag: string = ROUTE_OTHER;
  private methodTag: string = "_OTHER";
  private policyTag: string = POLICY_NONE;
  private startNanos: u64 = 0;
  /** This callback's header and property reads (each at most once per callback); released before returning. */
  private readonly reads: HostReads = new HostReads();
  /** `x-envoy-upstream-service-time` (ms, set by Envoy's router), fallback for upstream latency; -1 = none. */
  private upstreamServiceTimeMs: i64 = -1;

  constructor(contextId: u32, root: L7MetadataRoot, private readonly config: Config) {
    super(contextId, root);
    this.values = new StaticArray<string | null>(config.fields.length);
    this.bytes = new StaticArray<ArrayBuffer | null>(config.fields.length);
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.collectRequest();
    this.writeHeaderOutputs(this.config.requestHeaderOutputs, true);
    // Per-field values now, for readers later in the filter chain; the document waits for the response, when
    // it is complete enough to be worth serializing (it is written again in onLog).
    this.publish(Phase.Request, false);
    this.reads.release();
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.collectResponse();
    this.writeHeaderOutputs(this.config.responseHeaderOutputs, false);
    this.publish(Phase.Response, true);
    this.reads.release();
    return Action.Continue;
  }

  onLog(): void {
    const config = this.config;
    let catchUp = false;
    if (!this.sawRequest) {
      this.collectRequest(); // access-log copy of the request headers
      catchUp = true;
    }
    if (!this.sawResponse) {
      this.collectResponse();
      catchUp = true;
    }
    this.collectLog();
    const document = this.publish(catchUp ? Phase.Request : Phase.Log, true); // after a catch-up: every field
    const metrics = config.metrics;
    if (metrics !== null) {
      const reads = this.reads;
      const durationNanos = reads.eightBytes(REQUEST_DURATION_PATH) ? <i64>reads.lastEightBytes : 0;
      const durationMs = durationNanos > 0 ? <u64>durationNanos / 1_000_000 : 0;
      (<L7MetadataRoot>this.root).recordRequest(metrics, this.routeTag, this.methodTag, this.status, this.policyTag, durationMs);
    }
    this.reads.release();
    if (config.exportSettings !== null) (<L7MetadataRoot>this.root).exportRecord(document !== null ? document : this.document());
  }

  // -- collection ------------------------------------------------------------------------------------------

  private collectRequest(): void {
    this.sawRequest = true;
    const config = this.config;
    const reads = this.reads;
    reads.useHeaders(this.requestHeaders, config.requestHeadersAsPairs);
    const rawPath = config.needsPath ? reads.firstHeader(":path") : null;
    const path = rawPath !== null ? rawPath : "";
    let pathEnd = path.length;
    const queryStart = path.indexOf("?");
    const fragmentStart = path.indexOf("#");
    if (fragmentStart >= 0) pathEnd = fragmentStart;
    if (queryStart >= 0 && queryStart < pathEnd) pathEnd = queryStart;
    const hasQuery = queryStart >= 0 && (fragmentStart < 0 || queryStart < fragmentStart);
    const query = hasQuery ? path.substring(queryStart + 1, fragmentStart > queryStart ? fragmentStart : path.length) : "";
    const method = config.needsMethod ? reads.firstHeader(":method") : null;
    this.methodTag = method !== null ? normalizeMethod(method) : "_OTHER";
    if (config.needsContentType) {
      const contentType = reads.firstHeader("content-type");
      this.isGrpc = contentType !== null && contentType.startsWith("application/grpc");
    }
    const route = config.needsRoute ? matchRoute(config.routes, path) : null;
    if (route !== null) this.routeTag = route.metricTag;
    const fields = config.requestFields;
    for (let i = 0; i < fields.length; i++) {
      const field = unchecked(fields[i]);
      let value: string | null = null;
      switch (field.fact) {
        case Fact.Method:
          value = method !== null ? normalizeMethod(method) : null;
          break;
        case Fact.Path:
          value = rawPath !== null ? this.text(field, path.substring(0, pathEnd)) : null;
          break;
        case Fact.Query:
          value = hasQuery ? this.text(field, config.redactor.redactQuery(query)) : null;
          break;
        case Fact.Route:
          value = route !== null ? this.text(field, route.template) : null;
          break;
        case Fact.Scheme:
          value = this.header(field, ":scheme");
          break;
        case Fact.Authority: {
          const authority = reads.firstHeader(":authority");
          value = authority !== null ? this.text(field, hostOf(authority)) : null;
          break;
        }
        case Fact.ServerPort: {
          const authority = reads.firstHeader(":authority");
          const port = authority !== null ? portOf(authority) : -1;
          if (port >= 0) value = decimalText(port);
          else {
            value = this.intProperty(DESTINATION_PORT_PATH);
          }
          break;
        }
        case Fact.Protocol: {
          const protocol = reads.string(REQUEST_PROTOCOL_PATH);
          if (protocol !== null) value = this.text(field, protocol.startsWith("HTTP/") ? protocol.substring(5) : protocol);
          break;
        }
        case Fact.UserAgent:
          value = this.header(field, "user-agent");
          break;
        case Fact.RequestId:
          value = this.header(field, "x-request-id");
          break;
        case Fact.ClientAddress:
          value = this.addressIp(field, SOURCE_ADDRESS_PATH);
          break;
        case Fact.ClientPort:
          value = this.intProperty(SOURCE_PORT_PATH);
          break;
        case Fact.LocalAddress:
          value = this.addressIp(field, DESTINATION_ADDRESS_PATH);
          break;
        case Fact.LocalPort:
          value = this.intProperty(DESTINATION_PORT_PATH);
          break;
        case Fact.PeerPrincipal: {
          let principal = reads.string(PEER_PRINCIPAL_PATH);
          if (principal === null) principal = reads.string(PEER_URI_SAN_PATH);
          value = principal !== null ? this.text(field, principal) : null;
          break;
        }
        case Fact.JwtSubject:
        case Fact.JwtClaim:
          value = this.property(field, field.path);
          break;
        case Fact.AbacDecision:
        case Fact.AbacPolicy:
        case Fact.AbacRule:
        case Fact.FilterState: {
          const state = reads.string(field.path);
          value = state !== null ? this.text(field, state) : null;
          break;
        }
        case Fact.RequestHeader:
          value = this.header(field, field.argument);
          break;
        case Fact.QueryParameter: {
          const parameter = hasQuery ? Redactor.queryParameter(query, field.argument) : null;
          if (parameter !== null) {
            value = this.text(field, config.redactor.isSensitiveQueryParameter(field.argument) ? config.redactor.redact(parameter) : parameter);
          }
          break;
        }
        case Fact.StartTime: {
          if (reads.eightBytes(REQUEST_TIME_PATH)) value = decimalText(<i64>reads.lastEightBytes);
          break;
        }
        case Fact.Property:
          value = this.property(field, field.path);
          break;
        default:
          break;
      }
      this.set(field.index, value);
    }
    if (config.needsPolicy) {
      const policy = reads.string(ABAC_POLICY_PATH);
      this.policyTag = policy !== null && policy.length > 0 ? sanitizeTagValue(policy) : POLICY_NONE;
    }
    if (config.logFields.length > 0) this.startNanos = currentTimeNanos(); // duration fallback
  }

  private collectResponse(): void {
    this.sawResponse = true;
    const config = this.config;
    const reads = this.reads;
    reads.useHeaders(this.responseHeaders, config.responseHeadersAsPairs);
    if (config.needsStatus) {
      const statusText = reads.firstHeader(":status");
      this.status = statusText !== null ? parseStatus(statusText) : 0;
    }
    if (config.needsServiceTime) {
      const serviceTime = reads.firstHeader("x-envoy-upstream-service-time");
      if (serviceTime !== null) this.upstreamServiceTimeMs = parseMillis(serviceTime);
    }
    const fields = config.responseFields;
    for (let i = 0; i < fields.length; i++) {
      const field = unchecked(fields[i]);
      let value: string | null = null;
      switch (field.fact) {
        case Fact.Status:
          value = this.status > 0 ? decimalText(this.status) : null;
          break;
        case Fact.ResponseHeader:
          value = this.header(field, field.argument);
          break;
        case Fact.Property:
          value = this.property(field, field.path);
          break;
        default:
          break;
      }
      this.set(field.index, value);
    }
  }

  private collectLog(): void {
    const reads = this.reads;
    if (this.status == 0 && this.config.needsStatus) {
      // No response headers were seen (reset, or none sent): Envoy's own response code, if any.
      if (reads.eightBytes(RESPONSE_CODE_PATH)) {
        const code = <i64>reads.lastEightBytes;
        if (code >= 100 && code <= 599) this.status = <i32>code;
      }
    }
    const fields = this.config.logFields;
    for (let i = 0; i < fields.length; i++) {
      const field = unchecked(fields[i]);
      let value: string | null = null;
      switch (field.fact) {
        case Fact.GrpcStatus:
          // Envoy maps any HTTP status to a gRPC status (a plain 200 reads as 2 UNKNOWN): record it only for gRPC.
          if (this.isGrpc) value = this.intProperty(RESPONSE_GRPC_STATUS_PATH);
          break;
        case Fact.ResponseCodeDetails: {
          const details = reads.string(RESPONSE_CODE_DETAILS_PATH);
          value = details !== null ? this.text(field, details) : null;
          break;
        }
        case Fact.RequestBodySize:
          value = this.intProperty(REQUEST_SIZE_PATH);
          break;
        case Fact.RequestSize:
          value = this.intProperty(REQUEST_TOTAL_SIZE_PATH);
          break;
        case Fact.ResponseBodySize:
          value = this.intProperty(RESPONSE_SIZE_PATH);
          break;
        case Fact.ResponseSize:
          value = this.intProperty(RESPONSE_TOTAL_SIZE_PATH);
          break;
        case Fact.Duration: {
          if (reads.eightBytes(REQUEST_DURATION_PATH)) value = formatSecondsFromNanos(<i64>reads.lastEightBytes);
          else if (this.startNanos > 0) value = formatSecondsFromNanos(<i64>(currentTimeNanos() - this.startNanos));
          break;
        }
        case Fact.UpstreamLatency: {
          if (reads.eightBytes(RESPONSE_BACKEND_LATENCY_PATH)) value = formatSecondsFromNanos(<i64>reads.lastEightBytes);
          else if (this.upstreamServiceTimeMs >= 0) value = formatSecondsFromNanos(this.upstreamServiceTimeMs * 1_000_000);
          break;
        }
        case Fact.Property:
          value = this.property(field, field.path);
          break;
        default:
          break;
      }
      this.set(field.index, value);
    }
  }

  /** A string fact: capped and escaped. */
  private text(field: FieldSpec, raw: string): string {
    return safeValue(raw, field.maxLength);
  }

  /**
   * A header fact: every value of a repeated header, comma-joined (as Envoy's `request.headers` attribute
   * does); redacted when the name is sensitive.
   */
  private header(field: FieldSpec, name: string): string | null {
    // One pairs read per callback, shared by every header fact of that phase (HostReads).
    const joined = this.reads.joinedHeader(name);
    if (joined === null) return null;
    const redactor = this.config.redactor;
    return this.text(field, redactor.isSensitiveHeader(name) ? redactor.redact(joined) : joined);
  }

  /** A property read with the field's configured type (Envoy encodings: host-behaviour.md §C.2). */
  private property(field: FieldSpec, path: string[]): string | null {
    const reads = this.reads;
    switch (field.propertyType) {
      case PropertyType.String: {
        const value = reads.string(path);
        return value !== null ? this.text(field, value) : null;
      }
      case PropertyType.Int:
        return this.intProperty(path);
      case PropertyType.Uint:
        return reads.eightBytes(path) ? unsignedDecimalText(reads.lastEightBytes) : null;
      case PropertyType.Bool: {
        const value = reads.bool(path);
        return value >= 0 ? (value == 1 ? "true" : "false") : null;
      }
      case PropertyType.Double:
        return reads.eightBytes(path) ? formatDecimal(reinterpret<f64>(reads.lastEightBytes)) : null;
      case PropertyType.Duration:
        return reads.eightBytes(path) ? formatSecondsFromNanos(<i64>reads.lastEightBytes) : null;
      case PropertyType.Timestamp:
        return reads.eightBytes(path) ? decimalText(<i64>reads.lastEightBytes) : null;
      case PropertyType.List: {
        const value = reads.list(path);
        return value !== null ? this.text(field, value.join(",")) : null;
      }
      default:
        return null;
    }
  }

  /** An int64 property in decimal, or null. */
  /** The IP of the `ip:port` address property at `path`, as field text; null when absent. */
  private addressIp(field: FieldSpec, path: string[]): string | null {
    const address = this.reads.string(path);
    return address !== null ? this.text(field, ipOf(address)) : null;
  }

  private intProperty(path: string[]): string | null {
    return this.reads.eightBytes(path) ? decimalText(<i64>this.reads.lastEightBytes) : null;
  }

  // -- outputs ---------------------------------------------------------------------------------------------

  /**
   * Sets each output header to its field's value, or removes it when the field has no value, so that a copy
   * sent by the client (or the upstream) never passes for the recorder's.
   */
  private writeHeaderOutputs(outputs: HeaderOutput[], request: bool): void {
    if (outputs.length == 0) return;
    const map = request ? this.requestHeaders : this.responseHeaders;
    for (let i = 0; i < outputs.length; i++) {
      const output = unchecked(outputs[i]);
      const value = unchecked(this.values[output.fieldIndex]);
      if (value !== null) map.replace(output.header, value);
      else map.remove(output.header);
    }
  }

  /**
   * Writes the filter state for fields of phase ≥ `fromPhase`, then, if `withDocument`, the JSON document
   * (returned as UTF-8; null if not written).
   */
  private publish(fromPhase: Phase, withDocument: bool): ArrayBuffer | null {
    const config = this.config;
    if (config.writeFieldState) {
      const fields = config.fields;
      for (let i = 0; i < fields.length; i++) {
        const field = unchecked(fields[i]);
        if (field.phase < fromPhase) continue;
        const bytes = this.valueBytes(field.index);
        if (bytes !== null) setProperty([field.filterStateKey], bytes);
      }
    }
    if (!withDocument || !config.writeDocument) return null;
    const document = this.document();
    setProperty([config.prefix], document);
    return document;
  }

  /** UTF-8 of field `index`'s value, encoded once per value. */
  private valueBytes(index: i32): ArrayBuffer | null {
    let bytes = unchecked(this.bytes[index]);
    if (bytes === null) {
      const value = unchecked(this.values[index]);
      if (value === null) return null;
      bytes = encodeUtf8(value);
      unchecked((this.bytes[index] = bytes));
    }
    return bytes;
  }

  /** Sets field `index` (rendered value, or null) and forgets its cached UTF-8. */
  private set(index: i32, value: string | null): void {
    unchecked((this.values[index] = value));
    unchecked((this.bytes[index] = null));
  }

  /**
   * The JSON document of every recorded field, in configuration order, as UTF-8: one line, no raw control
   * characters. Built by copying the precomputed `"name":` keys and the encoded values into one buffer.
   */
  private document(): ArrayBuffer {
    const fields = this.config.fields;
    let size = 2; // { }
    for (let i = 0; i < fields.length; i++) {
      const field = unchecked(fields[i]);
      const bytes = this.valueBytes(field.index);
      if (bytes === null) continue;
      size += 1 + field.jsonKey.byteLength + bytes.byteLength + (field.kind == ValueKind.String ? 2 : 0); // , "…"
    }
    const document = new ArrayBuffer(size - (size > 2 ? 1 : 0)); // no comma before the first member
    let out = changetype<usize>(document);
    store<u8>(out++, 0x7b);
    let first = true;
    for (let i = 0; i < fields.length; i++) {
      const field = unchecked(fields[i]);
      const bytes = this.valueBytes(field.index);
      if (bytes === null) continue;
      if (!first) store<u8>(out++, 0x2c);
      first = false;
      const key = field.jsonKey;
      memory.copy(out, changetype<usize>(key), <usize>key.byteLength);
      out += <usize>key.byteLength;
      const quoted = field.kind == ValueKind.String;
      if (quoted) store<u8>(out++, 0x22);
      memory.copy(out, changetype<usize>(bytes), <usize>bytes.byteLength);
      out += <usize>bytes.byteLength;
      if (quoted) store<u8>(out++, 0x22);
    }
    store<u8>(out, 0x7d);
    return document;
  }
}

/** Non-negative integer milliseconds, or -1. */
function parseMillis(text: string): i64 {
  if (text.length == 0 || text.length > 12) return -1;
  let value: i64 = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    value = value * 10 + <i64>(c - 0x30);
  }
  return value;
}
