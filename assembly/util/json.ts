/**
 * A small strict JSON (RFC 8259) DOM parser and a writer whose output cannot be broken out of.
 *
 * Parser: `parseJson(text)` / `parseJsonBytes(buffer)` return a {@link JsonParseResult} holding either a
 * {@link JsonValue} tree or an error with its byte offset, line and column. Strict: no comments, trailing
 * commas, single quotes, NaN/Infinity, leading `+` or zeros, byte order mark, or control characters in
 * strings. Beyond RFC 8259 "MUST"s, these are errors because a security configuration must have exactly
 * one meaning: duplicate object keys (RFC 8259 leaves the result undefined; `JSON.parse` keeps the last,
 * Go keeps the last, some parsers keep the first), lone surrogates (`"\ud800"`, no Unicode text), numbers
 * beyond the double range (`1e400`), invalid UTF-8. Nesting deeper than `JsonLimits.maxDepth` (64) and
 * input longer than `JsonLimits.maxBytes` (1 MiB) are errors too. Nothing traps: every input, however
 * truncated, deep or huge, gives a value or an error.
 *
 * Istio's `pluginConfig` encoding (deployment.md §B.6: Go `encoding/json` via jsonpb — `\u003c`-style
 * escapes, exponent numbers such as `1e+21`, sorted keys, no whitespace) is plain RFC 8259 and parses as
 * such; an absent `pluginConfig` arrives as 0 bytes, which is an error here ("empty input") and which
 * `ConfigReader` (config.ts) treats as `{}`.
 *
 * Numbers keep their source text next to the double (`JsonValue.numberText()`), so integers above 2^53
 * are detectable (`isSafeInteger()`) and are written back unchanged.
 *
 * Writer: {@link JsonWriter} escapes `"` `\` and every control character (so no value can end its string
 * or add a line), DEL, U+2028/U+2029 (line terminators in JavaScript), lone surrogates (written as U+FFFD), and
 * optionally `< > &` (as Go's HTML-safe encoding does) and all non-ASCII. Misuse (a value where a key is
 * due, unbalanced ends) is recorded in `JsonWriter.error`, never a trap.
 *
 * json-as was measured and rejected for this role: 26 KB for a JSON.Value parse, traps on malformed
 * input, accepts `{"a":tru}`.
 */
import { parseDecimalUnsafe, reachesOverflowUnsafe } from "./decimal";
import { decimalText, hexDigitLower, hexText, hexValue, TextBuffer } from "./text-buffer";
import { decodeUtf8LossyUnsafe, encodeUtf8, utf8ErrorMessage, utf8Step, utf8StepError } from "./utf8";

/** The six JSON value kinds. */
export enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

/** "null", "boolean", "number", "string", "array" or "object", for messages. */
export function jsonKindName(kind: JsonKind): string {
  switch (kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return "boolean";
    case JsonKind.Number: return "number";
    case JsonKind.String: return "string";
    case JsonKind.Array: return "array";
    default: return "object";
  }
}

/**
 * A JSON object: keys in document order, each key once. Lookups are linear for small objects and hashed
 * (built on demand) for larger ones, so parsing and `get` stay linear in the input size.
 */
@final
export class JsonObject {
  /** Keys in document order. Do not modify; use {@link add}. */
  readonly keys: string[] = [];
  /** Values, parallel to `keys`. */
  readonly values: JsonValue[] = [];
  // Open-addressing index: slot → entry index + 1 (0 = empty). Null while the object is small.
  private table: StaticArray<i32> | null = null;

  /** Number of members. */
  get size(): i32 {
    return this.keys.length;
  }

  /** Index of `key` in `keys`, or -1. */
  indexOf(key: string): i32 {
    let table = this.table;
    if (table === null) {
      let keys = this.keys;
      for (let i = 0, n = keys.length; i < n; i++) {
        if (unchecked(keys[i]) == key) return i;
      }
      return -1;
    }
    let mask = table.length - 1;
    let slot = <i32>(hashKey(key) & <u32>mask);
    while (true) {
      let entry = unchecked(table[slot]);
      if (entry == 0) return -1;
      if (unchecked(this.keys[entry - 1]) == key) return entry - 1;
      slot = (slot + 1) & mask;
    }
  }

  /** True when `key` is present. */
  has(key: string): bool {
    return this.indexOf(key) >= 0;
  }

  /** The value for `key`, or null when absent. */
  get(key: string): JsonValue | null {
    let i = this.indexOf(key);
    return i < 0 ? null : unchecked(this.values[i]);
  }

  /** Appends a member; returns false (and changes nothing) when `key` is already present. */
  add(key: string, value: JsonValue): bool {
    if (this.indexOf(key) >= 0) return false;
    this.keys.push(key);
    this.values.push(value);
    let n = this.keys.length;
    let table = this.table;
    if (table === null) {
      if (n > 8) this.rebuild(32);
    } else if (n * 2 > table.length) {
      this.rebuild(table.length * 2);
    } else {
      this.insert(table, n - 1);
    }
    return true;
  }

