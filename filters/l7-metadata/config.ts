// Parses and validates the plugin configuration once (onConfigure) into an immutable `Config` shared by every
// stream. A bad configuration is rejected with the JSON path of the first bad field, e.g.
// `fields[2].header: "X-Tenant" is not a lower-case header name`; the root context logs it at CRITICAL and
// returns false, so Envoy rejects the configuration (fail closed). The same rules, minus the cross-field ones,
// are in config.schema.json for early checks; README "Configuration" is the reference.

import { JsonObject, JsonValue, jsonKindName, jsonQuote, parseJsonBytes } from "../../assembly/util/json";
import { asciiLower, decimalText, encodeUtf8 } from "../../assembly";
import { escapeJsonContent } from "./escape";
import { ExportSettings } from "./exporter";
import {
  FACT_ARGUMENTS, FACT_KEYS, FACT_KINDS, FACT_NAMES, FACT_PHASES, Fact, PROPERTY_TYPE_NAMES, Phase, PropertyType, ValueKind,
  findFact, kindOfPropertyType,
} from "./facts";
import { MAX_TAG_LENGTH, MetricsSettings, sanitizeTagValue } from "./metrics";
import { DEFAULT_SENSITIVE_HEADERS, RedactionMode, Redactor } from "./redact";
import { RouteTemplate, compileRouteTemplate } from "./route";

/** Defaults (README "Configuration"). */
export const DEFAULT_PREFIX = "l7";
export const DEFAULT_MAX_VALUE_LENGTH: i32 = 256;
export const DEFAULT_JWT_PAYLOAD_KEY = "payload";
/** Dynamic-metadata namespace of Envoy's JWT filter (`payload_in_metadata`). */
export const JWT_METADATA_NAMESPACE = "envoy.filters.http.jwt_authn";
export const MAX_FIELDS: i32 = 64;

/** One configured field: what to read, when, and where it goes. */
@final
export class FieldSpec {
  constructor(
    /** Position in `Config.fields` (and in each stream's value array). */
    public readonly index: i32,
    public readonly fact: Fact,
    /** Output name: JSON key and filter-state suffix. */
    public readonly name: string,
    public readonly phase: Phase,
    public readonly kind: ValueKind,
    /** Header name, query parameter, JWT claim or filter-state key, depending on `fact`; else "". */
    public readonly argument: string,
    /** Property path of a `property` field; the path a jwtSubject, jwtClaim, abac* or filterState field reads. */
    public readonly path: string[],
    public readonly propertyType: PropertyType,
    public readonly maxLength: i32,
    /** `set_property` path: `<prefix>.<name>`, i.e. filter state `wasm.<prefix>.<name>`. */
    public readonly filterStateKey: string,
    /** `"<name>":` as UTF-8, ready to copy into the document. */
    public readonly jsonKey: ArrayBuffer,
  ) {}
}

/** A header the recorder sets from a field. */
@final
export class HeaderOutput {
  constructor(public readonly fieldIndex: i32, public readonly header: string) {}
}

