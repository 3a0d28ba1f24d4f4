/**
 * `probe-scripted`: one plugin whose behaviour is entirely in its configuration, so that scenario files can
 * exercise every SDK hostcall wrapper — with the same module — in the harness and in Envoy.
 *
 * Configuration (JSON object; every key optional):
 *
 *   { "callbacks": true,                       // log every callback entry with its arguments
 *     "vmStart":         [op, …],              // ops per callback, run in order
 *     "configure":       [op, …],
 *     "requestHeaders":  [op, …],  "requestBody":  [op, …],  "requestTrailers":  [op, …],
 *     "responseHeaders": [op, …],  "responseBody": [op, …],  "responseTrailers": [op, …],
 *     "log": [op, …],  "done": [op, …],  "delete": [op, …],
 *     "httpCallResponse": [op, …],             // on the context that made the call
 *     "queueReady": [op, …],  "tick": [op, …], // root context
 *     "grpcInitialMetadata": [op, …], "grpcReceive": [op, …], "grpcTrailingMetadata": [op, …],
 *     "grpcClose": [op, …]                     // gRPC callouts, on the context that made them
 *   }
 *
 * An op is `{"op": "<name>", …arguments}`, optionally with `"eos": true|false` to run only when the callback's
 * `endOfStream` argument has that value (body callbacks are called once per chunk and once more at the end
 * of the stream, often with 0 bytes), and in callout callbacks with `"token": <n>` to run only for that
 * callout. Each op logs one INFO line `<callback> <op>[ <subject>] -> <result>`
 * (strings JSON-quoted, statuses by name), except `log` (which logs its own message), `return` and `trap`.
 * The ops (see `execute` for arguments): log, logLevel, getHeader, getHeaderAll, hasHeader, getHeaders,
 * headerSize, addHeader, replaceHeader, removeHeader, setHeaders, bodySize, readBody, replaceBody,
 * prependBody, appendBody, getProperty, setProperty, setEnvoyFilterState, declareProperty, sendLocalResponse,
 * resumeRequest, resumeResponse, closeStream, clearRouteCache, httpCall, calloutStatus, defineCounter,
 * defineGauge, defineHistogram, increment, record, getMetric, getSharedData, setSharedData, registerQueue,
 * resolveQueue, enqueue, dequeue, setTickPeriod, currentTime, monotonicTime, random, setEffectiveContext,
 * done, callForeign, grpcCall, grpcStream, grpcSend, grpcCancel, grpcClose, return, trap.
 *
 * A configuration that is not a JSON object, or an unknown op, makes onConfigure fail with a critical log
 * line naming the problem (so the probe doubles as a "rejected configuration" fixture).
 */
export * from "../../assembly/exports";
import {
  Action,
  BaseContext,
  Body,
  Counter,
  Gauge,
  HeaderMap,
  HeaderPair,
  Histogram,
  HttpContext,
  LifeSpan,
  Log,
  LogLevel,
  PropertyType,
  RootContext,
  Status,
  StreamType,
  callForeignFunction,
  clearRouteCache,
  closeStream,
  continueStream,
  currentTimeNanos,
  fillRandom,
  grpcCall,
  grpcCancel,
  grpcClose,
  grpcInitialMetadata,
  grpcReceiveBuffer,
  grpcSend,
  grpcStream,
  grpcTrailingMetadata,
  monotonicTimeNanos,
  declareProperty,
  dequeueSharedQueue,
  done,
  enqueueSharedQueue,
  getCalloutStatus,
  getLogLevel,
  getProperty,
  getPropertyBool,
  getPropertyDouble,
  getPropertyInt64,
  getPropertyList,
  getPropertyMap,
  getPropertyString,
  getPropertyUint64,
  getSharedData,
  httpCall,
  httpCallResponseBody,
  httpCallResponseHeaders,
  httpCallResponseTrailers,
  logMessage,
  pluginConfiguration,
  registerRootContext,
  registerSharedQueue,
  requestBody,
  requestHeaders,
  requestTrailers,
  resolveSharedQueue,
  responseBody,
  responseHeaders,
  responseTrailers,
  sendLocalResponse,
  setEffectiveContext,
  setEnvoyFilterState,
  setProperty,
  setSharedData,
  setTickPeriod,
  vmConfiguration,
} from "../../assembly";
import { JSON_ASCII_ONLY, JsonObject, JsonValue, jsonQuote, parseJson } from "../../assembly/util/json";

