/**
 * The value model behind `proxy_get_property`: Envoy resolves a path to a CEL value and serializes it with
 * `serializeValue` (Envoy `context.cc`; host-behaviour.md C.2):
 *
 * | CEL type           | bytes returned                                              |
 * |--------------------|-------------------------------------------------------------|
 * | string, bytes      | raw bytes                                                   |
 * | int, uint          | 8 bytes little-endian                                       |
 * | double             | 8-byte IEEE-754 little-endian                               |
 * | bool               | 1 byte                                                      |
 * | timestamp/duration | int64 nanoseconds, 8 bytes little-endian                    |
 * | message            | protobuf wire bytes                                         |
 * | map                | pairs encoding, keys and values serialized recursively      |
 * | list               | pairs encoding with each element as a key and empty values  |
 * | null / other       | SERIALIZATION_FAILURE                                       |
 *
 * Strings are byte strings (see `codec.ts`).
 */
import { Buffer } from "node:buffer";
import { type BytePair, encodePairs } from "../codec";
import { Status } from "../enums";
import type { HeaderMap } from "../state/header-map";
import type { StructObject, StructValue } from "./protobuf";

export type CelValue =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "bytes"; readonly value: string }
  | { readonly kind: "int"; readonly value: bigint }
  | { readonly kind: "uint"; readonly value: bigint }
  | { readonly kind: "double"; readonly value: number }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "timestamp"; readonly nanos: bigint }
  | { readonly kind: "duration"; readonly nanos: bigint }
  | { readonly kind: "null" }
  | CelMap
  | { readonly kind: "list"; readonly items: readonly CelValue[] }
  | CelMessage;

export interface CelMap {
  readonly kind: "map";
  /** `map[key]`; undefined when absent. */
  get(key: string): CelValue | undefined;
  /** `ListKeys()`; null when the map does not implement it (Envoy's wrappers → SERIALIZATION_FAILURE). */
  keys(): string[] | null;
}

export interface CelMessage {
  readonly kind: "message";
  /** The protobuf type, e.g. `envoy.config.core.v3.Node`. */
  readonly type: string;
  /** Field by proto name; undefined when the message has no such field (NOT_FOUND). */
  field(name: string): CelValue | undefined;
  serialize(): Uint8Array;
}

export const str = (value: string): CelValue => ({ kind: "string", value });
export const bytes = (value: string): CelValue => ({ kind: "bytes", value });
export const int = (value: number | bigint): CelValue => ({ kind: "int", value: BigInt(value) });
export const uint = (value: number | bigint): CelValue => ({ kind: "uint", value: BigInt(value) });
export const bool = (value: boolean): CelValue => ({ kind: "bool", value });
export const timestamp = (nanos: bigint): CelValue => ({ kind: "timestamp", nanos });
export const duration = (nanos: bigint): CelValue => ({ kind: "duration", nanos });

