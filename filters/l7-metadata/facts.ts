// The catalogue of facts the recorder can record: the configuration key of each, its default field name
// (OpenTelemetry HTTP semantic conventions where one exists, authz-and-metadata.md §C.4), the phase in which
// Envoy makes it available (host-behaviour.md §C.3, F.16, F.26) and how its value is written in JSON.

import { decimalText } from "../../assembly";

/** When a fact is read. Request facts at request headers, response facts at response headers, the rest at on_log. */
export enum Phase {
  Request = 0,
  Response = 1,
  Log = 2,
}

/** How a value is written in the JSON document: a JSON string, or a bare JSON number / boolean. */
export enum ValueKind {
  String = 0,
  Number = 1,
  Bool = 2,
}

/** Every fact. Numbers are stable (they index `FACT_CATALOGUE`). */
export enum Fact {
  Method = 0,
  Path = 1,
  Query = 2,
  Route = 3,
  Scheme = 4,
  Authority = 5,
  ServerPort = 6,
  Protocol = 7,
  UserAgent = 8,
  RequestId = 9,
  ClientAddress = 10,
  ClientPort = 11,
  LocalAddress = 12,
  LocalPort = 13,
  PeerPrincipal = 14,
  JwtSubject = 15,
  JwtClaim = 16,
  AbacDecision = 17,
  AbacPolicy = 18,
  AbacRule = 19,
  RequestHeader = 20,
  QueryParameter = 21,
  StartTime = 22,
  Status = 23,
  ResponseHeader = 24,
  GrpcStatus = 25,
  ResponseCodeDetails = 26,
  RequestBodySize = 27,
  RequestSize = 28,
  ResponseBodySize = 29,
  ResponseSize = 30,
  Duration = 31,
  UpstreamLatency = 32,
  Property = 33,
  FilterState = 34,
}

/**
 * The catalogue, as parallel static arrays indexed by `Fact` (static data: no objects to build at start-up).
 * `FACT_KEYS`: the `fact` value in the configuration. `FACT_NAMES`: default field name ("" when derived from
 * the argument). `FACT_PHASES` / `FACT_KINDS`: `Phase` / `ValueKind`. `FACT_ARGUMENTS`: the configuration key
 * of the fact's argument (`header`, `parameter`, `claim`, `path`, `key`), or "".
 */
export const FACT_KEYS: StaticArray<string> = [
  "method", "path", "query", "route", "scheme", "authority", "serverPort", "protocol", "userAgent", "requestId",
  "clientAddress", "clientPort", "localAddress", "localPort", "peerPrincipal", "jwtSubject", "jwtClaim",
  "abacDecision", "abacPolicy", "abacRule", "requestHeader", "queryParameter", "startTime", "status",
  "responseHeader", "grpcStatus", "responseCodeDetails", "requestBodySize", "requestSize", "responseBodySize",
  "responseSize", "duration", "upstreamLatency", "property", "filterState",
];
export const FACT_NAMES: StaticArray<string> = [
  "http.request.method", "url.path", "url.query", "http.route", "url.scheme", "server.address", "server.port",
  "network.protocol.version", "user_agent.original", "request.id", "client.address", "client.port",
  "network.local.address", "network.local.port", "source.principal", "enduser.id", "", "abac.decision",
  "abac.policy", "abac.rule", "", "", "time_unix_nano", "http.response.status_code", "", "rpc.grpc.status_code",
  "envoy.response_code_details", "http.request.body.size", "http.request.size", "http.response.body.size",
  "http.response.size", "http.server.request.duration", "envoy.upstream.duration", "", "",
];
// Phase: 0 request, 1 response, 2 log. Kind: 0 string, 1 number.
export const FACT_PHASES: StaticArray<u8> = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0,
];
export const FACT_KINDS: StaticArray<u8> = [
  0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0,
];
export const FACT_ARGUMENTS: StaticArray<string> = [
  "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "claim", "", "", "", "header", "parameter", "",
  "", "header", "", "", "", "", "", "", "", "", "path", "key",
];

/** The fact whose configuration key is `key`, or -1. */
export function findFact(key: string): i32 {
  for (let i = 0; i < FACT_KEYS.length; i++) {
    if (unchecked(FACT_KEYS[i]) == key) return i;
  }
  return -1;
}

/** Type of a `property` / `jwtClaim` value: how the bytes Envoy returns are decoded (host-behaviour.md §C.2). */
export enum PropertyType {
  String = 0,
  Int = 1,
  Uint = 2,
  Bool = 3,
  Double = 4,
  Duration = 5,
  Timestamp = 6,
  List = 7,
}

/** `type` values in the configuration, indexed by `PropertyType`. */
export const PROPERTY_TYPE_NAMES: StaticArray<string> = ["string", "int", "uint", "bool", "double", "duration", "timestamp", "list"];

/** The JSON kind a property of `type` is written as. */
export function kindOfPropertyType(type: PropertyType): ValueKind {
  if (type == PropertyType.Bool) return ValueKind.Bool;
  if (type == PropertyType.String || type == PropertyType.List) return ValueKind.String;
  return ValueKind.Number;
}

/** HTTP methods recorded as themselves; any other method is recorded as `_OTHER` (OpenTelemetry). */
export const KNOWN_METHODS: StaticArray<string> = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY"];

/** OpenTelemetry `http.request.method` for `method` as sent: known methods as is, else `_OTHER`. */
export function normalizeMethod(method: string): string {
  return KNOWN_METHODS.includes(method) ? method : "_OTHER";
}

/**
 * Seconds with microsecond precision, as a JSON number (`0.012345`), from nanoseconds; integer maths only.
 * Negative input (clock skew) is written as 0.
 */
export function formatSecondsFromNanos(nanos: i64): string {
  if (nanos < 0) nanos = 0;
  const micros = nanos / 1000;
  const seconds = micros / 1_000_000;
  const fraction = <i32>(micros % 1_000_000);
  let digits = decimalText(fraction);
  while (digits.length < 6) digits = "0" + digits;
  return decimalText(seconds) + "." + digits;
}