const CALLBACKS: string[] = [
  "vmStart", "configure", "requestHeaders", "requestBody", "requestTrailers", "responseHeaders",
  "responseBody", "responseTrailers", "log", "done", "delete", "httpCallResponse", "queueReady", "tick",
  "grpcInitialMetadata", "grpcReceive", "grpcTrailingMetadata", "grpcClose",
];

const OPS: string[] = [
  "log", "logLevel", "getHeader", "getHeaderAll", "hasHeader", "getHeaders", "headerSize", "addHeader",
  "replaceHeader", "removeHeader", "setHeaders", "bodySize", "readBody", "replaceBody", "prependBody",
  "appendBody", "getProperty", "setProperty", "setEnvoyFilterState", "declareProperty", "sendLocalResponse",
  "resumeRequest", "resumeResponse", "closeStream", "clearRouteCache", "httpCall", "calloutStatus",
  "defineCounter", "defineGauge", "defineHistogram", "increment", "record", "getMetric", "getSharedData",
  "setSharedData", "registerQueue", "resolveQueue", "enqueue", "dequeue", "setTickPeriod", "currentTime",
  "monotonicTime", "random", "setEffectiveContext", "done", "callForeign", "grpcCall", "grpcStream", "grpcSend",
  "grpcCancel", "grpcClose", "return", "trap",
];

const STATUS_NAMES: string[] = [
  "Ok", "NotFound", "BadArgument", "SerializationFailure", "ParseFailure", "BadExpression",
  "InvalidMemoryAccess", "Empty", "CasMismatch", "ResultMismatch", "InternalFailure", "BrokenConnection",
  "Unimplemented",
];

function statusName(status: Status): string {
  const index = <i32>status;
  return index >= 0 && index < STATUS_NAMES.length ? STATUS_NAMES[index] : "Status(" + index.toString() + ")";
}

function quote(text: string | null): string {
  return text === null ? "null" : jsonQuote(text, JSON_ASCII_ONLY);
}

function quoteList(items: string[]): string {
  let out = "[";
  for (let i = 0; i < items.length; i++) out += (i > 0 ? "," : "") + quote(items[i]);
  return out + "]";
}

function quotePairs(pairs: HeaderPair[]): string {
  let out = "[";
  for (let i = 0; i < pairs.length; i++) {
    out += (i > 0 ? "," : "") + "[" + quote(pairs[i].name) + "," + quote(pairs[i].value) + "]";
  }
  return out + "]";
}

function hex(data: ArrayBuffer): string {
  const bytes = Uint8Array.wrap(data);
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = <i32>bytes[i];
    out += (b < 16 ? "0" : "") + b.toString(16);
  }
  return out;
}

/** One configured operation. */
class Op {
  constructor(
    public name: string,
    public args: JsonObject,
  ) {}

  string(key: string, fallback: string = ""): string {
    const value = this.args.get(key);
    if (value === null) return fallback;
    const text = value.asString();
    return text === null ? fallback : text;
  }

  number(key: string, fallback: f64 = 0): f64 {
    const value = this.args.get(key);
    return value !== null && value.isNumber() ? value.asNumber() : fallback;
  }

  has(key: string): bool {
    return this.args.has(key);
  }

  strings(key: string): string[] {
    const out: string[] = [];
    const value = this.args.get(key);
    if (value === null) return out;
    const items = value.asArray();
    if (items === null) return out;
    for (let i = 0; i < items.length; i++) {
      const text = items[i].asString();
      out.push(text === null ? "" : text);
    }
    return out;
  }

  /** `[[name, value], …]`. */
  pairs(key: string): HeaderPair[] {
    const out: HeaderPair[] = [];
    const value = this.args.get(key);
    if (value === null) return out;
    const items = value.asArray();
    if (items === null) return out;
    for (let i = 0; i < items.length; i++) {
      const pair = items[i].asArray();
      if (pair === null || pair.length != 2) continue;
      const name = pair[0].asString();
      const text = pair[1].asString();
      out.push(new HeaderPair(name === null ? "" : name, text === null ? "" : text));
    }
    return out;
  }
}