/** The parsed configuration; never modified after `parseConfig`. */
@final
export class Config {
  prefix: string = DEFAULT_PREFIX;
  fields: FieldSpec[] = [];
  requestFields: FieldSpec[] = [];
  responseFields: FieldSpec[] = [];
  logFields: FieldSpec[] = [];
  maxValueLength: i32 = DEFAULT_MAX_VALUE_LENGTH;
  jwtPayloadKey: string = DEFAULT_JWT_PAYLOAD_KEY;
  routes: RouteTemplate[] = [];
  /** A `route` field or the `route` metric tag needs the template match. */
  needsRoute: bool = false;
  /** The `policy` metric tag needs the ABAC policy. */
  needsPolicy: bool = false;
  /** `:path` is read only when a fact or tag needs it (each read is a hostcall). */
  needsPath: bool = false;
  /** `:method`: the method fact or the method tag. */
  needsMethod: bool = false;
  /** `:status`: the status fact or the status_class tag. */
  needsStatus: bool = false;
  /** The request's content-type: the gRPC status fact. */
  needsContentType: bool = false;
  /** `x-envoy-upstream-service-time`: the upstream latency fact's fallback. */
  needsServiceTime: bool = false;
  /**
   * Whether the request (response) phase reads its headers with one `get_header_map_pairs` instead of one
   * `get_header_map_value` per header: when a header fact needs every value of a header, or when two or more
   * headers are looked up (each host call costs Envoy about as much as serializing a small map).
   */
  requestHeadersAsPairs: bool = false;
  responseHeadersAsPairs: bool = false;
  writeFieldState: bool = true;
  writeDocument: bool = true;
  requestHeaderOutputs: HeaderOutput[] = [];
  responseHeaderOutputs: HeaderOutput[] = [];
  metrics: MetricsSettings | null = null;
  /** Prefix of every metric name (also the export counters); `metrics.prefix`, default `l7`. */
  metricsPrefix: string = DEFAULT_PREFIX;
  exportSettings: ExportSettings | null = null;
  redactor: Redactor = new Redactor(RedactionMode.Drop, null, DEFAULT_SENSITIVE_HEADERS, []);
}

/** `config` or the first error (`<json path>: <message>`). */
export class ConfigResult {
  constructor(public readonly config: Config | null, public readonly error: string | null) {}
}

/** Tracks the first error; every reader method is a no-op returning its fallback once an error is recorded. */
class Reader {
  error: string | null = null;

  get failed(): bool {
    return this.error !== null;
  }

  fail(path: string, message: string): void {
    if (this.error !== null) return;
    const where: string = path.length > 0 ? path : "(root)";
    this.error = where + ": " + message;
  }

  /** The members of the object `value`; unknown keys are errors (a typo must not silently change behaviour). */
  object(path: string, value: JsonValue | null, allowed: StaticArray<string>): JsonObject | null {
    if (value === null || this.failed) return null;
    const members = value.asObject();
    if (members === null) {
      this.fail(path, "expected an object, got " + jsonKindName(value.kind));
      return null;
    }
    for (let i = 0; i < members.keys.length; i++) {
      const key = unchecked(members.keys[i]);
      if (!allowed.includes(key)) {
        this.fail(join(path, key), "unknown field; allowed: " + allowed.join(", "));
        return null;
      }
    }
    return members;
  }

  /** A string; absent → `fallback`, or an error when `fallback` is null (required). */
  string(path: string, value: JsonValue | null, fallback: string | null): string | null {
    if (this.failed) return fallback;
    if (value === null) {
      if (fallback === null) this.fail(path, "is required");
      return fallback;
    }
    const text = value.asString();
    if (text === null) this.fail(path, "expected a string, got " + jsonKindName(value.kind));
    return text !== null ? text : fallback;
  }

  bool(path: string, value: JsonValue | null, fallback: bool): bool {
    if (value === null || this.failed) return fallback;
    if (!value.isBool()) this.fail(path, "expected a boolean, got " + jsonKindName(value.kind));
    return value.isBool() ? value.asBool() : fallback;
  }

  integer(path: string, value: JsonValue | null, fallback: i32, minimum: i32, maximum: i32): i32 {
    if (value === null || this.failed) return fallback;
    const number = value.asNumber();
    if (!value.isSafeInteger() || number < <f64>minimum || number > <f64>maximum) {
      this.fail(path, "expected an integer in [" + decimalText(minimum) + ", " + decimalText(maximum) + "], got " + describe(value));
      return fallback;
    }
    return <i32>number;
  }

  array(path: string, value: JsonValue | null, maxItems: i32): JsonValue[] {
    if (value === null || this.failed) return [];
    const items = value.asArray();
    if (items === null || items.length > maxItems) {
      this.fail(path, "expected an array of at most " + decimalText(maxItems) + " items, got " + (items === null ? jsonKindName(value.kind) : decimalText(items.length) + " items"));
      return [];
    }
    return items;
  }

