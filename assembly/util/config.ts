/**
 * Reading and validating a filter's JSON configuration once, in `onConfigure`, with every problem reported
 * at its JSON path:
 *
 *   policies[2].spec.rules[0].from[0].source.ipBlocks[1]: "10.0.0.0/33" is not a CIDR
 *
 * All errors are collected (up to {@link MAX_RECORDED_ERRORS} messages; all are counted), so an operator
 * fixes a configuration in one round; a filter logs `summary()` (the first error and how many more) and
 * refuses the configuration when `ok` is false. Readers never trap and never return null for required
 * things: on a missing or mistyped value they record an error and return a neutral value (`""`, the
 * default, an empty reader), so validation code is straight-line.
 *
 * ```ts
 * let config = ConfigReader.parse(this.getPluginConfiguration());
 * let root = config.root();
 * let mode = root.optionalString("mode", "enforce");
 * let policies = root.array("policies");
 * for (let i = 0; i < policies.length; i++) {
 *   let policy = policies.object(i);
 *   let name = policy.requiredString("name");
 *   let blocks = policy.stringArray("ipBlocks");
 *   for (let j = 0; j < blocks.length; j++) {
 *     if (parseCidr(blocks[j]).error !== null) policy.errorAtIndex("ipBlocks", j, quoteValue(blocks[j]) + " is not a CIDR");
 *   }
 *   policy.unknownKeys(["name", "ipBlocks"]);
 * }
 * root.unknownKeys(["mode", "policies"]);
 * if (!config.ok) { Log.critical("invalid configuration: " + config.summary()); return false; }
 * ```
 *
 * Unknown keys are errors (`unknownKeys`), because a misspelt key (`notIpBlock`) would otherwise silently
 * drop a rule. Values quoted in messages are JSON-escaped and ASCII-only (`quoteValue`), because they may be
 * attacker-written and end up in logs.
 */
import {
  JsonKind,
  jsonKindName,
  JsonLimits,
  JsonObject,
  jsonQuote,
  JsonValue,
  JSON_ASCII_ONLY,
  parseJsonBytes,
} from "./json";
import { decimalText } from "./text-buffer";

/** At most this many messages are kept; `errorCount` counts all. */
export const MAX_RECORDED_ERRORS: i32 = 100;

/** Longest value (in UTF-16 units) `quoteValue` shows before cutting it off with `...`. */
export const MAX_QUOTED_LENGTH: i32 = 120;

/**
 * `value` as a JSON string literal for messages: escaped so it cannot break the log line (ASCII-only), and
 * cut to {@link MAX_QUOTED_LENGTH} characters followed by `...` when longer.
 */
export function quoteValue(value: string): string {
  if (value.length <= MAX_QUOTED_LENGTH) return jsonQuote(value, JSON_ASCII_ONLY);
  let cut = MAX_QUOTED_LENGTH;
  // Do not split a surrogate pair.
  if ((<u32>value.charCodeAt(cut - 1) & 0xFC00) == 0xD800) cut--;
  return jsonQuote(value.substring(0, cut), JSON_ASCII_ONLY) + "...";
}

// The text, members or items of a value whose kind was checked (`typed`): never null then. Defaults instead of
// `!` assertions, which would add an abort path (and its message) to every use.
function stringOf(value: JsonValue): string {
  let text = value.asString();
  return text !== null ? text : "";
}

function objectOf(value: JsonValue): JsonObject {
  let members = value.asObject();
  return members !== null ? members : new JsonObject();
}

function arrayOf(value: JsonValue): JsonValue[] {
  let items = value.asArray();
  return items !== null ? items : [];
}

// "got ..." part of a type error: scalars are shown, containers named.
function describeValue(value: JsonValue): string {
  switch (value.kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return value.asBool() ? "true" : "false";
    case JsonKind.Number: return "number " + numberShown(value);
    case JsonKind.String: return "string " + quoteValue(stringOf(value));
    case JsonKind.Array: return "an array";
    default: return "an object";
  }
}

// A number as written in the document. (A document built in code has no source text; formatting the double
// would pull the float printer into every filter, so such values are just "a number".)
function numberShown(value: JsonValue): string {
  let text = value.numberText();
  return text !== null ? text : "a number";
}

// True when `key` can be shown as `.key` in a path: [A-Za-z_$][A-Za-z0-9_$-]*.
function isPlainKey(key: string): bool {
  let n = key.length;
  if (n == 0) return false;
  for (let i = 0; i < n; i++) {
    let c = <u32>key.charCodeAt(i);
    let letter = ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) || c == 0x5F || c == 0x24;
    if (letter) continue;
    if (i > 0 && ((c >= 0x30 && c <= 0x39) || c == 0x2D)) continue;
    return false;
  }
  return true;
}