/** The parsed configuration: ops per callback. */
class Script {
  callbacks: bool = false;
  readonly ops: Map<string, Op[]> = new Map<string, Op[]>();

  opsFor(callback: string): Op[] {
    return this.ops.has(callback) ? this.ops.get(callback) : [];
  }
}

/** Parses the configuration; returns an error message or null. */
function parseScript(text: string, script: Script): string | null {
  if (text.length == 0) return null;
  const parsed = parseJson(text);
  if (parsed.error !== null) return "configuration is not JSON: " + parsed.describeError();
  const root = (<JsonValue>parsed.value).asObject();
  if (root === null) return "configuration must be a JSON object";
  for (let i = 0; i < root.keys.length; i++) {
    const key = root.keys[i];
    const value = root.values[i];
    if (key == "callbacks") {
      script.callbacks = value.isBool() && value.asBool();
      continue;
    }
    if (!CALLBACKS.includes(key)) return "unknown callback " + quote(key);
    const items = value.asArray();
    if (items === null) return key + " must be an array of ops";
    const ops: Op[] = [];
    for (let j = 0; j < items.length; j++) {
      const where = key + "[" + j.toString() + "]";
      const object = items[j].asObject();
      if (object === null) return where + " must be an object";
      const nameValue = object.get("op");
      if (nameValue === null) return where + " has no \"op\"";
      const opName = nameValue.asString();
      if (opName === null) return where + ".op must be a string";
      if (!OPS.includes(opName)) return where + ": unknown op " + quote(opName);
      ops.push(new Op(opName, object));
    }
    script.ops.set(key, ops);
  }
  return null;
}

function headerMap(name: string): HeaderMap {
  if (name == "response") return responseHeaders;
  if (name == "requestTrailers") return requestTrailers;
  if (name == "responseTrailers") return responseTrailers;
  if (name == "httpCallResponse") return httpCallResponseHeaders;
  if (name == "httpCallResponseTrailers") return httpCallResponseTrailers;
  if (name == "grpcInitialMetadata") return grpcInitialMetadata;
  if (name == "grpcTrailingMetadata") return grpcTrailingMetadata;
  return requestHeaders;
}

function buffer(name: string): Body {
  if (name == "response") return responseBody;
  if (name == "httpCallResponse") return httpCallResponseBody;
  if (name == "pluginConfiguration") return pluginConfiguration;
  if (name == "vmConfiguration") return vmConfiguration;
  if (name == "grpcReceive") return grpcReceiveBuffer;
  return requestBody;
}

function logLevel(name: string): LogLevel {
  if (name == "trace") return LogLevel.Trace;
  if (name == "debug") return LogLevel.Debug;
  if (name == "warn") return LogLevel.Warn;
  if (name == "error") return LogLevel.Error;
  if (name == "critical") return LogLevel.Critical;
  return LogLevel.Info;
}

const LEVEL_NAMES: string[] = ["trace", "debug", "info", "warn", "error", "critical", "off"];

function lifeSpan(name: string): LifeSpan {
  if (name == "DownstreamRequest") return LifeSpan.DownstreamRequest;
  if (name == "DownstreamConnection") return LifeSpan.DownstreamConnection;
  return LifeSpan.FilterChain;
}

/** Per-VM state the ops share: metrics and queues by name, the CAS of the last read per key. */
const counters = new Map<string, Counter>();
const gauges = new Map<string, Gauge>();
const histograms = new Map<string, Histogram>();
const queues = new Map<string, u32>();
const lastCas = new Map<string, u32>();
/** The token of the last gRPC call or stream this VM opened (the `grpcSend`/`grpcCancel`/`grpcClose` target). */
let lastGrpcToken: u32 = 0;

