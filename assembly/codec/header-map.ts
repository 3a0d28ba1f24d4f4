/**
 * The proxy-wasm "serialized map" codec, used for header maps, trailers, gRPC metadata, local-response
 * headers, HTTP-call headers and trailers, and the map/list property encodings.
 *
 * Layout (spec "Serialization"; cpp-host `src/pairs_util.cc`), all integers u32 little-endian:
 *
 * ```
 *   ┌────────┬─────────────────────────────────────┬──────────────────────────────────────────────┐
 *   │ u32 N  │ N × (u32 name_len, u32 value_len)   │ N × (name bytes, 0x00, value bytes, 0x00)     │
 *   └────────┴─────────────────────────────────────┴──────────────────────────────────────────────┘
 *   size = 4 + Σ (8 + name_len + 1 + value_len + 1)
 * ```
 *
 * An empty map is sent as size 0 (the host also accepts a single 0x00 byte) and comes back from the host as
 * `(0, 0)`. The spec's worked example writes '1' and '2' as 0x49/0x50; the right bytes are 0x31/0x32.
 * Pinned by the byte-annotated fixtures in `test/golden/header-map.yaml`, which the harness's codec is
 * checked against too.
 */

import { decodeUtf8Lossy } from "./text";
import { encodeUtf8Unsafe, utf8Length } from "../util/utf8";

/** One header (or trailer, or metadata entry) as text. Names from Envoy are lower-case. */
export class HeaderPair {
  constructor(
    public name: string,
    public value: string,
  ) {}
}

/** One header as raw bytes, for values that are not valid UTF-8 (e.g. opaque binary metadata). */
export class HeaderPairBytes {
  constructor(
    public name: ArrayBuffer,
    public value: ArrayBuffer,
  ) {}
}

/**
 * cpp-host's parser limits (`include/proxy-wasm/limits.h`): a map with more pairs or more bytes is
 * silently treated as empty by the host, so `set_header_map_pairs` with it would remove every header. The
 * SDK refuses to send such a map instead (see `HeaderMap.setPairs`).
 */
export const HOST_PAIRS_MAX_COUNT: i32 = 1024;
/** See {@link HOST_PAIRS_MAX_COUNT}. */
export const HOST_PAIRS_MAX_BYTES: usize = 1 << 20;

/** Serialized size of `pairs`, counting names and values in UTF-8. */
export function headerMapSize(pairs: HeaderPair[]): usize {
  let size: usize = 4;
  for (let i = 0, n = pairs.length; i < n; i++) {
    const pair = unchecked(pairs[i]);
    size += 10 + <usize>utf8Length(pair.name) + <usize>utf8Length(pair.value);
  }
  return size;
}

/**
 * Serializes `pairs` (names and values as UTF-8; lone surrogates → U+FFFD). Zero pairs give an empty buffer,
 * which every host accepts as an empty map.
 */
export function encodeHeaderMap(pairs: HeaderPair[]): ArrayBuffer {
  const count = pairs.length;
  if (count == 0) return new ArrayBuffer(0);
  const out = new ArrayBuffer(<i32>headerMapSize(pairs));
  const base = changetype<usize>(out);
  store<u32>(base, <u32>count);
  let lengths = base + 4;
  let data = base + 4 + (<usize>count << 3);
  for (let i = 0; i < count; i++) {
    const pair = unchecked(pairs[i]);
    const nameLen = encodeUtf8Unsafe(changetype<usize>(pair.name), <usize>pair.name.length, data);
    store<u8>(data + nameLen, 0);
    data += nameLen + 1;
    const valueLen = encodeUtf8Unsafe(changetype<usize>(pair.value), <usize>pair.value.length, data);
    store<u8>(data + valueLen, 0);
    data += valueLen + 1;
    store<u32>(lengths, <u32>nameLen);
    store<u32>(lengths + 4, <u32>valueLen);
    lengths += 8;
  }
  return out;
}

/** Serializes raw-byte pairs; see {@link encodeHeaderMap}. */
export function encodeHeaderMapBytes(pairs: HeaderPairBytes[]): ArrayBuffer {
  const count = pairs.length;
  if (count == 0) return new ArrayBuffer(0);
  let size: usize = 4;
  for (let i = 0; i < count; i++) {
    const pair = unchecked(pairs[i]);
    size += 10 + <usize>pair.name.byteLength + <usize>pair.value.byteLength;
  }
  const out = new ArrayBuffer(<i32>size);
  const base = changetype<usize>(out);
  store<u32>(base, <u32>count);
  let lengths = base + 4;
  let data = base + 4 + (<usize>count << 3);
  for (let i = 0; i < count; i++) {
    const pair = unchecked(pairs[i]);
    const nameLen = <usize>pair.name.byteLength;
    const valueLen = <usize>pair.value.byteLength;
    store<u32>(lengths, <u32>nameLen);
    store<u32>(lengths + 4, <u32>valueLen);
    lengths += 8;
    memory.copy(data, changetype<usize>(pair.name), nameLen);
    store<u8>(data + nameLen, 0);
    data += nameLen + 1;
    memory.copy(data, changetype<usize>(pair.value), valueLen);
    store<u8>(data + valueLen, 0);
    data += valueLen + 1;
  }
  return out;
}

/**
 * Validates the layout of the serialized map at `(ptr, size)` exactly as cpp-host's `PairsUtil::toPairs`
 * does (enough bytes for N and the length table, every string NUL-terminated, nothing left over) and returns
 * the number of pairs, or -1 when it is malformed. `size` 0 and the single byte 00 are the empty map.
 */