/** The path of member `key` of the object at `path`: `a.b`, `key` at the root, `a["odd key"]`. */
export function childPath(path: string, key: string): string {
  if (!isPlainKey(key)) return path + "[" + quoteValue(key) + "]";
  return path.length == 0 ? key : path + "." + key;
}

/** The path of element `index` of the array at `path`: `a[3]`. */
export function indexPath(path: string, index: i32): string {
  return path + "[" + decimalText(index) + "]";
}

/** Reads one configuration document and collects its errors. */
@final
export class ConfigReader {
  /** Recorded messages, `<path>: <problem>` (at most {@link MAX_RECORDED_ERRORS}). */
  readonly errors: string[] = [];
  private total: i32 = 0;
  private document: JsonValue;
  // True when the document could not be parsed: the root reader is then silent (see ObjectReader.silent).
  private unreadable: bool = false;

  /**
   * Reads an already parsed document. Prefer {@link parse}, which also reports JSON syntax errors.
   */
  constructor(document: JsonValue) {
    this.document = document;
  }

  /**
   * Parses configuration bytes (`getPluginConfiguration()`, `getVmConfiguration()`). Null, empty or
   * whitespace-only input reads as `{}` (Istio sends 0 bytes when `pluginConfig` is absent), so defaults
   * apply and required keys are reported missing. A syntax error is recorded as
   * `invalid JSON at line L, column C: <reason>`.
   */
  static parse(data: ArrayBuffer | null, limits: JsonLimits = new JsonLimits()): ConfigReader {
    if (data === null || isBlank(data)) return new ConfigReader(JsonValue.fromObject(new JsonObject()));
    let result = parseJsonBytes(data, limits);
    let value = result.value;
    if (value !== null) return new ConfigReader(value);
    let reader = new ConfigReader(JsonValue.fromObject(new JsonObject()));
    reader.report("", "invalid JSON at " + result.describeError());
    reader.unreadable = true;
    return reader;
  }

  /** Like {@link parse}, for configuration held as a string. */
  static parseText(text: string, limits: JsonLimits = new JsonLimits()): ConfigReader {
    return ConfigReader.parse(String.UTF8.encode(text), limits);
  }

  /**
   * The top-level object. When the document is not an object, records
   * `expected a JSON object at the top level, got ...` and returns an empty, silent reader; after a syntax
   * error the reader is silent too, so the one useful message is not buried under "missing" ones.
   */
  root(): ObjectReader {
    let members = this.document.asObject();
    if (members === null) {
      this.report("", "expected a JSON object at the top level, got " + describeValue(this.document));
      return new ObjectReader(this, "", new JsonObject(), true);
    }
    return new ObjectReader(this, "", members, this.unreadable);
  }

  /** The parsed document (an empty object when parsing failed). */
  get value(): JsonValue {
    return this.document;
  }

  /** True while no error has been recorded. */
  get ok(): bool {
    return this.total == 0;
  }

  /** Number of errors found (including those beyond {@link MAX_RECORDED_ERRORS}). */
  get errorCount(): i32 {
    return this.total;
  }

  /** The first error, or null. */
  firstError(): string | null {
    return this.errors.length > 0 ? unchecked(this.errors[0]) : null;
  }

  /** The first error, plus ` (and N more errors)` when there are more; "" when there are none. */
  summary(): string {
    if (this.total == 0) return "";
    let first = unchecked(this.errors[0]);
    if (this.total == 1) return first;
    let more = this.total - 1;
    return first + " (and " + decimalText(more) + (more == 1 ? " more error)" : " more errors)");
  }

  /** Records `message` at `path` (`<path>: <message>`; just the message at the root). */
  report(path: string, message: string): void {
    this.total++;
    if (this.errors.length < MAX_RECORDED_ERRORS) {
      this.errors.push(path.length == 0 ? message : path + ": " + message);
    }
  }
}

function isBlank(data: ArrayBuffer): bool {
  let p = changetype<usize>(data);
  let end = p + <usize>data.byteLength;
  while (p < end) {
    let c = load<u8>(p++);
    if (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) return false;
  }
  return true;
}

/**
 * Reads the members of one JSON object; errors go to the owning {@link ConfigReader} with this path.
 *
 * A reader standing in for a value that is missing or of the wrong kind (already reported) is `silent`: it is
 * empty and reports nothing, and so are the readers it hands out, so one mistake gives one message.
 */
@final
export class ObjectReader {
  constructor(
    readonly config: ConfigReader,
    /** JSON path of this object (`""` for the root). */
    readonly path: string,
    readonly members: JsonObject,
    /** True for a stand-in for a missing or mistyped value: nothing is reported through it. */
    readonly silent: bool = false,
  ) {}