/** The value of `getProperty` formatted as `as` says. */
function formatProperty(path: string[], as: string): string {
  if (as == "int64") {
    const v = getPropertyInt64(path);
    return v === null ? "null" : v.value.toString();
  }
  if (as == "uint64") {
    const v = getPropertyUint64(path);
    return v === null ? "null" : v.value.toString();
  }
  if (as == "bool") {
    const v = getPropertyBool(path);
    return v === null ? "null" : v.value ? "true" : "false";
  }
  if (as == "double") {
    const v = getPropertyDouble(path);
    return v === null ? "null" : v.value.toString();
  }
  if (as == "map") {
    const v = getPropertyMap(path);
    return v === null ? "null" : quotePairs(v);
  }
  if (as == "list") {
    const v = getPropertyList(path);
    return v === null ? "null" : quoteList(v);
  }
  if (as == "bytes") {
    const v = getProperty(path);
    return v === null ? "null" : "0x" + hex(v);
  }
  if (as == "size") {
    const v = getProperty(path);
    return v === null ? "null" : v.byteLength.toString();
  }
  if (as == "exists") return getProperty(path) === null ? "absent" : "present";
  return quote(getPropertyString(path));
}

/** Sentinel: the op did not set a return value. */
const NO_RETURN: i32 = -1;

/**
 * Runs the ops of `callback` on `context`; returns the value of the last `return` op, or NO_RETURN.
 * `http` is the stream context when the callback belongs to one; `endOfStream` is 0/1 for callbacks that
 * have that argument, -1 otherwise.
 */
function runOps(
  script: Script,
  callback: string,
  context: BaseContext,
  http: ScriptedHttp | null,
  endOfStream: i32 = -1,
  token: i64 = -1,
): i32 {
  const ops = script.opsFor(callback);
  let result = NO_RETURN;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const name = op.name;
    const eos = op.args.get("eos");
    if (eos !== null && eos.isBool() && endOfStream >= 0 && eos.asBool() != (endOfStream == 1)) continue;
    const onlyToken = op.args.get("token");
    if (onlyToken !== null && onlyToken.isNumber() && token >= 0 && <i64>onlyToken.asNumber() != token) continue;
    if (name == "return") {
      const value = op.args.get("value");
      if (value !== null && value.isBool()) result = value.asBool() ? 1 : 0;
      else if (value !== null && value.isNumber()) result = <i32>value.asNumber();
      else result = op.string("value") == "pause" ? <i32>Action.Pause : <i32>Action.Continue;
      continue;
    }
    if (name == "trap") unreachable();
    if (name == "log") {
      logMessage(logLevel(op.string("level", "info")), op.string("message"));
      continue;
    }
    const outcome = execute(op, context, http);
    logMessage(LogLevel.Info, callback + " " + name + outcome);
  }
  return result;
}