export function validateHeaderMap(ptr: usize, size: usize): i32 {
  // The spec's two spellings of an empty map: no bytes, or a single 00 byte.
  if (size == 0 || (size == 1 && load<u8>(ptr) == 0)) return 0;
  if (size < 4) return -1;
  const count = <usize>load<u32>(ptr);
  const end = ptr + size;
  // Compare in 64-bit so that a huge count cannot wrap around.
  if (<u64>4 + (<u64>count << 3) > <u64>size) return -1;
  let lengths = ptr + 4;
  let data: u64 = <u64>(ptr + 4 + (count << 3));
  for (let i: usize = 0; i < count; i++) {
    const nameLen = <u64>load<u32>(lengths);
    const valueLen = <u64>load<u32>(lengths + 4);
    lengths += 8;
    if (data + nameLen + 1 > <u64>end) return -1;
    if (load<u8>(<usize>(data + nameLen)) != 0) return -1;
    data += nameLen + 1;
    if (data + valueLen + 1 > <u64>end) return -1;
    if (load<u8>(<usize>(data + valueLen)) != 0) return -1;
    data += valueLen + 1;
  }
  return data == <u64>end ? <i32>count : -1;
}

/**
 * Every value of `name` in the serialized map `block`, in order (invalid UTF-8 → U+FFFD); nothing else is
 * decoded. `block` must have passed {@link validateHeaderMap} with at least one pair, or be 0 (no pairs). Names
 * compare byte by byte while `name` is ASCII (an ASCII character decodes only from the same byte) and exactly:
 * Envoy's header maps hold lower-case names, so pass the lower-case form.
 */
export function pairValues(block: usize, name: string): string[] {
  const values = new Array<string>();
  const count = block != 0 ? <usize>load<u32>(block) : 0;
  let lengths = block + 4;
  let data = block + 4 + (count << 3);
  for (let i: usize = 0; i < count; i++) {
    const nameLen = <usize>load<u32>(lengths);
    const valueLen = <usize>load<u32>(lengths + 4);
    lengths += 8;
    if (bytesSpell(data, nameLen, name)) values.push(decodeUtf8Lossy(data + nameLen + 1, valueLen));
    data += nameLen + valueLen + 2;
  }
  return values;
}

/** Whether the bytes `(ptr, length)` decode (invalid UTF-8 → U+FFFD) to `text`, without decoding while `text` is ASCII. */
function bytesSpell(ptr: usize, length: usize, text: string): bool {
  const n = <usize>text.length;
  for (let i: usize = 0; i < n; i++) {
    const c = <u32>load<u16>(changetype<usize>(text) + (i << 1));
    if (c >= 0x80) return decodeUtf8Lossy(ptr, length) == text;
    if (i >= length || <u32>load<u8>(ptr + i) != c) return false;
  }
  return n == length;
}

/**
 * Decodes the serialized map at `(ptr, size)` into text pairs (invalid UTF-8 → U+FFFD). Returns null when
 * the bytes are malformed (see {@link validateHeaderMap}). Does not free the memory.
 */
export function decodeHeaderMap(ptr: usize, size: usize): HeaderPair[] | null {
  const count = validateHeaderMap(ptr, size);
  if (count < 0) return null;
  const pairs = new Array<HeaderPair>(count);
  let lengths = ptr + 4;
  let data = ptr + 4 + (<usize>count << 3);
  for (let i = 0; i < count; i++) {
    const nameLen = <usize>load<u32>(lengths);
    const valueLen = <usize>load<u32>(lengths + 4);
    lengths += 8;
    const name = decodeUtf8Lossy(data, nameLen);
    data += nameLen + 1;
    const value = decodeUtf8Lossy(data, valueLen);
    data += valueLen + 1;
    unchecked((pairs[i] = new HeaderPair(name, value)));
  }
  return pairs;
}

/** Decodes the serialized map at `(ptr, size)` into raw-byte pairs; null when malformed. */
export function decodeHeaderMapBytes(ptr: usize, size: usize): HeaderPairBytes[] | null {
  const count = validateHeaderMap(ptr, size);
  if (count < 0) return null;
  const pairs = new Array<HeaderPairBytes>(count);
  let lengths = ptr + 4;
  let data = ptr + 4 + (<usize>count << 3);
  for (let i = 0; i < count; i++) {
    const nameLen = <usize>load<u32>(lengths);
    const valueLen = <usize>load<u32>(lengths + 4);
    lengths += 8;
    const name = new ArrayBuffer(<i32>nameLen);
    memory.copy(changetype<usize>(name), data, nameLen);
    data += nameLen + 1;
    const value = new ArrayBuffer(<i32>valueLen);
    memory.copy(changetype<usize>(value), data, valueLen);
    data += valueLen + 1;
    unchecked((pairs[i] = new HeaderPairBytes(name, value)));
  }
  return pairs;
}

/**
 * Decodes a serialized map whose values are all empty, as Envoy encodes CEL lists (`elem\0\0` per
 * element; host-behaviour.md C.2), into the keys. Null when malformed.
 */
export function decodeList(ptr: usize, size: usize): string[] | null {
  const count = validateHeaderMap(ptr, size);
  if (count < 0) return null;
  const items = new Array<string>(count);
  let lengths = ptr + 4;
  let data = ptr + 4 + (<usize>count << 3);
  for (let i = 0; i < count; i++) {
    const nameLen = <usize>load<u32>(lengths);
    const valueLen = <usize>load<u32>(lengths + 4);
    lengths += 8;
    unchecked((items[i] = decodeUtf8Lossy(data, nameLen)));
    data += nameLen + 1 + valueLen + 1;
  }
  return items;
}