  /** True when `key` is present (even with a null value). */
  has(key: string): bool {
    return this.members.has(key);
  }

  /** The raw value of `key`, or null when absent. */
  value(key: string): JsonValue | null {
    return this.members.get(key);
  }

  /** The path of `key` in this object. */
  pathOf(key: string): string {
    return childPath(this.path, key);
  }

  /** Records `message` at this object's path (unless silent). */
  error(message: string): void {
    if (!this.silent) this.config.report(this.path, message);
  }

  /** Records `message` at `key` in this object (unless silent). */
  errorAt(key: string, message: string): void {
    if (!this.silent) this.config.report(childPath(this.path, key), message);
  }

  /** Records `message` at element `index` of array `key`, e.g. `rules[0].ipBlocks[1]: ...` (unless silent). */
  errorAtIndex(key: string, index: i32, message: string): void {
    if (!this.silent) this.config.report(indexPath(childPath(this.path, key), index), message);
  }

  // The value of `key` if it has the wanted kind; otherwise records why and returns null.
  private typed(key: string, kind: JsonKind, required: bool, article: string): JsonValue | null {
    let value = this.members.get(key);
    if (value === null) {
      if (required) this.errorAt(key, "missing (expected " + article + jsonKindName(kind) + ")");
      return null;
    }
    if (value.kind != kind) {
      this.errorAt(key, "expected " + article + jsonKindName(kind) + ", got " + describeValue(value));
      return null;
    }
    return value;
  }

  /** String `key`; records an error and returns "" when missing or not a string. */
  requiredString(key: string): string {
    let value = this.typed(key, JsonKind.String, true, "a ");
    return value === null ? "" : stringOf(value);
  }

  /** String `key`, or `fallback` when absent; records an error (and returns `fallback`) when not a string. */
  optionalString(key: string, fallback: string): string {
    let value = this.typed(key, JsonKind.String, false, "a ");
    return value === null ? fallback : stringOf(value);
  }

  /** Boolean `key`; records an error and returns false when missing or not a boolean. */
  requiredBool(key: string): bool {
    let value = this.typed(key, JsonKind.Bool, true, "a ");
    return value !== null && value.asBool();
  }

  /** Boolean `key`, or `fallback` when absent; records an error (and returns `fallback`) when not a boolean. */
  optionalBool(key: string, fallback: bool): bool {
    let value = this.typed(key, JsonKind.Bool, false, "a ");
    return value === null ? fallback : value.asBool();
  }

  // True when `value` (at `key`) is an integer in [min, max]; otherwise records why.
  private integerIn(key: string, value: JsonValue, min: i64, max: i64): bool {
    let v = value.asNumber();
    if (value.isSafeInteger() && v >= <f64>min && v <= <f64>max) return true;
    this.errorAt(key, numberShown(value) + " is not an integer in [" + decimalText(min) + ", " + decimalText(max) + "]");
    return false;
  }

  /**
   * Integer `key` in [min, max] (both within ±2^53); records an error and returns `min` when missing, not a
   * number, fractional or out of range. `1.0` and `1e2` are accepted (they are integers).
   */
  requiredInt(key: string, min: i64, max: i64): i64 {
    let value = this.typed(key, JsonKind.Number, true, "a ");
    if (value === null || !this.integerIn(key, value, min, max)) return min;
    return <i64>value.asNumber();
  }

  /** Integer `key` in [min, max], or `fallback` when absent; on a bad value records an error, returns `fallback`. */
  optionalInt(key: string, fallback: i64, min: i64, max: i64): i64 {
    let value = this.typed(key, JsonKind.Number, false, "a ");
    if (value === null || !this.integerIn(key, value, min, max)) return fallback;
    return <i64>value.asNumber();
  }

  /** Number `key` in [min, max], or `fallback` when absent; on a bad value records an error, returns `fallback`. */
  optionalNumber(key: string, fallback: f64, min: f64, max: f64): f64 {
    let value = this.typed(key, JsonKind.Number, false, "a ");
    if (value === null) return fallback;
    let v = value.asNumber();
    if (!(v >= min && v <= max)) {
      this.errorAt(key, numberShown(value) + " is not in [" + min.toString() + ", " + max.toString() + "]");
      return fallback;
    }
    return v;
  }

  /** Object `key`; records an error and returns an empty silent reader when missing or not an object. */
  object(key: string): ObjectReader {
    let value = this.typed(key, JsonKind.Object, true, "an ");
    let path = childPath(this.path, key);
    if (value === null) return new ObjectReader(this.config, path, new JsonObject(), true);
    return new ObjectReader(this.config, path, objectOf(value), this.silent);
  }