/** Executes one op; returns ` <subject> -> <result>` (or ` -> <result>`). */
function execute(op: Op, context: BaseContext, http: ScriptedHttp | null): string {
  const name = op.name;
  if (name == "logLevel") {
    const level = <i32>getLogLevel();
    return " -> " + (level >= 0 && level < LEVEL_NAMES.length ? LEVEL_NAMES[level] : level.toString());
  }
  // Headers: "map" is request (default), response, requestTrailers, responseTrailers, httpCallResponse,
  // httpCallResponseTrailers.
  if (name == "getHeader") {
    const header = op.string("name");
    return " " + header + " -> " + quote(headerMap(op.string("map")).get(header));
  }
  if (name == "getHeaderAll") {
    const header = op.string("name");
    return " " + header + " -> " + quoteList(headerMap(op.string("map")).getAll(header));
  }
  if (name == "hasHeader") {
    const header = op.string("name");
    return " " + header + " -> " + (headerMap(op.string("map")).has(header) ? "true" : "false");
  }
  if (name == "getHeaders") {
    // "except": header names left out of the listing (e.g. x-request-id, whose value is random).
    const except = op.strings("except");
    const all = headerMap(op.string("map")).pairs();
    const kept: HeaderPair[] = [];
    for (let i = 0; i < all.length; i++) if (!except.includes(all[i].name)) kept.push(all[i]);
    return " " + op.string("map", "request") + " -> " + quotePairs(kept);
  }
  if (name == "headerSize") return " " + op.string("map", "request") + " -> " + headerMap(op.string("map")).byteSize().toString();
  if (name == "addHeader") {
    return " " + op.string("name") + " -> " + statusName(headerMap(op.string("map")).add(op.string("name"), op.string("value")));
  }
  if (name == "replaceHeader") {
    return " " + op.string("name") + " -> " + statusName(headerMap(op.string("map")).replace(op.string("name"), op.string("value")));
  }
  if (name == "removeHeader") {
    return " " + op.string("name") + " -> " + statusName(headerMap(op.string("map")).remove(op.string("name")));
  }
  if (name == "setHeaders") return " " + op.string("map", "request") + " -> " + statusName(headerMap(op.string("map")).setPairs(op.pairs("pairs")));
  // Buffers: "buffer" is request (default), response, httpCallResponse, pluginConfiguration, vmConfiguration.
  if (name == "bodySize") return " " + op.string("buffer", "request") + " -> " + buffer(op.string("buffer")).size().toString();
  if (name == "readBody") {
    const start = <usize>op.number("start", 0);
    const size = op.has("size") ? <usize>op.number("size") : <usize>0xffffffff;
    return " " + op.string("buffer", "request") + " -> " + quote(buffer(op.string("buffer")).readString(start, size));
  }
  if (name == "replaceBody" || name == "prependBody" || name == "appendBody") {
    const data = String.UTF8.encode(op.string("data"));
    const body = buffer(op.string("buffer"));
    const status = name == "replaceBody" ? body.replace(data) : name == "prependBody" ? body.prepend(data) : body.append(data);
    return " " + op.string("buffer", "request") + " -> " + statusName(status);
  }
  // Properties: "path" is an array of segments; "as" picks the decoding (string by default).
  if (name == "getProperty") {
    const path = op.strings("path");
    return " " + path.join(".") + " -> " + formatProperty(path, op.string("as", "string"));
  }
  if (name == "setProperty") {
    const path = op.strings("path");
    return " " + path.join(".") + " -> " + statusName(setProperty(path, String.UTF8.encode(op.string("value"))));
  }
  if (name == "setEnvoyFilterState") {
    const key = op.string("key");
    return " " + key + " -> " + statusName(setEnvoyFilterState(key, op.string("value"), lifeSpan(op.string("span"))));
  }
  if (name == "declareProperty") {
    const property = op.string("name");
    const type = op.string("type") == "string" ? PropertyType.String : PropertyType.Bytes;
    const readOnly = op.args.get("readOnly") !== null && (<JsonValue>op.args.get("readOnly")).asBool();
    return " " + property + " -> " + statusName(declareProperty(property, type, readOnly, lifeSpan(op.string("span"))));
  }
  // Stream control.
  if (name == "sendLocalResponse") {
    const body = op.has("body") ? String.UTF8.encode(op.string("body")) : null;
    const grpc = op.has("grpcStatus") ? <i32>op.number("grpcStatus") : -1;
    const status = sendLocalResponse(<u32>op.number("status", 200), op.string("details"), body, op.pairs("headers"), grpc);
    return " " + (<u32>op.number("status", 200)).toString() + " -> " + statusName(status);
  }
  if (name == "resumeRequest") return " -> " + statusName(continueStream(StreamType.HttpRequest));
  if (name == "resumeResponse") return " -> " + statusName(continueStream(StreamType.HttpResponse));
  if (name == "closeStream") {
    const which = op.string("stream", "request") == "response" ? StreamType.HttpResponse : StreamType.HttpRequest;
    return " " + op.string("stream", "request") + " -> " + statusName(closeStream(which));
  }
  if (name == "clearRouteCache") return " -> " + statusName(clearRouteCache());
  // Callouts: the answer arrives in "httpCallResponse" on this context.
  if (name == "httpCall") {
    const cluster = op.string("cluster");
    const body = op.has("body") ? String.UTF8.encode(op.string("body")) : null;
    const result = httpCall(cluster, op.pairs("headers"), body, op.pairs("trailers"), <u32>op.number("timeoutMs", 5000), context);
    return " " + cluster + " -> " + statusName(result.status) + (result.status == Status.Ok ? " token " + result.token.toString() : "");
  }
  if (name == "calloutStatus") {
    const status = getCalloutStatus();
    return " -> " + (status === null ? "null" : status.code.toString() + " " + quote(status.message));
  }
  // Metrics, by name (define first).
  if (name == "defineCounter") {
    const metric = op.string("name");
    const counter = Counter.define(metric);
    counters.set(metric, counter);
    return " " + metric + " -> " + (counter.id != 0 ? "defined" : "failed");
  }
  if (name == "defineGauge") {
    const metric = op.string("name");
    const gauge = Gauge.define(metric);
    gauges.set(metric, gauge);
    return " " + metric + " -> " + (gauge.id != 0 ? "defined" : "failed");
  }
  if (name == "defineHistogram") {
    const metric = op.string("name");
    const histogram = Histogram.define(metric);
    histograms.set(metric, histogram);
    return " " + metric + " -> " + (histogram.id != 0 ? "defined" : "failed");
  }
  if (name == "increment") {
    const metric = op.string("name");
    const delta = <i64>op.number("delta", 1);
    if (counters.has(metric)) return " " + metric + " -> " + statusName(counters.get(metric).increment(<u64>delta));
    if (gauges.has(metric)) return " " + metric + " -> " + statusName(gauges.get(metric).increment(delta));
    return " " + metric + " -> undefined metric";
  }
  if (name == "record") {
    const metric = op.string("name");
    const value = <i64>op.number("value", 0);
    if (gauges.has(metric)) return " " + metric + " -> " + statusName(gauges.get(metric).record(value));
    if (histograms.has(metric)) return " " + metric + " -> " + statusName(histograms.get(metric).record(<u64>value));
    return " " + metric + " -> undefined metric";
  }
  if (name == "getMetric") {
    const metric = op.string("name");
    if (counters.has(metric)) return " " + metric + " -> " + counters.get(metric).get().toString();
    if (gauges.has(metric)) return " " + metric + " -> " + gauges.get(metric).get().toString();
    return " " + metric + " -> undefined metric";
  }
  // Shared data: the CAS of the last read of a key is kept; "cas": "last" writes with it.
  if (name == "getSharedData") {
    const key = op.string("key");
    const value = getSharedData(key);
    if (value === null) return " " + key + " -> null";
    lastCas.set(key, value.cas);
    const text = value.value === null ? "" : String.UTF8.decode(<ArrayBuffer>value.value);
    return " " + key + " -> " + quote(text) + (value.cas != 0 ? " cas>0" : " cas=0");
  }
  if (name == "setSharedData") {
    const key = op.string("key");
    let cas: u32 = 0;
    if (op.string("cas") == "last") cas = lastCas.has(key) ? lastCas.get(key) : 0;
    else if (op.has("cas")) cas = <u32>op.number("cas");
    return " " + key + " -> " + statusName(setSharedData(key, String.UTF8.encode(op.string("value")), cas));
  }
  // Queues, by name.
  if (name == "registerQueue") {
    const queue = op.string("name");
    const id = registerSharedQueue(queue);
    queues.set(queue, id);
    return " " + queue + " -> " + (id != 0 ? "registered" : "failed");
  }
  if (name == "resolveQueue") {
    const queue = op.string("name");
    const id = resolveSharedQueue(op.string("vmId"), queue);
    if (id != 0) queues.set(queue, id);
    return " " + queue + " -> " + (id != 0 ? "found" : "not found");
  }
  if (name == "enqueue") {
    const queue = op.string("name");
    const id = queues.has(queue) ? queues.get(queue) : 0;
    return " " + queue + " -> " + statusName(enqueueSharedQueue(id, String.UTF8.encode(op.string("data"))));
  }
  if (name == "dequeue") {
    const queue = op.string("name");
    const id = queues.has(queue) ? queues.get(queue) : 0;
    const data = dequeueSharedQueue(id);
    return " " + queue + " -> " + (data === null ? "null" : quote(String.UTF8.decode(data)));
  }
  if (name == "setTickPeriod") return " -> " + statusName(setTickPeriod(<u32>op.number("ms", 0)));
  if (name == "currentTime") return " -> " + (currentTimeNanos() > 0 ? "nonzero" : "zero");
  if (name == "monotonicTime") return " -> " + (monotonicTimeNanos() > 0 ? "nonzero" : "zero");
  if (name == "random") {
    const bytes = new ArrayBuffer(<i32>op.number("size", 16));
    return " " + bytes.byteLength.toString() + " -> " + (fillRandom(bytes) ? "Ok" : "failed");
  }
  // gRPC callouts: answers arrive in grpcInitialMetadata / grpcReceive / grpcTrailingMetadata / grpcClose.
  if (name == "grpcCall" || name == "grpcStream") {
    const cluster = op.string("cluster");
    const service = op.string("service", "test.Service");
    const method = op.string("method", "Call");
    const result =
      name == "grpcCall"
        ? grpcCall(cluster, service, method, op.pairs("metadata"), String.UTF8.encode(op.string("message")), <u32>op.number("timeoutMs", 5000), context)
        : grpcStream(cluster, service, method, op.pairs("metadata"), context);
    if (result.status == Status.Ok) lastGrpcToken = result.token;
    return " " + cluster + " -> " + statusName(result.status) + (result.status == Status.Ok ? " token " + result.token.toString() : "");
  }
  if (name == "grpcSend") {
    const endStream = op.args.get("endStream") !== null && (<JsonValue>op.args.get("endStream")).asBool();
    return " -> " + statusName(grpcSend(lastGrpcToken, String.UTF8.encode(op.string("message")), endStream));
  }
  if (name == "grpcCancel") return " -> " + statusName(grpcCancel(lastGrpcToken));
  if (name == "grpcClose") return " -> " + statusName(grpcClose(lastGrpcToken));
  if (name == "setEffectiveContext") {
    const id = op.string("id") == "self" ? context.contextId : <u32>op.number("id", 0);
    return " -> " + statusName(setEffectiveContext(id));
  }
  if (name == "done") return " -> " + statusName(done());
  if (name == "callForeign") {
    const fn = op.string("name");
    const args = op.has("args") ? String.UTF8.encode(op.string("args")) : null;
    return " " + fn + " -> " + statusName(callForeignFunction(fn, args).status);
  }
  return " -> unknown op";
}

