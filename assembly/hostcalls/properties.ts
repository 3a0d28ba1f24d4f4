/**
 * Properties (Envoy attributes and filter state), host-behaviour.md C.
 *
 * A path is a list of segments (`["request", "headers", "user-agent"]`, `["xds", "node", "metadata", "X"]`;
 * the legacy top-level names such as `node` were removed from Envoy). Values come in Envoy's encodings: strings
 * and bytes raw; int64/uint64, double, timestamp and duration as 8 little-endian bytes (timestamps and
 * durations in nanoseconds); bool as 1 byte; maps as serialized pairs (repeated header values comma-joined);
 * lists as pairs with empty values; protobuf messages as wire bytes. Request and response attributes exist only
 * in HTTP stream contexts, and only once the host has them (`response.*` typically from `onResponseHeaders` or
 * in `onLog`). Every reader returns null for NOT_FOUND, SERIALIZATION_FAILURE, a value of the wrong size for
 * its type, or a path segment containing NUL — never a trap.
 */

import { proxy_get_property, proxy_set_property } from "../abi/imports";
import { Status } from "../abi/enums";
import { RETURN_0, RETURN_1, encodeUtf8, reserveStaging, stageStrings, stagedLen0, stagedPtr0, takeBuffer, takeString } from "../abi/memory";
import { HeaderPair, decodeHeaderMap, decodeList } from "../codec/header-map";
import { propertyPathSize, writePropertyPath } from "../codec/property-path";

/** A signed 64-bit property value (int, timestamp or duration). */
export class Int64Value {
  constructor(public value: i64) {}
}

/** An unsigned 64-bit property value (uint, e.g. `connection.id`). */
export class Uint64Value {
  constructor(public value: u64) {}
}

/** A boolean property value (e.g. `connection.mtls`). */
export class BoolValue {
  constructor(public value: bool) {}
}

/** A double property value (e.g. a number inside `google.protobuf.Struct` metadata). */
export class DoubleValue {
  constructor(public value: f64) {}
}

/** Stages `path` and asks the host; true when the value's (ptr, size) is in RETURN_0/RETURN_1. */
function fetchProperty(path: string[]): bool {
  const size = propertyPathSize(path);
  if (size < 0) return false;
  const area = reserveStaging(<usize>size);
  writePropertyPath(path, area);
  return proxy_get_property(area, <usize>size, RETURN_0, RETURN_1) == Status.Ok;
}

/** Reads an 8-byte value in place and frees the host block; false (block freed) when the size is not 8. */
function fetchEightBytes(path: string[]): bool {
  if (!fetchProperty(path)) return false;
  const ptr = load<usize>(RETURN_0);
  if (load<usize>(RETURN_1) == 8) return true;
  if (ptr != 0) heap.free(ptr);
  return false;
}

/** Loads the 8 bytes fetched by {@link fetchEightBytes} and frees the block. */
function takeEightBytes(): u64 {
  const ptr = load<usize>(RETURN_0);
  const value = load<u64>(ptr);
  heap.free(ptr);
  return value;
}

/** The raw bytes of property `path`, or null (see the file comment). Wraps `proxy_get_property`. */
export function getProperty(path: string[]): ArrayBuffer | null {
  if (!fetchProperty(path)) return null;
  return takeBuffer(RETURN_0, RETURN_1);
}

/**
 * {@link getPropertyString} for a one-segment path without NUL (`plugin_root_id`): the segment's UTF-8 is the
 * encoded path, so the path encoder is not needed. SDK-internal (the dispatcher reads the root id with it, so
 * a module that reads no other property does not link the encoder).
 */
export function getTopLevelPropertyString(name: string): string | null {
  stageStrings(name);
  if (proxy_get_property(stagedPtr0, stagedLen0, RETURN_0, RETURN_1) != Status.Ok) return null;
  return takeString(RETURN_0, RETURN_1);
}

/**
 * A string property (UTF-8; invalid sequences become U+FFFD), or null. "" for a present empty value.
 * Wraps `proxy_get_property`.
 */
