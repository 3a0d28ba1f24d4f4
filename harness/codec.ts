/**
 * The two binary codecs of the proxy-wasm ABI, host side. The SDK has its own implementation in
 * `assembly/codec/`; both are pinned by the byte-annotated fixtures in `test/golden/`.
 *
 * Strings here are *byte strings*: one JS char per byte (ISO-8859-1 / Node's `latin1`), so header names and
 * values round-trip any byte sequence exactly, as Envoy's `std::string` does. Convert at the test-facing API
 * with {@link toByteString} / {@link fromByteString} (both have an ASCII fast path).
 */
import { Buffer } from "node:buffer";

/** One header (or metadata) entry as byte strings: `[name, value]`. */
export type BytePair = [string, string];

/**
 * cpp-host `include/proxy-wasm/limits.h`: a pairs buffer from the guest larger than this is treated as an empty
 * map (`PROXY_WASM_HOST_PAIRS_MAX_BYTES`).
 */
export const PAIRS_MAX_BYTES = 1024 * 1024;
/** cpp-host `limits.h` `PROXY_WASM_HOST_PAIRS_MAX_COUNT`. */
export const PAIRS_MAX_COUNT = 1024;

const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** UTF-8 text (what a test writes) → byte string. */
export function toByteString(text: string): string {
  if (ASCII_ONLY.test(text)) return text;
  return Buffer.from(text, "utf8").toString("latin1");
}

/** Byte string → UTF-8 text (what a test reads); invalid UTF-8 becomes U+FFFD. */
export function fromByteString(bytes: string): string {
  if (ASCII_ONLY.test(bytes)) return bytes;
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/** Byte string → bytes. */
export function byteStringToBytes(bytes: string): Uint8Array {
  return Buffer.from(bytes, "latin1");
}

/** Bytes → byte string. */
export function bytesToByteString(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1", start, end);
}

/**
 * Size of the serialized form (spec "Serialization"; cpp-host `PairsUtil::pairsSize`):
 * `4 + Σ (8 + name + 1 + value + 1)`.
 */
export function pairsByteSize(pairs: readonly BytePair[]): number {
  let size = 4;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    size += 10 + p[0].length + p[1].length;
  }
  return size;
}

/**
 * Writes `pairs` at `offset` of `target` (which must have {@link pairsByteSize} bytes there): u32 LE count, then
 * `(name_len, value_len)` u32 LE per pair, then each name and value followed by a NUL (cpp-host
 * `PairsUtil::marshalPairs`).
 */
export function writePairs(target: Buffer, offset: number, pairs: readonly BytePair[]): void {
  const n = pairs.length;
  target.writeUInt32LE(n, offset);
  let sizes = offset + 4;
  let data = offset + 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const p = pairs[i]!;
    const name = p[0];
    const value = p[1];
    target.writeUInt32LE(name.length, sizes);
    target.writeUInt32LE(value.length, sizes + 4);
    sizes += 8;
    if (name.length > 0) target.write(name, data, "latin1");
    data += name.length;
    target[data++] = 0;
    if (value.length > 0) target.write(value, data, "latin1");
    data += value.length;
    target[data++] = 0;
  }
}

/** Serializes `pairs` into a fresh buffer. */
export function encodePairs(pairs: readonly BytePair[]): Buffer {
  const out = Buffer.allocUnsafe(pairsByteSize(pairs));
  writePairs(out, 0, pairs);
  return out;
}

/**
 * Parses a pairs buffer the way cpp-host `PairsUtil::toPairs` does: strict. A wrong total length, a missing NUL,
 * more than {@link PAIRS_MAX_COUNT} pairs, more than {@link PAIRS_MAX_BYTES} bytes, or fewer than 4 bytes all give
 * an **empty** list (Envoy reports no error: host-behaviour.md A.2, F.18). `size` 0 or 1 is therefore empty too.
 */
export function decodePairs(source: Uint8Array, offset = 0, size = source.length - offset): BytePair[] {
  if (size > PAIRS_MAX_BYTES || size < 4) return [];
  const buf = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  const end = offset + size;
  const count = buf.readUInt32LE(offset);
  if (count > PAIRS_MAX_COUNT) return [];
  let pos = offset + 4;
  if (pos + count * 8 > end) return [];
  const lengths = new Array<number>(count * 2);
  for (let i = 0; i < count * 2; i++) {
    lengths[i] = buf.readUInt32LE(pos);
    pos += 4;
  }
  const pairs = new Array<BytePair>(count);
  for (let i = 0; i < count; i++) {
    const nameLen = lengths[2 * i]!;
    const valueLen = lengths[2 * i + 1]!;
    if (pos + nameLen + 1 > end) return [];
    const name = buf.toString("latin1", pos, pos + nameLen);
    pos += nameLen;
    if (buf[pos++] !== 0) return [];
    if (pos + valueLen + 1 > end) return [];
    const value = buf.toString("latin1", pos, pos + valueLen);
    pos += valueLen;
    if (buf[pos++] !== 0) return [];
    pairs[i] = [name, value];
  }
  if (pos !== end) return [];
  return pairs;
}

/**
 * Serializes a property path: segments joined with a single NUL, **no trailing NUL** (Envoy `context.cc
 * getProperty`; Rust `serialize_property_path`; Go `SerializePropertyPath`). An empty path is 0 bytes.
 */
export function encodePropertyPath(segments: readonly string[]): Buffer {
  return Buffer.from(segments.map(toByteString).join("\0"), "latin1");
}

/**
 * Splits a property path exactly as Envoy's `Context::getProperty` loop does: on each NUL, stopping when the
 * cursor reaches the end. So `"a\0b"` → `["a","b"]`, a trailing NUL adds nothing (`"a\0"` → `["a"]`), a leading NUL
 * gives an empty first segment, `"a\0\0b"` has an empty middle segment, and an empty path has no segments.
 */
export function decodePropertyPath(path: string): string[] {
  const segments: string[] = [];
  let start = 0;
  while (start < path.length) {
    let end = path.indexOf("\0", start);
    if (end === -1) end = path.length;
    segments.push(path.slice(start, end));
    start = end + 1;
  }
  return segments;
}