class ScriptedRoot extends RootContext {
  script: Script = new Script();

  onVmStart(vmConfigurationSize: usize): bool {
    // The plugin configuration is not readable yet (on_vm_start precedes on_configure): vmStart ops come from
    // the VM configuration when that is a JSON object (a script of its own); any other VM configuration is
    // left alone.
    const vm = this.getVmConfiguration();
    const vmText = vm === null ? "" : String.UTF8.decode(vm);
    if (vmText.startsWith("{")) {
      const vmScript = new Script();
      const error = parseScript(vmText, vmScript);
      if (error !== null) {
        Log.critical("probe-scripted: vm configuration: " + error);
        return false;
      }
      const result = runOps(vmScript, "vmStart", this, null);
      if (result == 0) return false;
    }
    return true;
  }

  onConfigure(pluginConfigurationSize: usize): bool {
    const config = this.getPluginConfiguration();
    const text = config === null ? "" : String.UTF8.decode(config);
    const script = new Script();
    const error = parseScript(text, script);
    if (error !== null) {
      Log.critical("probe-scripted: " + error);
      return false;
    }
    this.script = script;
    if (script.callbacks) logMessage(LogLevel.Info, "onConfigure size=" + pluginConfigurationSize.toString());
    return runOps(script, "configure", this, null) != 0;
  }