  /** Object `key`, or null when absent; records an error (and returns null) when not an object. */
  optionalObject(key: string): ObjectReader | null {
    let value = this.typed(key, JsonKind.Object, false, "an ");
    return value === null ? null : new ObjectReader(this.config, childPath(this.path, key), objectOf(value), this.silent);
  }

  /** Array `key`; records an error and returns an empty reader when missing or not an array. */
  array(key: string): ArrayReader {
    let value = this.typed(key, JsonKind.Array, true, "an ");
    let path = childPath(this.path, key);
    if (value === null) return new ArrayReader(this.config, path, [], true);
    return new ArrayReader(this.config, path, arrayOf(value), this.silent);
  }

  /** Array `key`, or null when absent; records an error (and returns null) when not an array. */
  optionalArray(key: string): ArrayReader | null {
    let value = this.typed(key, JsonKind.Array, false, "an ");
    return value === null ? null : new ArrayReader(this.config, childPath(this.path, key), arrayOf(value), this.silent);
  }

  /**
   * Array of strings `key`; records an error for a missing key, a non-array, and each non-string element
   * (`key[i]: expected a string, got ...`). The result has one entry per element, `""` for those that are
   * not strings, so indices match the document for `errorAtIndex`.
   */
  stringArray(key: string): string[] {
    return this.array(key).strings();
  }

  /** Like {@link stringArray}, but an absent key gives an empty array without error. */
  optionalStringArray(key: string): string[] {
    let array = this.optionalArray(key);
    return array === null ? [] : array.strings();
  }

  /**
   * Records `unknown key (allowed: ...)` for every member not in `allowed`. Call once per object, after
   * reading it.
   */
  unknownKeys(allowed: string[]): void {
    let keys = this.members.keys;
    for (let i = 0, n = keys.length; i < n; i++) {
      let key = unchecked(keys[i]);
      if (!allowed.includes(key)) this.errorAt(key, "unknown key (allowed: " + allowed.join(", ") + ")");
    }
  }
}

/** Reads the elements of one JSON array; errors go to the owning {@link ConfigReader} with this path. */
@final
export class ArrayReader {
  constructor(
    readonly config: ConfigReader,
    /** JSON path of this array. */
    readonly path: string,
    readonly items: JsonValue[],
    /** True for a stand-in for a missing or mistyped value: nothing is reported through it. */
    readonly silent: bool = false,
  ) {}

  /** Number of elements. */
  get length(): i32 {
    return this.items.length;
  }

  /** The path of element `index`. */
  pathAt(index: i32): string {
    return indexPath(this.path, index);
  }

  /** Records `message` at element `index` (unless silent). */
  error(index: i32, message: string): void {
    if (!this.silent) this.config.report(indexPath(this.path, index), message);
  }

  /** Element `index` (0 <= index < length), or null when out of range. */
  value(index: i32): JsonValue | null {
    return index >= 0 && index < this.items.length ? unchecked(this.items[index]) : null;
  }

  // Element `index` if it has `kind`; otherwise records why and returns null.
  private typed(index: i32, kind: JsonKind, article: string): JsonValue | null {
    let value = this.value(index);
    if (value === null) {
      this.error(index, "missing (expected " + article + jsonKindName(kind) + ")");
      return null;
    }
    if (value.kind != kind) {
      this.error(index, "expected " + article + jsonKindName(kind) + ", got " + describeValue(value));
      return null;
    }
    return value;
  }

  /** Element `index` as an object; records an error and returns an empty silent reader when it is not one. */
  object(index: i32): ObjectReader {
    let value = this.typed(index, JsonKind.Object, "an ");
    if (value === null) return new ObjectReader(this.config, this.pathAt(index), new JsonObject(), true);
    return new ObjectReader(this.config, this.pathAt(index), objectOf(value), this.silent);
  }

  /** Element `index` as a string; records an error and returns "" when it is not one. */
  string(index: i32): string {
    let value = this.typed(index, JsonKind.String, "a ");
    return value === null ? "" : stringOf(value);
  }

  /** Element `index` as an array; records an error and returns an empty silent reader when it is not one. */
  array(index: i32): ArrayReader {
    let value = this.typed(index, JsonKind.Array, "an ");
    if (value === null) return new ArrayReader(this.config, this.pathAt(index), [], true);
    return new ArrayReader(this.config, this.pathAt(index), arrayOf(value), this.silent);
  }

  /** Every element as a string (same length and indices); each non-string is reported and reads as "". */
  strings(): string[] {
    let n = this.items.length;
    let out = new Array<string>(n);
    for (let i = 0; i < n; i++) unchecked((out[i] = this.string(i)));
    return out;
  }
}