export function getPropertyString(path: string[]): string | null {
  if (!fetchProperty(path)) return null;
  return takeString(RETURN_0, RETURN_1);
}

/** An int64 property (8 bytes LE), or null. Wraps `proxy_get_property`. */
export function getPropertyInt64(path: string[]): Int64Value | null {
  if (!fetchEightBytes(path)) return null;
  return new Int64Value(<i64>takeEightBytes());
}

/** A uint64 property (8 bytes LE), or null. Wraps `proxy_get_property`. */
export function getPropertyUint64(path: string[]): Uint64Value | null {
  if (!fetchEightBytes(path)) return null;
  return new Uint64Value(takeEightBytes());
}

/** A double property (8-byte IEEE-754 LE), or null. Wraps `proxy_get_property`. */
export function getPropertyDouble(path: string[]): DoubleValue | null {
  if (!fetchEightBytes(path)) return null;
  return new DoubleValue(reinterpret<f64>(takeEightBytes()));
}

/** A timestamp property as nanoseconds since the Unix epoch, or null. Wraps `proxy_get_property`. */
export function getPropertyTimestampNanos(path: string[]): Int64Value | null {
  return getPropertyInt64(path);
}

/** A duration property in nanoseconds, or null. Wraps `proxy_get_property`. */
export function getPropertyDurationNanos(path: string[]): Int64Value | null {
  return getPropertyInt64(path);
}

/** A bool property (exactly 1 byte, 0 or non-zero), or null. Wraps `proxy_get_property`. */
export function getPropertyBool(path: string[]): BoolValue | null {
  if (!fetchProperty(path)) return null;
  const ptr = load<usize>(RETURN_0);
  const size = load<usize>(RETURN_1);
  const value = size == 1 ? load<u8>(ptr) != 0 : false;
  if (ptr != 0) heap.free(ptr);
  return size == 1 ? new BoolValue(value) : null;
}

/**
 * A map property (e.g. `request.headers`: lower-case keys, repeated values comma-joined) as pairs, or null
 * when absent or not a serialized map. Wraps `proxy_get_property`.
 */
export function getPropertyMap(path: string[]): HeaderPair[] | null {
  if (!fetchProperty(path)) return null;
  const ptr = load<usize>(RETURN_0);
  const pairs = decodeHeaderMap(ptr, load<usize>(RETURN_1));
  if (ptr != 0) heap.free(ptr);
  return pairs;
}

/**
 * A list property (e.g. `connection.uri_san_peer_certificate` on hosts that return lists) as its elements, or
 * null when absent or not a serialized list. Wraps `proxy_get_property`.
 */
export function getPropertyList(path: string[]): string[] | null {
  if (!fetchProperty(path)) return null;
  const ptr = load<usize>(RETURN_0);
  const items = decodeList(ptr, load<usize>(RETURN_1));
  if (ptr != 0) heap.free(ptr);
  return items;
}

/**
 * Writes `value` to the stream's filter state under `wasm.<path>` (segments joined by NUL), readable back
 * with `getProperty(path)` and by access logs as `%FILTER_STATE(wasm.<name>)%`. Needs a stream: from a root
 * context Envoy answers NOT_FOUND. Writing a read-only declared property twice → BAD_ARGUMENT; a segment
 * containing NUL → BAD_ARGUMENT without calling the host. Wraps `proxy_set_property`.
 */
export function setProperty(path: string[], value: ArrayBuffer): Status {
  const size = propertyPathSize(path);
  if (size < 0) return Status.BadArgument;
  const area = reserveStaging(<usize>size);
  writePropertyPath(path, area);
  return <Status>proxy_set_property(area, <usize>size, changetype<usize>(value), <usize>value.byteLength);
}

/** {@link setProperty} with a UTF-8 string value. Wraps `proxy_set_property`. */
export function setPropertyString(path: string[], value: string): Status {
  return setProperty(path, encodeUtf8(value));
}