  onTick(): void {
    runOps(this.script, "tick", this, null);
  }

  onQueueReady(queueId: u32): void {
    if (this.script.callbacks) logMessage(LogLevel.Info, "onQueueReady");
    runOps(this.script, "queueReady", this, null);
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    if (this.script.callbacks) logCallout("root", token, numHeaders, bodySize, numTrailers);
    runOps(this.script, "httpCallResponse", this, null, -1, <i64>token);
  }

  onGrpcReceiveInitialMetadata(token: u32, numElements: u32): void {
    grpcCallback(this.script, this, null, "grpcInitialMetadata", "root", token, numElements);
  }

  onGrpcReceive(token: u32, messageSize: usize): void {
    grpcCallback(this.script, this, null, "grpcReceive", "root", token, <u32>messageSize);
  }

  onGrpcReceiveTrailingMetadata(token: u32, numElements: u32): void {
    grpcCallback(this.script, this, null, "grpcTrailingMetadata", "root", token, numElements);
  }

  onGrpcClose(token: u32, statusCode: u32): void {
    grpcCallback(this.script, this, null, "grpcClose", "root", token, statusCode);
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new ScriptedHttp(contextId, this);
  }
}

/** Logs a gRPC callback (with "callbacks") and runs its ops; `value` is the count, size or status code. */
function grpcCallback(
  script: Script,
  context: BaseContext,
  http: ScriptedHttp | null,
  callback: string,
  where: string,
  token: u32,
  value: u32,
): void {
  if (script.callbacks) {
    logMessage(LogLevel.Info, "on" + callback.charAt(0).toUpperCase() + callback.substring(1) + "(" + where + ") token=" + token.toString() + " value=" + value.toString());
  }
  runOps(script, callback, context, http, -1, <i64>token);
}

