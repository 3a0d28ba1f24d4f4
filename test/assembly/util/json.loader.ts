// Loader module for json.test.ts: exposes assembly/util/json.ts to @assemblyscript/loader.
import {
  formatJsonNumber,
  JsonKind,
  JsonLimits,
  JsonObject,
  JsonParseResult,
  jsonQuote,
  JsonValue,
  JsonWriter,
  parseJson,
  parseJsonBytes,
} from "../../../assembly/util/json";

let last: JsonParseResult = parseJson("null");

/** Parses `text`; true on success. Inspect with the result* functions. */
export function parse(text: string): bool {
  last = parseJson(text);
  return last.error === null;
}

/** Parses UTF-8 bytes; true on success. */
export function parseBytes(data: ArrayBuffer): bool {
  last = parseJsonBytes(data);
  return last.error === null;
}

/** Parses with explicit limits. */
export function parseWithLimits(text: string, maxDepth: i32, maxBytes: i32): bool {
  last = parseJson(text, new JsonLimits(maxDepth, maxBytes));
  return last.error === null;
}

/** The parsed document written back by JsonWriter with `flags`, or null on error. */
export function resultJson(flags: i32): string | null {
  let value = last.value;
  return value === null ? null : value.toJson(flags);
}

export function resultError(): string | null {
  return last.error;
}

export function resultDescribeError(): string {
  return last.describeError();
}

export function resultOffset(): i32 {
  return last.offset;
}

export function resultLine(): i32 {
  return last.line;
}

export function resultColumn(): i32 {
  return last.column;
}

/** The kind of the parsed document, or -1. */
export function resultKind(): i32 {
  let value = last.value;
  return value === null ? -1 : <i32>value.kind;
}

/** The double a top-level number parsed to (NaN when the document is not a number). */
export function resultNumber(): f64 {
  let value = last.value;
  return value === null ? NaN : value.asNumber();
}

/** The source text of a top-level number, or null. */
export function resultNumberText(): string | null {
  let value = last.value;
  return value === null ? null : value.numberText();
}

export function resultIsSafeInteger(): bool {
  let value = last.value;
  return value !== null && value.isSafeInteger();
}

/** `asIntegerOr(fallback)` of the parsed document (`fallback` when there is none). */
export function resultIntegerOr(fallback: i64): i64 {
  let value = last.value;
  return value === null ? fallback : value.asIntegerOr(fallback);
}

/** `asIntegerOr(fallback)` of a number built with `fromNumber(value)` (no source text). */
export function builtIntegerOr(value: f64, fallback: i64): i64 {
  return JsonValue.fromNumber(value).asIntegerOr(fallback);
}

/** Member `key` of a top-level object written as JSON, or null when absent. */
export function resultGet(key: string): string | null {
  let value = last.value;
  if (value === null) return null;
  let member = value.get(key);
  return member === null ? null : member.toJson();
}

/** Keys of a top-level object joined with "\n", or null. */
export function resultKeys(): string | null {
  let value = last.value;
  if (value === null) return null;
  let members = value.asObject();
  return members === null ? null : members.keys.join("\n");
}

/** Element `index` of a top-level array written as JSON, or null. */
export function resultAt(index: i32): string | null {
  let value = last.value;
  if (value === null) return null;
  let item = value.at(index);
  return item === null ? null : item.toJson();
}

/** The accessors on the wrong kind, as "asBool,asNumber,asString,asArray,asObject" (for non-trapping checks). */
export function wrongKindAccessors(): string {
  let value = last.value;
  if (value === null) return "";
  let n = value.asNumber();
  return (value.asBool() ? "true" : "false") + "," + (isNaN(n) ? "NaN" : n.toString()) + "," +
    (value.asString() === null ? "null" : "str") + "," + (value.asArray() === null ? "null" : "arr") + "," +
    (value.asObject() === null ? "null" : "obj") + "," + (value.at(0) === null ? "null" : "item") + "," +
    (value.get("a") === null ? "null" : "member");
}

export function quote(text: string, flags: i32): string {
  return jsonQuote(text, flags);
}

export function formatNumber(value: f64): string {
  return formatJsonNumber(value);
}

/** Writes `value` alone with JsonWriter.numberValue. */
export function writeNumber(value: f64): string {
  return new JsonWriter().numberValue(value).toString();
}

export function writeInt(value: i64): string {
  return new JsonWriter().intValue(value).toString();
}

/** JsonWriter.toBytes of a single string value. */
export function writeStringBytes(text: string, flags: i32): ArrayBuffer {
  return new JsonWriter(flags).stringValue(text).toBytes();
}

/** Scripted writer sessions; returns "<output>|<error or empty>|<complete 0/1>". */
export function writerScenario(id: i32): string {
  let w = new JsonWriter();
  switch (id) {
    case 0: // nested document with every value kind
      w.beginObject()
        .stringField("s", "a\"b")
        .intField("i", -42)
        .numberField("n", 1.5)
        .boolField("b", false)
        .key("z").nullValue()
        .key("list").beginArray().intValue(1).beginObject().endObject().beginArray().endArray().stringValue("x").endArray()
        .endObject();
      break;
    case 1: // value without key inside an object
      w.beginObject().stringValue("oops").endObject();
      break;
    case 2: // key inside an array
      w.beginArray().key("k").endArray();
      break;
    case 3: // unbalanced end
      w.beginArray().endObject();
      break;
    case 4: // two top-level values
      w.intValue(1).intValue(2);
      break;
    case 5: // key without value, then end
      w.beginObject().key("k").endObject();
      break;
    case 6: { // 65 levels
      for (let i = 0; i < 65; i++) w.beginArray();
      break;
    }
    case 7: // end at top level
      w.endArray();
      break;
    case 8: // unfinished document
      w.beginObject().key("a");
      break;
    case 9: { // DOM built in code
      let members = new JsonObject();
      members.add("x", JsonValue.fromNumber(0.1));
      members.add("y", JsonValue.fromArray([JsonValue.fromBool(true), JsonValue.fromNull(), JsonValue.fromString("\u2028")]));
      let added = members.add("x", JsonValue.fromNull());
      w.jsonValue(JsonValue.fromObject(members));
      if (added) w.error = "duplicate add accepted";
      break;
    }
    case 10: // non-finite numbers
      w.beginArray().numberValue(NaN).numberValue(Infinity).numberValue(-Infinity).numberValue(-0.0).endArray();
      break;
    default:
      break;
  }
  let error = w.error;
  return w.toString() + "|" + (error === null ? "" : error) + "|" + (w.isComplete() ? "1" : "0");
}

/** Builds an object with `n` keys "k0".."k{n-1}" through JsonObject.add and checks every lookup. */
export function objectIndexCheck(n: i32): bool {
  let members = new JsonObject();
  for (let i = 0; i < n; i++) {
    if (!members.add("k" + i.toString(), JsonValue.fromNumber(<f64>i))) return false;
  }
  for (let i = 0; i < n; i++) {
    let value = members.get("k" + i.toString());
    if (value === null || value.asNumber() != <f64>i) return false;
    if (members.add("k" + i.toString(), JsonValue.fromNull())) return false;
  }
  return members.get("missing") === null && members.size == n && !members.has("k" + n.toString()) &&
    value_kind_ok(members);
}

function value_kind_ok(members: JsonObject): bool {
  return members.size == 0 || members.values[0].kind == JsonKind.Number;
}