  /** The index of the string `value` in `names`; absent → `fallback`. */
  choice(path: string, value: JsonValue | null, names: StaticArray<string>, fallback: i32): i32 {
    const text = this.string(path, value, unchecked(names[fallback]));
    if (this.failed) return fallback;
    const found = names.indexOf(text!);
    if (found < 0) this.fail(path, jsonQuote(text!) + " is not one of " + names.join(", "));
    return found < 0 ? fallback : found;
  }

  /** A lower-case header name (Envoy lower-cases names; a configured upper-case name would never match). */
  headerName(path: string, value: JsonValue | null): string | null {
    const name = this.string(path, value, null);
    if (name === null || this.failed) return null;
    if (!isLowerCaseHeaderName(name)) {
      this.fail(path, jsonQuote(name) + " is not a lower-case header name");
      return null;
    }
    return name;
  }
}

function join(path: string, key: string): string {
  return path.length == 0 ? key : path + "." + key;
}

function index(path: string, i: i32): string {
  return path + "[" + decimalText(i) + "]";
}

/** A value for a message: strings JSON-quoted (they may be attacker-written), numbers as written, else the kind. */
function describe(value: JsonValue): string {
  const text = value.asString();
  if (text !== null) return jsonQuote(text.length > 64 ? text.substring(0, 64) + "..." : text);
  const number = value.numberText();
  return number !== null ? number : jsonKindName(value.kind);
}

/** RFC 9110 token characters, lower-case letters only. */
function isLowerCaseHeaderName(name: string): bool {
  if (name.length == 0 || name.length > 128) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
    if (!ok) return false;
  }
  return true;
}

/** `[a-z][a-z0-9_]{0,31}` (prefixes become part of filter-state keys and metric names). */
function isPrefix(text: string): bool {
  if (text.length == 0 || text.length > 32) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (i > 0 && ((c >= 0x30 && c <= 0x39) || c == 0x5f));
    if (!ok) return false;
  }
  return true;
}

/** Dot-separated segments of `[A-Za-z0-9_-]`, at most 128 characters. */
function isFieldName(text: string): bool {
  if (text.length == 0 || text.length > 128) return false;
  let segmentLength = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x2e) {
      if (segmentLength == 0) return false;
      segmentLength = 0;
      continue;
    }
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d;
    if (!ok) return false;
    segmentLength++;
  }
  return segmentLength > 0;
}