function logCallout(where: string, token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
  logMessage(
    LogLevel.Info,
    "onHttpCallResponse(" + where + ") token=" + token.toString() + " headers=" + numHeaders.toString() +
      " body=" + bodySize.toString() + " trailers=" + numTrailers.toString(),
  );
}

function bool01(value: bool): string {
  return value ? "true" : "false";
}

class ScriptedHttp extends HttpContext {
  private get script(): Script {
    return (<ScriptedRoot>this.root).script;
  }

  private action(callback: string, fallback: Action, endOfStream: i32 = -1): Action {
    const result = runOps(this.script, callback, this, this, endOfStream);
    return result == NO_RETURN ? fallback : <Action>result;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    if (this.script.callbacks) {
      logMessage(LogLevel.Info, "onRequestHeaders headers=" + numHeaders.toString() + " endOfStream=" + bool01(endOfStream));
    }
    return this.action("requestHeaders", Action.Continue, endOfStream ? 1 : 0);
  }

  onRequestBody(bodySize: usize, endOfStream: bool): Action {
    if (this.script.callbacks) {
      logMessage(LogLevel.Info, "onRequestBody size=" + bodySize.toString() + " endOfStream=" + bool01(endOfStream));
    }
    return this.action("requestBody", Action.Continue, endOfStream ? 1 : 0);
  }

  onRequestTrailers(numTrailers: u32): Action {
    if (this.script.callbacks) logMessage(LogLevel.Info, "onRequestTrailers trailers=" + numTrailers.toString());
    return this.action("requestTrailers", Action.Continue);
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    if (this.script.callbacks) {
      logMessage(LogLevel.Info, "onResponseHeaders headers=" + numHeaders.toString() + " endOfStream=" + bool01(endOfStream));
    }
    return this.action("responseHeaders", Action.Continue, endOfStream ? 1 : 0);
  }

  onResponseBody(bodySize: usize, endOfStream: bool): Action {
    if (this.script.callbacks) {
      logMessage(LogLevel.Info, "onResponseBody size=" + bodySize.toString() + " endOfStream=" + bool01(endOfStream));
    }
    return this.action("responseBody", Action.Continue, endOfStream ? 1 : 0);
  }

  onResponseTrailers(numTrailers: u32): Action {
    if (this.script.callbacks) logMessage(LogLevel.Info, "onResponseTrailers trailers=" + numTrailers.toString());
    return this.action("responseTrailers", Action.Continue);
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    if (this.script.callbacks) logCallout("stream", token, numHeaders, bodySize, numTrailers);
    runOps(this.script, "httpCallResponse", this, this, -1, <i64>token);
  }

  onGrpcReceiveInitialMetadata(token: u32, numElements: u32): void {
    grpcCallback(this.script, this, this, "grpcInitialMetadata", "stream", token, numElements);
  }

  onGrpcReceive(token: u32, messageSize: usize): void {
    grpcCallback(this.script, this, this, "grpcReceive", "stream", token, <u32>messageSize);
  }

  onGrpcReceiveTrailingMetadata(token: u32, numElements: u32): void {
    grpcCallback(this.script, this, this, "grpcTrailingMetadata", "stream", token, numElements);
  }

  onGrpcClose(token: u32, statusCode: u32): void {
    grpcCallback(this.script, this, this, "grpcClose", "stream", token, statusCode);
  }

  onLog(): void {
    if (this.script.callbacks) logMessage(LogLevel.Info, "onLog");
    runOps(this.script, "log", this, this);
  }

  onDone(): bool {
    if (this.script.callbacks) logMessage(LogLevel.Info, "onDone");
    return runOps(this.script, "done", this, this) != 0;
  }

  onDelete(): void {
    if (this.script.callbacks) logMessage(LogLevel.Info, "onDelete");
    runOps(this.script, "delete", this, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new ScriptedRoot(contextId));