  private rebuild(capacity: i32): void {
    let table = new StaticArray<i32>(capacity);
    this.table = table;
    for (let i = 0, n = this.keys.length; i < n; i++) this.insert(table, i);
  }

  private insert(table: StaticArray<i32>, index: i32): void {
    let mask = table.length - 1;
    let slot = <i32>(hashKey(unchecked(this.keys[index])) & <u32>mask);
    while (unchecked(table[slot]) != 0) slot = (slot + 1) & mask;
    unchecked((table[slot] = index + 1));
  }
}

// FNV-1a over the UTF-16 code units.
function hashKey(key: string): u32 {
  let h: u32 = 0x811C9DC5;
  let p = changetype<usize>(key);
  let end = p + (<usize>key.length << 1);
  while (p < end) {
    h = (h ^ <u32>load<u16>(p)) * 0x01000193;
    p += 2;
  }
  return h;
}

/** One JSON value. Build with the static `from*` methods; read with `is*` / `as*`. */
@final
export class JsonValue {
  /** Use the static `from*` factories. */
  constructor(
    public readonly kind: JsonKind,
    private boolValue: bool,
    // The number; NaN for a parsed number not yet converted (see asNumber).
    private numberValue: f64,
    // String value, or a parsed number's source text.
    private text: string | null,
    private items: JsonValue[] | null,
    private members: JsonObject | null,
  ) {}

  static fromNull(): JsonValue {
    return new JsonValue(JsonKind.Null, false, 0, null, null, null);
  }

  static fromBool(value: bool): JsonValue {
    return new JsonValue(JsonKind.Bool, value, 0, null, null, null);
  }

  /** A number. Non-finite values are written as `null` by {@link JsonWriter} (JSON has no NaN/Infinity). */
  static fromNumber(value: f64): JsonValue {
    return new JsonValue(JsonKind.Number, false, value, null, null, null);
  }

  /** A number with its source text (`text` must be valid JSON number syntax; the parser guarantees it). */
  static fromNumberText(value: f64, text: string): JsonValue {
    return new JsonValue(JsonKind.Number, false, value, text, null, null);
  }

  static fromString(value: string): JsonValue {
    return new JsonValue(JsonKind.String, false, 0, value, null, null);
  }

  static fromArray(items: JsonValue[]): JsonValue {
    return new JsonValue(JsonKind.Array, false, 0, null, items, null);
  }

  static fromObject(members: JsonObject): JsonValue {
    return new JsonValue(JsonKind.Object, false, 0, null, null, members);
  }

  isNull(): bool { return this.kind == JsonKind.Null; }
  isBool(): bool { return this.kind == JsonKind.Bool; }
  isNumber(): bool { return this.kind == JsonKind.Number; }
  isString(): bool { return this.kind == JsonKind.String; }
  isArray(): bool { return this.kind == JsonKind.Array; }
  isObject(): bool { return this.kind == JsonKind.Object; }

  /** The boolean; false when this is not a boolean (check `isBool()` first). */
  asBool(): bool {
    return this.kind == JsonKind.Bool && this.boolValue;
  }

  /** The number (nearest double to the source text); NaN when this is not a number. */
  asNumber(): f64 {
    if (this.kind != JsonKind.Number) return NaN;
    let value = this.numberValue;
    let text = this.text;
    if (isNaN(value) && text !== null) {
      // A parsed number (never NaN in JSON), converted on first use: a module that reads no number does not
      // link the correctly rounded conversion (decimal.ts, ~2.5 KB).
      let bytes = encodeUtf8(text); // ASCII
      value = parseDecimalUnsafe(changetype<usize>(bytes), <usize>bytes.byteLength);
      this.numberValue = value;
    }
    return value;
  }

  /**
   * The number's source text as parsed (e.g. `"1e+21"`, `"9007199254740993"`), or null for a number built
   * with `fromNumber` and for non-numbers.
   */
  numberText(): string | null {
    return this.kind == JsonKind.Number ? this.text : null;
  }

  /**
   * True for a number whose value is an integer in ±(2^53 - 1) (JavaScript's `Number.isSafeInteger`): it
   * converts to i64 exactly. `9007199254740993` is not safe (it parses to 2^53); `1.0` and `1e2` are.
   */
  isSafeInteger(): bool {
    if (this.kind != JsonKind.Number) return false;
    let v = this.asNumber();
    return v == Math.trunc(v) && Math.abs(v) <= 9007199254740991.0;
  }