/** Printable ASCII without spaces (cluster names, authorities, paths sent to the collector). */
function isVisibleAscii(text: string): bool {
  if (text.length == 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/** Headers the recorder must not set: Host and hop-by-hop / framing headers (pseudo-headers are refused too). */
const FORBIDDEN_OUTPUT_HEADERS: StaticArray<string> = [
  "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "content-length", "trailer",
];
const TOP_LEVEL_KEYS: StaticArray<string> = [
  "prefix", "fields", "maxValueLength", "jwtPayloadKey", "routes", "filterState", "headers", "metrics", "export", "redaction",
];
const FIELD_KEYS: StaticArray<string> = ["fact", "name", "maxLength", "header", "parameter", "claim", "path", "key", "type", "phase"];
const ARGUMENT_KEYS: StaticArray<string> = ["header", "parameter", "claim", "path", "key"];
const PHASE_NAMES: StaticArray<string> = ["request", "response", "log"];
const METRIC_TAGS: StaticArray<string> = ["route", "method", "status_class", "policy"];
const REDACTION_MODES: StaticArray<string> = ["drop", "hash"];
const OVERFLOW_POLICIES: StaticArray<string> = ["dropOldest", "dropNewest"];
const EXPORT_KEYS: StaticArray<string> = [
  "cluster", "authority", "path", "flushIntervalMs", "batchRecords", "bufferRecords", "timeoutMs", "maxRetries", "backoff",
  "overflow", "sampleRate",
];

/** Parses the plugin configuration. An empty configuration is an error: `fields` is required. */
export function parseConfig(bytes: ArrayBuffer | null): ConfigResult {
  if (bytes === null || bytes.byteLength == 0) {
    return new ConfigResult(null, "(root): the configuration is empty; expected an object with \"fields\"");
  }
  const parsed = parseJsonBytes(bytes);
  if (parsed.value === null) return new ConfigResult(null, "(root): not valid JSON: " + parsed.describeError());
  const reader = new Reader();
  const config = readConfig(reader, parsed.value!);
  return reader.failed ? new ConfigResult(null, reader.error) : new ConfigResult(config, null);
}

function readConfig(reader: Reader, root: JsonValue): Config {
  const config = new Config();
  if (!root.isObject()) {
    reader.fail("", "expected an object, got " + jsonKindName(root.kind));
    return config;
  }
  const top = reader.object("", root, TOP_LEVEL_KEYS);
  if (top === null) return config;
  const prefix = reader.string("prefix", top.get("prefix"), DEFAULT_PREFIX)!;
  if (!isPrefix(prefix)) reader.fail("prefix", jsonQuote(prefix) + " must match [a-z][a-z0-9_]{0,31}");
  config.prefix = prefix;
  config.maxValueLength = reader.integer("maxValueLength", top.get("maxValueLength"), DEFAULT_MAX_VALUE_LENGTH, 8, 4096);
  config.jwtPayloadKey = reader.string("jwtPayloadKey", top.get("jwtPayloadKey"), DEFAULT_JWT_PAYLOAD_KEY)!;
  if (config.jwtPayloadKey.length == 0) reader.fail("jwtPayloadKey", "must not be empty");
  readRedaction(reader, top.get("redaction"), config);
  readRoutes(reader, top.get("routes"), config);

  const fieldsValue = top.get("fields");
  if (fieldsValue === null) reader.fail("fields", "is required: the facts to record, e.g. [\"method\", \"path\", \"status\"]");
  const items = reader.array("fields", fieldsValue, MAX_FIELDS);
  if (items.length == 0) reader.fail("fields", "must not be empty");
  for (let i = 0; i < items.length && !reader.failed; i++) {
    const field = readField(reader, index("fields", i), unchecked(items[i]), config, i);
    if (field === null) break;
    for (let j = 0; j < config.fields.length; j++) {
      if (unchecked(config.fields[j]).name == field.name) {
        reader.fail(index("fields", i), "duplicate field name " + jsonQuote(field.name) + " (fields[" + decimalText(j) + "]); set \"name\"");
      }
    }
    config.fields.push(field);
    if (field.phase == Phase.Request) config.requestFields.push(field);
    else if (field.phase == Phase.Response) config.responseFields.push(field);
    else config.logFields.push(field);
    const fact = field.fact;
    if (fact == Fact.Route) config.needsRoute = true;
    if (fact == Fact.Path || fact == Fact.Query || fact == Fact.Route || fact == Fact.QueryParameter) config.needsPath = true;
    if (fact == Fact.Method) config.needsMethod = true;
    if (fact == Fact.Status) config.needsStatus = true;
    if (fact == Fact.GrpcStatus) config.needsContentType = true;
    if (fact == Fact.UpstreamLatency) config.needsServiceTime = true;
  }

  const filterState = reader.object("filterState", top.get("filterState"), ["fields", "document"]);
  if (filterState !== null) {
    config.writeFieldState = reader.bool("filterState.fields", filterState.get("fields"), true);
    config.writeDocument = reader.bool("filterState.document", filterState.get("document"), true);
  }
  const headers = reader.object("headers", top.get("headers"), ["request", "response"]);
  if (headers !== null) {
    readHeaderOutputs(reader, "headers.request", headers.get("request"), config, config.requestHeaderOutputs, Phase.Request);
    readHeaderOutputs(reader, "headers.response", headers.get("response"), config, config.responseHeaderOutputs, Phase.Response);
  }
  readMetrics(reader, top.get("metrics"), config);
  readExport(reader, top.get("export"), config);
  chooseHeaderReads(config);
  return config;
}

/** Sets `requestHeadersAsPairs` / `responseHeadersAsPairs` from the headers each phase looks up. */
function chooseHeaderReads(config: Config): void {
  let requestLookups = (config.needsPath ? 1 : 0) + (config.needsMethod ? 1 : 0) + (config.needsContentType ? 1 : 0);
  let requestAllValues = false;
  let needsAuthority = false;
  for (let i = 0; i < config.requestFields.length; i++) {
    const fact = unchecked(config.requestFields[i]).fact;
    if (fact == Fact.Authority || fact == Fact.ServerPort) needsAuthority = true;
    if (fact == Fact.Scheme || fact == Fact.UserAgent || fact == Fact.RequestId || fact == Fact.RequestHeader) requestAllValues = true;
  }
  if (needsAuthority) requestLookups++;
  config.requestHeadersAsPairs = requestAllValues || requestLookups >= 2;
  const responseLookups = (config.needsStatus ? 1 : 0) + (config.needsServiceTime ? 1 : 0);
  let responseAllValues = false;
  for (let i = 0; i < config.responseFields.length; i++) {
    if (unchecked(config.responseFields[i]).fact == Fact.ResponseHeader) responseAllValues = true;
  }
  config.responseHeadersAsPairs = responseAllValues || responseLookups >= 2;
}

function readField(reader: Reader, path: string, value: JsonValue, config: Config, position: i32): FieldSpec | null {
  let members: JsonObject | null = null;
  let factPath = path;
  let factKey = value.asString();
  if (factKey === null) {
    members = reader.object(path, value, FIELD_KEYS);
    factPath = join(path, "fact");
    factKey = reader.string(factPath, members !== null ? members.get("fact") : null, null);
  }
  if (factKey === null || reader.failed) return null;
  const fact = findFact(factKey);
  if (fact < 0) {
    reader.fail(factPath, jsonQuote(factKey) + " is not one of " + FACT_KEYS.join(", "));
    return null;
  }
  const argumentKey = unchecked(FACT_ARGUMENTS[fact]);
  let name = unchecked(FACT_NAMES[fact]);
  let argument = "";
  let propertyPath: string[] = [];
  let propertyType = PropertyType.String;
  let phase = <Phase>unchecked(FACT_PHASES[fact]);
  let kind = <ValueKind>unchecked(FACT_KINDS[fact]);
  let maxLength = config.maxValueLength;
  if (members === null) {
    if (argumentKey.length > 0) reader.fail(path, jsonQuote(factKey) + " needs \"" + argumentKey + "\": write the field as an object");
  } else {
    for (let i = 0; i < ARGUMENT_KEYS.length; i++) {
      const key = unchecked(ARGUMENT_KEYS[i]);
      if (members.has(key) && key != argumentKey) reader.fail(join(path, key), "is not used by fact " + jsonQuote(factKey));
    }
    const typed = fact == Fact.Property || fact == Fact.JwtClaim;
    if (members.has("type") && !typed) reader.fail(join(path, "type"), "only property and jwtClaim fields have a type");
    if (members.has("phase") && fact != Fact.Property) reader.fail(join(path, "phase"), "only property fields have a phase");
    const argumentPath = join(path, argumentKey);
    if (fact == Fact.RequestHeader || fact == Fact.ResponseHeader) {
      const header = reader.headerName(argumentPath, members.get("header"));
      if (header !== null && fact == Fact.RequestHeader && header.startsWith("x-envoy-")) {
        // CVE-2023-27487, CVE-2024-45806: clients can send any x-envoy-* header; recording one as a fact
        // would let the client write the record.
        reader.fail(argumentPath, jsonQuote(header) + ": x-envoy-* request headers can be forged by clients and are never recorded");
      }
      if (header !== null) {
        argument = header;
        name = (fact == Fact.RequestHeader ? "http.request.header." : "http.response.header.") + header;
      }
    } else if (fact == Fact.Property) {
      const segments = reader.array(argumentPath, members.get("path"), 16);
      if (segments.length == 0) reader.fail(argumentPath, "is required: a non-empty array, e.g. [\"xds\", \"route_name\"]");
      for (let i = 0; i < segments.length && !reader.failed; i++) {
        const segment = reader.string(index(argumentPath, i), unchecked(segments[i]), null);
        if (segment !== null && (segment.length == 0 || segment.includes("\0"))) reader.fail(index(argumentPath, i), "must be non-empty, without NUL");
        if (segment !== null) propertyPath.push(segment);
      }
      if (propertyPath.length >= 2 && propertyPath[0] == "request" && propertyPath[1] == "headers") {
        // The same rule as requestHeader: client-forgeable x-envoy-* headers are never facts, and the whole map
        // would carry them (and every credential header) unredacted. Envoy's map keys are lower-case, so only a
        // lower-case key can reach a header.
        if (propertyPath.length == 2) reader.fail(argumentPath, "reads every request header unredacted; use requestHeader fields");
        else if (propertyPath[2].startsWith("x-envoy-")) reader.fail(index(argumentPath, 2), "x-envoy-* request headers can be forged by clients and are never recorded");
      }
      if (!members.has("name")) reader.fail(join(path, "name"), "is required for a property field");
      phase = <Phase>reader.choice(join(path, "phase"), members.get("phase"), PHASE_NAMES, 0);
    } else if (argumentKey.length > 0) {
      // queryParameter, jwtClaim, filterState: a non-empty string argument.
      argument = reader.string(argumentPath, members.get(argumentKey), null)!;
      if (!reader.failed && argument.length == 0) reader.fail(argumentPath, "must not be empty");
      name = fact == Fact.QueryParameter ? "url.query." + argument : fact == Fact.JwtClaim ? "jwt." + argument : argument;
    }
    if (typed) {
      propertyType = <PropertyType>reader.choice(join(path, "type"), members.get("type"), PROPERTY_TYPE_NAMES, 0);
      kind = kindOfPropertyType(propertyType);
    }
    name = reader.string(join(path, "name"), members.get("name"), name)!;
    maxLength = reader.integer(join(path, "maxLength"), members.get("maxLength"), maxLength, 8, 4096);
  }
  if (fact == Fact.JwtSubject) argument = "sub";
  else if (fact == Fact.AbacDecision) argument = "wasm.abac.decision";
  else if (fact == Fact.AbacPolicy) argument = "wasm.abac.policy";
  else if (fact == Fact.AbacRule) argument = "wasm.abac.rule";
  // The property these facts read, built once here rather than per request.
  if (fact == Fact.JwtSubject || fact == Fact.JwtClaim) {
    propertyPath = ["metadata", "filter_metadata", JWT_METADATA_NAMESPACE, config.jwtPayloadKey, argument];
  } else if (fact == Fact.AbacDecision || fact == Fact.AbacPolicy || fact == Fact.AbacRule || fact == Fact.FilterState) {
    propertyPath = ["filter_state", argument];
  }
  if (!reader.failed && !isFieldName(name)) {
    reader.fail(members !== null ? join(path, "name") : path, jsonQuote(name) + " is not a field name (dot-separated [A-Za-z0-9_-] segments, at most 128 characters)");
  }
  if (reader.failed) return null;
  return new FieldSpec(
    position, <Fact>fact, name, phase, kind, argument, propertyPath, propertyType, maxLength,
    config.prefix + "." + name, encodeUtf8("\"" + escapeJsonContent(name) + "\":"),
  );
}

function readRoutes(reader: Reader, value: JsonValue | null, config: Config): void {
  const items = reader.array("routes", value, 256);
  for (let i = 0; i < items.length && !reader.failed; i++) {
    const path = index("routes", i);
    const members = reader.object(path, unchecked(items[i]), ["template", "metricTag"]);
    if (members === null) return;
    const template = reader.string(join(path, "template"), members.get("template"), null);
    const metricTag = reader.string(join(path, "metricTag"), members.get("metricTag"), "")!;
    if (template === null || reader.failed) return;
    if (metricTag.length > 0 && (metricTag.length > MAX_TAG_LENGTH || sanitizeTagValue(metricTag) != metricTag)) {
      reader.fail(join(path, "metricTag"), jsonQuote(metricTag) + " must be 1 to 64 characters of [A-Za-z0-9_./{}-]");
      return;
    }
    const compiled = compileRouteTemplate(template, metricTag.length > 0 ? metricTag : null);
    if (compiled.error !== null) {
      reader.fail(join(path, "template"), jsonQuote(template) + " " + compiled.error!);
      return;
    }
    config.routes.push(compiled.route!);
  }
}

function readRedaction(reader: Reader, value: JsonValue | null, config: Config): void {
  const members = reader.object("redaction", value, ["mode", "hashKey", "headers", "queryParameters"]);
  if (members === null) return;
  const mode = <RedactionMode>reader.choice("redaction.mode", members.get("mode"), REDACTION_MODES, 0);
  const key = reader.string("redaction.hashKey", members.get("hashKey"), "")!;
  if (members.has("hashKey") && (mode != RedactionMode.Hash || key.length == 0)) {
    reader.fail("redaction.hashKey", "must be a non-empty string, used with \"mode\": \"hash\"");
  }
  const headers = DEFAULT_SENSITIVE_HEADERS.slice(0);
  const headerItems = reader.array("redaction.headers", members.get("headers"), 128);
  for (let i = 0; i < headerItems.length; i++) {
    const header = reader.headerName(index("redaction.headers", i), unchecked(headerItems[i]));
    if (header !== null) headers.push(header);
  }
  const parameters = new Array<string>();
  const parameterItems = reader.array("redaction.queryParameters", members.get("queryParameters"), 128);
  for (let i = 0; i < parameterItems.length; i++) {
    const parameter = reader.string(index("redaction.queryParameters", i), unchecked(parameterItems[i]), null);
    if (parameter !== null && parameter.length == 0) reader.fail(index("redaction.queryParameters", i), "must not be empty");
    if (parameter !== null) parameters.push(asciiLower(parameter));
  }
  const keyBytes = key.length > 0 ? Uint8Array.wrap(encodeUtf8(key)) : null;
  config.redactor = new Redactor(mode, keyBytes, headers, parameters);
}

function readHeaderOutputs(reader: Reader, path: string, value: JsonValue | null, config: Config, out: HeaderOutput[], latestPhase: Phase): void {
  const items = reader.array(path, value, 32);
  for (let i = 0; i < items.length && !reader.failed; i++) {
    const itemPath = index(path, i);
    const members = reader.object(itemPath, unchecked(items[i]), ["field", "header"]);
    if (members === null) return;
    const fieldName = reader.string(join(itemPath, "field"), members.get("field"), null);
    const header = reader.headerName(join(itemPath, "header"), members.get("header"));
    if (fieldName === null || header === null) return;
    let field: FieldSpec | null = null;
    for (let j = 0; j < config.fields.length; j++) {
      if (unchecked(config.fields[j]).name == fieldName) field = unchecked(config.fields[j]);
    }
    if (field === null) {
      reader.fail(join(itemPath, "field"), jsonQuote(fieldName) + " is not the name of a configured field");
      return;
    }
    if (field.phase > latestPhase) {
      reader.fail(join(itemPath, "field"), jsonQuote(fieldName) + " is " + (field.phase == Phase.Log ? "known only when the request completes" : "a response fact") + ", after these headers are sent");
      return;
    }
    if (FORBIDDEN_OUTPUT_HEADERS.includes(header)) {
      reader.fail(join(itemPath, "header"), jsonQuote(header) + " is a hop-by-hop, framing or Host header and cannot be set");
      return;
    }
    for (let j = 0; j < out.length; j++) {
      if (unchecked(out[j]).header == header) reader.fail(join(itemPath, "header"), "duplicate header " + jsonQuote(header));
    }
    out.push(new HeaderOutput(field.index, header));
  }
}

function readMetrics(reader: Reader, value: JsonValue | null, config: Config): void {
  const members = reader.object("metrics", value, ["prefix", "tags", "maxSeries"]);
  if (members === null) return;
  const prefix = reader.string("metrics.prefix", members.get("prefix"), DEFAULT_PREFIX)!;
  if (!isPrefix(prefix)) reader.fail("metrics.prefix", jsonQuote(prefix) + " must match [a-z][a-z0-9_]{0,31}");
  let chosen = new StaticArray<bool>(4);
  const tagsValue = members.get("tags");
  if (tagsValue === null) chosen = [true, true, true, true];
  const items = reader.array("metrics.tags", tagsValue, 4);
  for (let i = 0; i < items.length; i++) {
    const tag = reader.choice(index("metrics.tags", i), unchecked(items[i]), METRIC_TAGS, 0);
    if (chosen[tag]) reader.fail(index("metrics.tags", i), "duplicate tag");
    chosen[tag] = true;
  }
  const maxSeries = reader.integer("metrics.maxSeries", members.get("maxSeries"), 500, 1, 10000);
  if (reader.failed) return;
  config.metricsPrefix = prefix;
  config.metrics = new MetricsSettings(prefix, chosen[0], chosen[1], chosen[2], chosen[3], maxSeries);
  if (chosen[0]) config.needsRoute = config.needsPath = true;
  if (chosen[1]) config.needsMethod = true;
  if (chosen[2]) config.needsStatus = true;
  if (chosen[3]) config.needsPolicy = true;
}

function readExport(reader: Reader, value: JsonValue | null, config: Config): void {
  const members = reader.object("export", value, EXPORT_KEYS);
  if (members === null) return;
  const cluster = reader.string("export.cluster", members.get("cluster"), null);
  if (cluster === null) return;
  const authority = reader.string("export.authority", members.get("authority"), cluster)!;
  const path = reader.string("export.path", members.get("path"), "/v1/records")!;
  if (!isVisibleAscii(cluster)) reader.fail("export.cluster", jsonQuote(cluster) + " is not a cluster name");
  if (!isVisibleAscii(authority)) reader.fail("export.authority", jsonQuote(authority) + " is not an authority");
  if (!path.startsWith("/") || !isVisibleAscii(path)) reader.fail("export.path", jsonQuote(path) + " must start with \"/\" and be visible ASCII");
  const flushIntervalMs = reader.integer("export.flushIntervalMs", members.get("flushIntervalMs"), 1000, 100, 60000);
  const batchRecords = reader.integer("export.batchRecords", members.get("batchRecords"), 100, 1, 10000);
  const bufferRecords = reader.integer("export.bufferRecords", members.get("bufferRecords"), 1000, 1, 100000);
  if (bufferRecords < batchRecords) reader.fail("export.bufferRecords", "must be at least batchRecords (" + decimalText(batchRecords) + ")");
  const timeoutMs = reader.integer("export.timeoutMs", members.get("timeoutMs"), 2000, 100, 60000);
  const maxRetries = reader.integer("export.maxRetries", members.get("maxRetries"), 5, 0, 100);
  let initialBackoffMs = 500;
  let maxBackoffMs = 30000;
  const backoff = reader.object("export.backoff", members.get("backoff"), ["initialMs", "maxMs"]);
  if (backoff !== null) {
    initialBackoffMs = reader.integer("export.backoff.initialMs", backoff.get("initialMs"), 500, 10, 600000);
    maxBackoffMs = reader.integer("export.backoff.maxMs", backoff.get("maxMs"), 30000, 10, 3600000);
    if (maxBackoffMs < initialBackoffMs) reader.fail("export.backoff.maxMs", "must be at least initialMs (" + decimalText(initialBackoffMs) + ")");
  }
  const overflow = reader.choice("export.overflow", members.get("overflow"), OVERFLOW_POLICIES, 0);
  let sampleRate = 1.0;
  const rateValue = members.get("sampleRate");
  if (rateValue !== null) {
    sampleRate = rateValue.asNumber();
    if (!(sampleRate >= 0.0 && sampleRate <= 1.0)) reader.fail("export.sampleRate", "expected a number in [0, 1], got " + describe(rateValue));
  }
  if (reader.failed) return;
  config.exportSettings = new ExportSettings(
    cluster, authority, path, <u32>flushIntervalMs, batchRecords, bufferRecords, <u32>timeoutMs, maxRetries,
    <u32>initialBackoffMs, <u32>maxBackoffMs, overflow == 0, sampleRate,
  );
}