/** A map from a fixed table of getters (Envoy's `*Wrapper` classes: lookups only, no `ListKeys`). */
export function lookupMap(lookup: (key: string) => CelValue | undefined): CelMap {
  return { kind: "map", get: lookup, keys: () => null };
}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PSEUDO_TCHAR = /^:[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/** Envoy `HeaderUtility::headerNameIsValid`: token characters; pseudo-headers lower-case only. */
export function headerNameIsValid(name: string): boolean {
  return name.startsWith(":") ? PSEUDO_TCHAR.test(name) : TCHAR.test(name);
}

/**
 * `HeadersWrapper`: `map[name]` is every value of the header joined with `,` (`getAllOfHeaderAsString`); invalid
 * names are absent; the key list is the distinct names. A null map is an empty map.
 */
export function headersMap(headers: HeaderMap | null): CelMap {
  return {
    kind: "map",
    get(key) {
      if (!headers || !headerNameIsValid(key)) return undefined;
      const values = headers.getAll(key);
      if (values.length === 0) return undefined;
      return str(values.length === 1 ? values[0]! : values.join(","));
    },
    keys() {
      if (!headers) return [];
      const seen = new Set<string>();
      for (const [k] of headers.entries) seen.add(k);
      return [...seen];
    },
  };
}

/** A `google.protobuf.Struct` as CEL sees it: a map whose values are unwrapped `Value`s. */
export function structMap(obj: StructObject): CelMap {
  return {
    kind: "map",
    get(key) {
      if (!Object.prototype.hasOwnProperty.call(obj, key)) return undefined;
      return structValue(obj[key]!);
    },
    keys: () => Object.keys(obj),
  };
}

/** `google.protobuf.Value` unwrapped to its CEL type (numbers are doubles; strings become byte strings). */
export function structValue(v: StructValue): CelValue {
  if (v === null) return { kind: "null" };
  if (typeof v === "number") return { kind: "double", value: v };
  if (typeof v === "boolean") return bool(v);
  if (typeof v === "string") return str(Buffer.from(v, "utf8").toString("latin1"));
  if (Array.isArray(v)) return { kind: "list", items: v.map(structValue) };
  return structMap(v);
}

const int64 = (v: bigint, signed: boolean): Buffer => {
  const b = Buffer.allocUnsafe(8);
  if (signed) b.writeBigInt64LE(BigInt.asIntN(64, v));
  else b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return b;
};

/** Envoy `serializeValue`: the bytes `proxy_get_property` returns, or a status. */
export function serializeValue(v: CelValue): { status: Status.Ok; bytes: Uint8Array | string } | { status: Status } {
  switch (v.kind) {
    case "string":
    case "bytes":
      return { status: Status.Ok, bytes: v.value };
    case "int":
      return { status: Status.Ok, bytes: int64(v.value, true) };
    case "uint":
      return { status: Status.Ok, bytes: int64(v.value, false) };
    case "double": {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleLE(v.value);
      return { status: Status.Ok, bytes: b };
    }
    case "bool":
      return { status: Status.Ok, bytes: Buffer.from([v.value ? 1 : 0]) };
    case "timestamp":
    case "duration":
      return { status: Status.Ok, bytes: int64(v.nanos, true) };
    case "message":
      return { status: Status.Ok, bytes: v.serialize() };
    case "map": {
      const keys = v.keys();
      if (keys === null) return { status: Status.SerializationFailure };
      const pairs: BytePair[] = [];
      for (const k of keys) {
        const value = v.get(k);
        if (value === undefined) return { status: Status.SerializationFailure };
        const s = serializeValue(value);
        if (!("bytes" in s)) return { status: Status.SerializationFailure };
        pairs.push([k, toByteString(s.bytes)]);
      }
      return { status: Status.Ok, bytes: encodePairs(pairs) };
    }
    case "list": {
      const pairs: BytePair[] = [];
      for (const item of v.items) {
        const s = serializeValue(item);
        if (!("bytes" in s)) return { status: Status.SerializationFailure };
        pairs.push([toByteString(s.bytes), ""]);
      }
      return { status: Status.Ok, bytes: encodePairs(pairs) };
    }
    default:
      return { status: Status.SerializationFailure };
  }
}

function toByteString(b: Uint8Array | string): string {
  return typeof b === "string" ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** absl `SimpleAtoi` for an `int`: optional surrounding ASCII whitespace, optional sign, decimal digits. */
function simpleAtoi(s: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)[ \t\n\v\f\r]*$/.exec(s);
  if (!m) return null;
  const n = Number(m[1]);
  return n >= -2147483648 && n <= 2147483647 ? n : null;
}

/**
 * Envoy `Context::getProperty` traversal after the first segment: a map is indexed by key, a message by field
 * name, a list by decimal index; anything else (or a miss) is NOT_FOUND.
 */
export function traverse(start: CelValue, segments: readonly string[]): CelValue | Status.NotFound {
  let value = start;
  for (const part of segments) {
    let next: CelValue | undefined;
    if (value.kind === "map") next = value.get(part);
    else if (value.kind === "message") next = value.field(part);
    else if (value.kind === "list") {
      const idx = simpleAtoi(part);
      next = idx !== null && idx >= 0 && idx < value.items.length ? value.items[idx] : undefined;
    }
    if (next === undefined) return Status.NotFound;
    value = next;
  }
  return value;
}