  /**
   * The number as an exact integer, or `fallback` when it is not one: the source text must denote an integer of
   * at most 15 significant digits (`42`, `-7`, `1.0`, `1e2`, `0.5e1`; ±10^15 is well inside the range where
   * doubles are exact). Read from the text, without the double conversion, so that a module reading only
   * integers (ports, status codes, counts) does not link the correctly rounded conversion (decimal.ts, ~2.5 KB).
   * Unlike {@link isSafeInteger}, text that merely rounds to an integer (`1.00000000000000000001`) is not one. A
   * number built with `fromNumber` (no text) is read from its double.
   */
  asIntegerOr(fallback: i64): i64 {
    if (this.kind != JsonKind.Number) return fallback;
    let text = this.text;
    if (text === null) {
      let v = this.numberValue;
      return v == Math.trunc(v) && Math.abs(v) <= 1e15 ? <i64>v : fallback;
    }
    // The text is valid JSON number syntax (the parser checked it): `-? digits (. digits)? ([eE] [+-]? digits)?`.
    const limit: i64 = 1000000000000000;
    let p = changetype<usize>(text);
    let end = p + (<usize>text.length << 1);
    let negative = load<u16>(p) == 0x2D;
    if (negative) p += 2;
    // The significant digits, trailing zeros held back in `zeros` (a digit that follows multiplies them in), and
    // the power of ten they are scaled by.
    let value: i64 = 0;
    let zeros = 0;
    let scale = 0;
    let inFraction = false;
    for (; p < end; p += 2) {
      let c = <i32>load<u16>(p);
      if (c == 0x2E) {
        inFraction = true;
        continue;
      }
      if (c > 0x39) break; // 'e' or 'E'
      if (inFraction) scale--;
      if (c == 0x30) {
        if (value != 0) zeros++;
        continue;
      }
      for (; zeros > 0; zeros--) {
        value *= 10;
        if (value > limit) return fallback;
      }
      value = value * 10 + <i64>(c - 0x30);
      if (value > limit) return fallback;
    }
    if (value == 0) return 0;
    scale += zeros;
    if (p < end) {
      p += 2;
      let sign = load<u16>(p);
      if (sign == 0x2D || sign == 0x2B) p += 2;
      let exponent = 0;
      for (; p < end; p += 2) if (exponent < 100000) exponent = exponent * 10 + <i32>(load<u16>(p) - 0x30);
      scale += sign == 0x2D ? -exponent : exponent;
    }
    // value × 10^scale is an integer only when the scaled-away digits are zeros.
    for (; scale < 0; scale++) {
      if (value % 10 != 0) return fallback;
      value /= 10;
    }
    for (; scale > 0; scale--) {
      value *= 10;
      if (value > limit) return fallback;
    }
    return negative ? -value : value;
  }

  /** The string; null when this is not a string. */
  asString(): string | null {
    return this.kind == JsonKind.String ? this.text : null;
  }

  /** The elements; null when this is not an array. */
  asArray(): JsonValue[] | null {
    return this.kind == JsonKind.Array ? this.items : null;
  }

  /** The members (keys in document order); null when this is not an object. */
  asObject(): JsonObject | null {
    return this.kind == JsonKind.Object ? this.members : null;
  }

  /** Member `key` of an object; null when absent or when this is not an object. */
  get(key: string): JsonValue | null {
    let members = this.members;
    return this.kind == JsonKind.Object && members !== null ? members.get(key) : null;
  }

  /** Element `index` of an array; null when out of range or when this is not an array. */
  at(index: i32): JsonValue | null {
    let items = this.items;
    if (this.kind != JsonKind.Array || items === null || index < 0 || index >= items.length) return null;
    return unchecked(items[index]);
  }

  /** Compact JSON text of this value (keys in document order; see {@link JsonWriter}). */
  toJson(flags: i32 = 0): string {
    let writer = new JsonWriter(flags);
    writer.jsonValue(this);
    return writer.toString();
  }
}

/** Parser limits. The defaults suit plugin configuration. */
@final
export class JsonLimits {
  constructor(
    /** Maximum nesting of arrays and objects. */
    public maxDepth: i32 = 64,
    /** Maximum input size in bytes (UTF-8). */
    public maxBytes: i32 = 1 << 20,
  ) {}
}

/** Result of parsing: `value` on success, otherwise `error` with its position. */
@final
export class JsonParseResult {
  constructor(
    /** The document; null on error. */
    public readonly value: JsonValue | null,
    /** What is wrong, e.g. `duplicate key "port"`; null on success. */
    public readonly error: string | null,
    /** Byte offset (in the UTF-8 input) of the error; -1 on success. */
    public readonly offset: i32,
    /** 1-based line of the error; 0 on success. */
    public readonly line: i32,
    /** 1-based column of the error, counted in characters (code points); 0 on success. */
    public readonly column: i32,
  ) {}

  /** `line 3, column 7: <error>`, or "" on success. */
  describeError(): string {
    let error = this.error;
    if (error === null) return "";
    return "line " + decimalText(this.line) + ", column " + decimalText(this.column) + ": " + error;
  }
}

// The parser's state while parsing one document.
@final
class Parser {
  /** Byte position of the first error (absolute address). */
  errorAt: usize = 0;
  error: string | null = null;
  depth: i32 = 0;
  pos: usize;
  end: usize;
  scratch: TextBuffer = new TextBuffer(64);

