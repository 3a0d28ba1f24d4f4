/**
 * Test entry for the SDK's pure codecs, compiled to build/loader/codec.wasm (target `loader`: the AS runtime
 * is exported for @assemblyscript/loader). Pairs travel as flat arrays `[name0, value0, name1, value1, …]`.
 */

import {
  HeaderPair,
  HeaderPairBytes,
  decodeHeaderMap,
  decodeHeaderMapBytes,
  decodeList,
  encodeHeaderMap,
  encodeHeaderMapBytes,
  pairValues,
  validateHeaderMap,
} from "../../../assembly/codec/header-map";
import { encodePropertyPath } from "../../../assembly/codec/property-path";
import { ProtobufWriter } from "../../../assembly/codec/protobuf";
import { decodeUtf8LossyBuffer } from "../../../assembly/codec/text";
import { asciiLower } from "../../../assembly/hostcalls/headers";
import { TagPair, metricName } from "../../../assembly/hostcalls/metrics";

export const STRING_ARRAY_ID = idof<string[]>();
export const BUFFER_ARRAY_ID = idof<ArrayBuffer[]>();

export function encodeHeaderMapFlat(flat: string[]): ArrayBuffer {
  const pairs = new Array<HeaderPair>();
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push(new HeaderPair(flat[i], flat[i + 1]));
  return encodeHeaderMap(pairs);
}

export function encodeHeaderMapBytesFlat(flat: ArrayBuffer[]): ArrayBuffer {
  const pairs = new Array<HeaderPairBytes>();
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push(new HeaderPairBytes(flat[i], flat[i + 1]));
  return encodeHeaderMapBytes(pairs);
}

export function decodeHeaderMapFlat(data: ArrayBuffer): string[] | null {
  const pairs = decodeHeaderMap(changetype<usize>(data), <usize>data.byteLength);
  if (pairs === null) return null;
  const flat = new Array<string>();
  for (let i = 0; i < pairs.length; i++) {
    flat.push(pairs[i].name);
    flat.push(pairs[i].value);
  }
  return flat;
}

export function decodeHeaderMapBytesFlat(data: ArrayBuffer): ArrayBuffer[] | null {
  const pairs = decodeHeaderMapBytes(changetype<usize>(data), <usize>data.byteLength);
  if (pairs === null) return null;
  const flat = new Array<ArrayBuffer>();
  for (let i = 0; i < pairs.length; i++) {
    flat.push(pairs[i].name);
    flat.push(pairs[i].value);
  }
  return flat;
}

export function validate(data: ArrayBuffer): i32 {
  return validateHeaderMap(changetype<usize>(data), <usize>data.byteLength);
}

/** `pairValues` over a block the caller validated (0 for the empty map, as the SDK passes it). */
export function pairValuesOf(data: ArrayBuffer, name: string): string[] {
  const block = validateHeaderMap(changetype<usize>(data), <usize>data.byteLength) > 0 ? changetype<usize>(data) : 0;
  return pairValues(block, name);
}

export function decodeListFlat(data: ArrayBuffer): string[] | null {
  return decodeList(changetype<usize>(data), <usize>data.byteLength);
}

export function propertyPath(path: string[]): ArrayBuffer | null {
  return encodePropertyPath(path);
}

export function decodeLossy(data: ArrayBuffer): string {
  return decodeUtf8LossyBuffer(data);
}

export function lowerAscii(text: string): string {
  return asciiLower(text);
}

export function metricNameFlat(base: string, flat: string[]): string {
  const tags = new Array<TagPair>();
  for (let i = 0; i + 1 < flat.length; i += 2) tags.push(new TagPair(flat[i], flat[i + 1]));
  return metricName(base, tags);
}

/** Envoy DeclarePropertyArguments {name=1, readonly=2, type=3, schema=4, span=5}. */
export function declarePropertyArguments(name: string, readOnly: bool, type: u32, schema: ArrayBuffer | null, span: u32): ArrayBuffer {
  const writer = new ProtobufWriter().string(1, name).bool(2, readOnly).uint(3, type);
  if (schema !== null) writer.bytesField(4, schema);
  return writer.uint(5, span).finish();
}

/** A varint field with a large value, to pin multi-byte varints. */
export function varintField(field: u32, value: u64): ArrayBuffer {
  return new ProtobufWriter().uint(field, value).finish();
}