  constructor(public start: usize, length: usize, public maxDepth: i32) {
    this.pos = start;
    this.end = start + length;
  }

  fail(message: string, at: usize): JsonValue | null {
    if (this.error === null) {
      this.error = message;
      this.errorAt = at;
    }
    return null;
  }

  skipWhitespace(): void {
    let p = this.pos;
    let end = this.end;
    while (p < end) {
      let c = load<u8>(p);
      if (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) break;
      p++;
    }
    this.pos = p;
  }

  // Describes the byte at `at` for "unexpected ..." messages.
  unexpected(at: usize, expected: string): JsonValue | null {
    if (at >= this.end) return this.fail("unexpected end of input, expected " + expected, at);
    let c = <u32>load<u8>(at);
    let shown = c >= 0x21 && c < 0x7F
      ? "'" + String.fromCharCode(c) + "'"
      : "byte 0x" + hexText(c, 2, false);
    if (c == 0xEF && at + 2 < this.end && load<u8>(at, 1) == 0xBB && load<u8>(at, 2) == 0xBF) {
      shown = "byte order mark";
    }
    return this.fail("unexpected " + shown + ", expected " + expected, at);
  }

  parseValue(): JsonValue | null {
    this.skipWhitespace();
    let p = this.pos;
    if (p >= this.end) return this.unexpected(p, "a value");
    let c = load<u8>(p);
    switch (c) {
      case 0x7B: return this.parseObject();
      case 0x5B: return this.parseArray();
      case 0x22: {
        let s = this.parseString();
        return s === null ? null : JsonValue.fromString(s);
      }
      case 0x74: return this.parseLiteral("true", JsonValue.fromBool(true));
      case 0x66: return this.parseLiteral("false", JsonValue.fromBool(false));
      case 0x6E: return this.parseLiteral("null", JsonValue.fromNull());
      default: {
        if (c == 0x2D || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
        return this.unexpected(p, "a value");
      }
    }
  }

  parseLiteral(word: string, value: JsonValue): JsonValue | null {
    let p = this.pos;
    let n = word.length;
    for (let i = 0; i < n; i++) {
      if (p + <usize>i >= this.end || <i32>load<u8>(p + <usize>i) != word.charCodeAt(i)) {
        return this.fail("invalid literal, expected '" + word + "'", p);
      }
    }
    this.pos = p + <usize>n;
    return value;
  }

  parseNumber(): JsonValue | null {
    let start = this.pos;
    let p = start;
    let end = this.end;
    if (load<u8>(p) == 0x2D) p++;
    let digitsStart = p;
    // The value is in [10^(magnitude-1), 10^magnitude), or 0 when `significant` stays false.
    let magnitude = 0;
    let significant = false;
    // Integer part: 0, or a non-zero digit followed by digits.
    if (p >= end) return this.fail("invalid number: missing digits", p);
    let c = load<u8>(p);
    if (c == 0x30) {
      p++;
      if (p < end && load<u8>(p) >= 0x30 && load<u8>(p) <= 0x39) {
        return this.fail("invalid number: leading zero", start);
      }
    } else if (c >= 0x31 && c <= 0x39) {
      significant = true;
      while (p < end && load<u8>(p) >= 0x30 && load<u8>(p) <= 0x39) p++;
      magnitude = <i32>(p - digitsStart);
    } else {
      return this.fail("invalid number: missing digits", p);
    }
    if (p < end && load<u8>(p) == 0x2E) {
      p++;
      let digits = p;
      while (p < end && load<u8>(p) >= 0x30 && load<u8>(p) <= 0x39) {
        if (!significant) {
          if (load<u8>(p) == 0x30) magnitude--; // a leading zero of a fraction lowers the magnitude
          else significant = true;
        }
        p++;
      }
      if (p == digits) return this.fail("invalid number: missing digits after '.'", p);
    }
    let digitsEnd = p;
    if (p < end && (load<u8>(p) | 0x20) == 0x65) {
      p++;
      let negative = p < end && load<u8>(p) == 0x2D;
      if (p < end && (load<u8>(p) == 0x2B || load<u8>(p) == 0x2D)) p++;
      let digits = p;
      let exponent = 0;
      while (p < end && load<u8>(p) >= 0x30 && load<u8>(p) <= 0x39) {
        // Clamped far outside the double range, so a huge exponent cannot overflow.
        if (exponent < 100000) exponent = exponent * 10 + <i32>(load<u8>(p) - 0x30);
        p++;
      }
      if (p == digits) return this.fail("invalid number: missing exponent digits", p);
      magnitude += negative ? -exponent : exponent;
    }
    // Beyond the double range (what the conversion would round to ±Infinity): decided here without
    // converting, so that modules reading no number do not link the conversion.
    if (significant && (magnitude > 309 || (magnitude == 309 && reachesOverflowUnsafe(digitsStart, digitsEnd)))) {
      return this.fail("number out of range", start);
    }
    this.pos = p;
    // The double is computed on first use (asNumber); NaN marks it as not yet converted.
    return new JsonValue(JsonKind.Number, false, NaN, decodeUtf8LossyUnsafe(start, p - start), null, null);
  }

  // Parses a string at this.pos (an opening quote); returns null on error. One pass: raw runs are validated
  // as UTF-8 and copied; escapes are decoded into the scratch buffer only when there are any.
  parseString(): string | null {
    let open = this.pos;
    let start = open + 1;
    let p = start;
    let end = this.end;
    let out = this.scratch;
    let run = start; // first byte not yet copied to `out`
    let escaped = false;
    while (true) {
      if (p >= end) {
        this.fail("unterminated string", open);
        return null;
      }
      let c = <u32>load<u8>(p);
      if (c == 0x22) break;
      if (c < 0x20) {
        this.fail("control character in string (must be escaped)", p);
        return null;
      }
      if (c >= 0x80) {
        let n = utf8Step(p, end);
        if (n < 0) {
          this.fail(utf8ErrorMessage(utf8StepError()), p);
          return null;
        }
        p += <usize>n;
        continue;
      }
      if (c != 0x5C) {
        p++;
        continue;
      }
      // Escape sequence.
      if (!escaped) {
        escaped = true;
        out.truncate(0);
      }
      // The run before the escape, validated above (decoding allocates, but only for strings with escapes).
      out.append(decodeUtf8LossyUnsafe(run, p - run));
      let escape = p;
      if (p + 1 >= end) {
        this.fail("unterminated string", open);
        return null;
      }
      let e = <u32>load<u8>(p + 1);
      p += 2;
      let unit: i32 = -1;
      if (e == 0x22 || e == 0x5C || e == 0x2F) unit = <i32>e;
      else if (e == 0x62) unit = 0x08;
      else if (e == 0x66) unit = 0x0C;
      else if (e == 0x6E) unit = 0x0A;
      else if (e == 0x72) unit = 0x0D;
      else if (e == 0x74) unit = 0x09;
      else if (e == 0x75) {
        unit = this.hex4(p);
        if (unit < 0) {
          this.fail("invalid \\u escape (expected 4 hex digits)", escape);
          return null;
        }
        p += 4;
        if (unit >= 0xD800 && unit <= 0xDFFF) {
          // A high surrogate must be followed by an escaped low surrogate; a low one alone is an error.
          let low = unit <= 0xDBFF && p + 6 <= end && load<u8>(p) == 0x5C && load<u8>(p, 1) == 0x75 ? this.hex4(p + 2) : -1;
          if (low < 0xDC00 || low > 0xDFFF) {
            this.fail("lone surrogate \\u" + hexText(<u32>unit, 4, false) + " in string", escape);
            return null;
          }
          out.appendUnit(<u32>unit);
          unit = low;
          p += 6;
        }
      } else {
        this.fail("invalid escape sequence in string", escape);
        return null;
      }
      out.appendUnit(<u32>unit);
      run = p;
    }
    this.pos = p + 1;
    if (!escaped) return decodeUtf8LossyUnsafe(start, p - start); // validated above: decodes exactly
    out.append(decodeUtf8LossyUnsafe(run, p - run));
    return out.toString();
  }

  // The value of 4 hex digits at p, or -1.
  hex4(p: usize): i32 {
    if (p + 4 > this.end) return -1;
    let v = 0;
    for (let i: usize = 0; i < 4; i++) {
      let d = hexValue(<u32>load<u8>(p + i));
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  parseArray(): JsonValue | null {
    let open = this.pos;
    if (++this.depth > this.maxDepth) {
      return this.fail("nesting deeper than " + decimalText(this.maxDepth) + " levels", open);
    }
    this.pos = open + 1;
    let items = new Array<JsonValue>();
    this.skipWhitespace();
    if (this.pos < this.end && load<u8>(this.pos) == 0x5D) {
      this.pos++;
      this.depth--;
      return JsonValue.fromArray(items);
    }
    while (true) {
      let item = this.parseValue();
      if (item === null) return null;
      items.push(item);
      this.skipWhitespace();
      let p = this.pos;
      if (p < this.end) {
        let c = load<u8>(p);
        if (c == 0x2C) {
          this.pos = p + 1;
          continue;
        }
        if (c == 0x5D) {
          this.pos = p + 1;
          this.depth--;
          return JsonValue.fromArray(items);
        }
      }
      return this.unexpected(p, "',' or ']'");
    }
  }

  parseObject(): JsonValue | null {
    let open = this.pos;
    if (++this.depth > this.maxDepth) {
      return this.fail("nesting deeper than " + decimalText(this.maxDepth) + " levels", open);
    }
    this.pos = open + 1;
    let members = new JsonObject();
    this.skipWhitespace();
    if (this.pos < this.end && load<u8>(this.pos) == 0x7D) {
      this.pos++;
      this.depth--;
      return JsonValue.fromObject(members);
    }
    while (true) {
      this.skipWhitespace();
      let keyAt = this.pos;
      if (keyAt >= this.end || load<u8>(keyAt) != 0x22) return this.unexpected(keyAt, "a string key");
      let key = this.parseString();
      if (key === null) return null;
      this.skipWhitespace();
      if (this.pos >= this.end || load<u8>(this.pos) != 0x3A) return this.unexpected(this.pos, "':'");
      this.pos++;
      let value = this.parseValue();
      if (value === null) return null;
      if (!members.add(key, value)) return this.fail("duplicate key " + jsonQuote(key, JSON_ASCII_ONLY), keyAt);
      this.skipWhitespace();
      let p = this.pos;
      if (p < this.end) {
        let c = load<u8>(p);
        if (c == 0x2C) {
          this.pos = p + 1;
          continue;
        }
        if (c == 0x7D) {
          this.pos = p + 1;
          this.depth--;
          return JsonValue.fromObject(members);
        }
      }
      return this.unexpected(p, "',' or '}'");
    }
  }
}

/**
 * Parses `length` bytes of UTF-8 JSON at `ptr`. The bytes must stay alive and unchanged during the call.
 */
// @ts-ignore: decorator
@unsafe
export function parseJsonUnsafe(ptr: usize, length: usize, limits: JsonLimits = new JsonLimits()): JsonParseResult {
  if (length > <usize>limits.maxBytes) {
    return new JsonParseResult(null, "input larger than " + decimalText(limits.maxBytes) + " bytes", 0, 1, 1);
  }
  let parser = new Parser(ptr, length, limits.maxDepth);
  parser.skipWhitespace();
  if (parser.pos >= parser.end) {
    parser.fail("empty input", parser.pos);
  } else {
    let value = parser.parseValue();
    if (value !== null) {
      parser.skipWhitespace();
      if (parser.pos < parser.end) {
        parser.unexpected(parser.pos, "end of input after the JSON value");
      } else {
        return new JsonParseResult(value, null, -1, 0, 0);
      }
    }
  }
  // Line and column of the error: count lines, then characters (UTF-8 lead bytes) since the last newline.
  let at = parser.errorAt;
  let line = 1;
  let lineStart = ptr;
  for (let p = ptr; p < at; p++) {
    if (load<u8>(p) == 0x0A) {
      line++;
      lineStart = p + 1;
    }
  }
  let column = 1;
  for (let p = lineStart; p < at; p++) {
    if ((load<u8>(p) & 0xC0) != 0x80) column++;
  }
  return new JsonParseResult(null, parser.error, <i32>(at - ptr), line, column);
}

/**
 * Parses UTF-8 JSON bytes, e.g. the plugin configuration buffer. Invalid UTF-8 inside strings is an error
 * (outside strings any non-ASCII byte is a syntax error). Never traps.
 */
export function parseJsonBytes(data: ArrayBuffer, limits: JsonLimits = new JsonLimits()): JsonParseResult {
  return parseJsonUnsafe(changetype<usize>(data), <usize>data.byteLength, limits);
}

/**
 * Parses JSON text. Offsets in the result are byte offsets in the text's UTF-8 encoding; a lone surrogate
 * in `text` is reported as an encoded surrogate. Never traps.
 */
export function parseJson(text: string, limits: JsonLimits = new JsonLimits()): JsonParseResult {
  // WTF-8 on purpose: a lone surrogate stays visible (as ED A0..BF xx) and is rejected as ill-formed.
  let bytes = String.UTF8.encode(text);
  return parseJsonBytes(bytes, limits);
}

// ---------------------------------------------------------------------------------------------------------
// Writer

/** {@link JsonWriter} flag: escape `<` `>` `&` as `\u003c` `\u003e` `\u0026` (Go's HTML-safe encoding). */
export const JSON_ESCAPE_HTML: i32 = 1;
/** {@link JsonWriter} flag: escape every non-ASCII character as `\uXXXX` (output is pure ASCII). */
export const JSON_ASCII_ONLY: i32 = 2;

// Appends `text` as a JSON string literal.
function writeQuoted(out: TextBuffer, text: string, flags: i32): void {
  out.appendUnit(0x22);
  let length = text.length;
  let run = 0; // start of the pending run of characters copied unchanged
  let html = (flags & JSON_ESCAPE_HTML) != 0;
  let asciiOnly = (flags & JSON_ASCII_ONLY) != 0;
  for (let i = 0; i < length; i++) {
    let c = <u32>text.charCodeAt(i);
    let escape: u32 = 0; // short escape letter, or 0xFFFFFFFF for \uXXXX
    if (c < 0x20 || c == 0x7F) {
      if (c == 0x0A) escape = 0x6E;
      else if (c == 0x0D) escape = 0x72;
      else if (c == 0x09) escape = 0x74;
      else if (c == 0x08) escape = 0x62;
      else if (c == 0x0C) escape = 0x66;
      else escape = 0xFFFFFFFF;
    } else if (c == 0x22 || c == 0x5C) {
      escape = c;
    } else if (c < 0x80) {
      if (html && (c == 0x3C || c == 0x3E || c == 0x26)) escape = 0xFFFFFFFF;
    } else if ((c & 0xF800) == 0xD800) {
      let paired = c < 0xDC00 && i + 1 < length && (<u32>text.charCodeAt(i + 1) & 0xFC00) == 0xDC00;
      if (!paired) {
        // A lone surrogate is not text: write U+FFFD (raw, or escaped when ASCII-only).
        out.appendSlice(text, run, i);
        run = i + 1;
        if (asciiOnly) appendUnicodeEscape(out, 0xFFFD);
        else out.appendUnit(0xFFFD);
        continue;
      } else if (asciiOnly) {
        out.appendSlice(text, run, i);
        appendUnicodeEscape(out, c);
        appendUnicodeEscape(out, <u32>text.charCodeAt(i + 1));
        i++;
        run = i + 1;
        continue;
      } else {
        i++;
        continue;
      }
    } else if (asciiOnly || c == 0x2028 || c == 0x2029) {
      escape = 0xFFFFFFFF;
    }
    if (escape == 0) continue;
    out.appendSlice(text, run, i);
    run = i + 1;
    if (escape == 0xFFFFFFFF) {
      appendUnicodeEscape(out, c);
    } else {
      out.appendUnit(0x5C);
      out.appendUnit(escape);
    }
  }
  out.appendSlice(text, run, length);
  out.appendUnit(0x22);
}

function appendUnicodeEscape(out: TextBuffer, unit: u32): void {
  out.appendUnit(0x5C);
  out.appendUnit(0x75);
  out.appendUnit(hexDigitLower((unit >> 12) & 15));
  out.appendUnit(hexDigitLower((unit >> 8) & 15));
  out.appendUnit(hexDigitLower((unit >> 4) & 15));
  out.appendUnit(hexDigitLower(unit & 15));
}

/**
 * `text` as a JSON string literal, quotes included, escaped as {@link JsonWriter} does. Use it to quote
 * untrusted values in log lines and error messages (with `JSON_ASCII_ONLY` for logs).
 */
export function jsonQuote(text: string, flags: i32 = 0): string {
  let out = new TextBuffer(text.length + 2);
  writeQuoted(out, text, flags);
  return out.toString();
}

/**
 * JSON text for a double: integers in ±2^53 without fraction or exponent (`5`, `-0` → `0`), others in the
 * shortest form that reads back to the same double (`1.5`, `1e+21`, `1e-7`); NaN and ±Infinity → `null`,
 * as `JSON.stringify` does.
 */
export function formatJsonNumber(value: f64): string {
  if (!isFinite(value)) return "null";
  if (value == Math.trunc(value) && Math.abs(value) <= 9007199254740992.0) return decimalText(<i64>value);
  let text = value.toString();
  // AssemblyScript prints integral doubles with a ".0" suffix (123456789012345680000.0).
  if (text.endsWith(".0")) text = text.substring(0, text.length - 2);
  return text;
}

/**
 * Streaming JSON writer. Output is compact (no whitespace). Strings are escaped as described in the file
 * comment, so a value can never end its string or add a line. Misuse is recorded in {@link error}.
 *
 * ```ts
 * let w = new JsonWriter();
 * w.beginObject().key("path").stringValue(p).key("allowed").boolValue(true).endObject();
 * w.toString(); // {"path":"...","allowed":true}
 * ```
 */
@final
export class JsonWriter {
  private out: TextBuffer = new TextBuffer(128);
  // One bit per open container (bit i = level i + 1): object (1) or array (0); and "has a member".
  private objectBits: u64 = 0;
  private nonEmptyBits: u64 = 0;
  private depth: i32 = 0;
  private keyPending: bool = false;
  private topLevelDone: bool = false;
  /** The first misuse (e.g. "value without a key inside an object"); null while the output is valid. */
  error: string | null = null;

  /** `flags`: `JSON_ESCAPE_HTML` | `JSON_ASCII_ONLY`. */
  constructor(public readonly flags: i32 = 0) {}

  private misuse(message: string): void {
    if (this.error === null) this.error = message;
  }

  private inObject(): bool {
    return this.depth > 0 && ((this.objectBits >> <u64>(this.depth - 1)) & 1) != 0;
  }

  // Called before every value: writes the separator and checks the position is valid.
  private beforeValue(): bool {
    if (this.depth == 0) {
      if (this.topLevelDone) {
        this.misuse("more than one top-level value");
        return false;
      }
      return true;
    }
    if (this.inObject()) {
      if (!this.keyPending) {
        this.misuse("value without a key inside an object");
        return false;
      }
      this.keyPending = false;
      return true;
    }
    let bit: u64 = <u64>1 << <u64>(this.depth - 1);
    if ((this.nonEmptyBits & bit) != 0) this.out.appendUnit(0x2C);
    this.nonEmptyBits |= bit;
    return true;
  }

  private afterValue(): void {
    if (this.depth == 0) this.topLevelDone = true;
  }

  /** Writes an object member name; the next call must write its value. */
  key(name: string): JsonWriter {
    if (!this.inObject() || this.keyPending) {
      this.misuse("key outside an object or without a value");
      return this;
    }
    let bit: u64 = <u64>1 << <u64>(this.depth - 1);
    if ((this.nonEmptyBits & bit) != 0) this.out.appendUnit(0x2C);
    this.nonEmptyBits |= bit;
    writeQuoted(this.out, name, this.flags);
    this.out.appendUnit(0x3A);
    this.keyPending = true;
    return this;
  }

  beginObject(): JsonWriter {
    return this.begin(true);
  }

  beginArray(): JsonWriter {
    return this.begin(false);
  }

  private begin(isObject: bool): JsonWriter {
    if (!this.beforeValue()) return this;
    if (this.depth >= 64) {
      this.misuse("nesting deeper than 64 levels");
      return this;
    }
    let bit: u64 = <u64>1 << <u64>this.depth;
    if (isObject) this.objectBits |= bit;
    else this.objectBits &= ~bit;
    this.nonEmptyBits &= ~bit;
    this.depth++;
    this.out.appendUnit(isObject ? 0x7B : 0x5B);
    return this;
  }

  endObject(): JsonWriter {
    return this.end(true);
  }

  endArray(): JsonWriter {
    return this.end(false);
  }

  private end(isObject: bool): JsonWriter {
    if (this.keyPending) {
      this.misuse("key without a value");
      return this;
    }
    if (this.depth == 0 || this.inObject() != isObject) {
      this.misuse(isObject ? "endObject without a matching beginObject" : "endArray without a matching beginArray");
      return this;
    }
    this.depth--;
    this.out.appendUnit(isObject ? 0x7D : 0x5D);
    this.afterValue();
    return this;
  }

  stringValue(value: string): JsonWriter {
    if (!this.beforeValue()) return this;
    writeQuoted(this.out, value, this.flags);
    this.afterValue();
    return this;
  }

  /** A double, formatted by {@link formatJsonNumber} (non-finite → `null`). */
  numberValue(value: f64): JsonWriter {
    if (!this.beforeValue()) return this;
    this.out.append(formatJsonNumber(value));
    this.afterValue();
    return this;
  }

  /** An integer, exactly (even beyond 2^53). */
  intValue(value: i64): JsonWriter {
    if (!this.beforeValue()) return this;
    this.out.append(decimalText(value));
    this.afterValue();
    return this;
  }

  boolValue(value: bool): JsonWriter {
    if (!this.beforeValue()) return this;
    this.out.append(value ? "true" : "false");
    this.afterValue();
    return this;
  }

  nullValue(): JsonWriter {
    if (!this.beforeValue()) return this;
    this.out.append("null");
    this.afterValue();
    return this;
  }

  /** A whole DOM value; parsed numbers are written with their source text, unchanged. */
  jsonValue(value: JsonValue): JsonWriter {
    switch (value.kind) {
      case JsonKind.Null: return this.nullValue();
      case JsonKind.Bool: return this.boolValue(value.asBool());
      case JsonKind.Number: {
        let text = value.numberText();
        if (text === null) return this.numberValue(value.asNumber());
        if (!this.beforeValue()) return this;
        this.out.append(text);
        this.afterValue();
        return this;
      }
      case JsonKind.String: return this.stringValue(value.asString()!);
      case JsonKind.Array: {
        let items = value.asArray()!;
        this.beginArray();
        for (let i = 0, n = items.length; i < n; i++) this.jsonValue(items[i]);
        return this.endArray();
      }
      default: {
        let members = value.asObject()!;
        this.beginObject();
        for (let i = 0, n = members.size; i < n; i++) {
          this.key(members.keys[i]);
          this.jsonValue(members.values[i]);
        }
        return this.endObject();
      }
    }
  }

  /** Shorthand for `key(name).stringValue(value)`. */
  stringField(name: string, value: string): JsonWriter {
    return this.key(name).stringValue(value);
  }

  /** Shorthand for `key(name).intValue(value)`. */
  intField(name: string, value: i64): JsonWriter {
    return this.key(name).intValue(value);
  }

  /** Shorthand for `key(name).numberValue(value)`. */
  numberField(name: string, value: f64): JsonWriter {
    return this.key(name).numberValue(value);
  }

  /** Shorthand for `key(name).boolValue(value)`. */
  boolField(name: string, value: bool): JsonWriter {
    return this.key(name).boolValue(value);
  }

  /** True when exactly one complete top-level value was written without misuse. */
  isComplete(): bool {
    return this.error === null && this.depth == 0 && this.topLevelDone;
  }

  /** The text written so far. */
  toString(): string {
    return this.out.toString();
  }

  /** The text written so far, as UTF-8 (always well-formed: lone surrogates were written as U+FFFD). */
  toBytes(): ArrayBuffer {
    return encodeUtf8(this.toString());
  }
}
