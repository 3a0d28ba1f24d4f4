/**
 * Header maps: HTTP request/response headers and trailers, gRPC metadata, HTTP-call response headers and
 * trailers.
 *
 * Envoy semantics (host-behaviour.md A.3 #10–16, F.16–F.18): keys are lower-cased on lookup and on write;
 * `get` sees only the first value of a repeated header while `pairs` lists each one; `replace` is an
 * upsert; removing an absent key is OK; `size` is a byte count. Availability: request headers in
 * `onRequestHeaders` and while the request is paused from it (likewise response headers and trailers), all
 * three readable in `onLog`; outside those windows Envoy answers BAD_ARGUMENT (NOT_FOUND in `onLog`) and
 * `pairs` an empty map, which these wrappers report as null / empty / -1.
 *
 * Safety: `add`, `replace` and `setPairs` refuse (BAD_ARGUMENT, nothing sent) a name that is empty or a
 * name or value containing CR, LF or NUL, so a filter copying client-controlled text into a header cannot
 * split a response. `setPairs` also refuses a map beyond the host's parser limits (1024 pairs, 1 MiB),
 * which the host would otherwise read as an empty map and so remove every header.
 */

import {
  proxy_add_header_map_value,
  proxy_get_header_map_pairs,
  proxy_get_header_map_size,
  proxy_get_header_map_value,
  proxy_remove_header_map_value,
  proxy_replace_header_map_value,
  proxy_set_header_map_pairs,
} from "../abi/imports";
import { MapType, Status } from "../abi/enums";
import {
  RETURN_0,
  RETURN_1,
  discardBlock,
  stageStrings,
  stagedLen0,
  stagedLen1,
  stagedPtr0,
  stagedPtr1,
  takeBuffer,
  takeString,
} from "../abi/memory";
import {
  HOST_PAIRS_MAX_BYTES,
  HOST_PAIRS_MAX_COUNT,
  HeaderPair,
  HeaderPairBytes,
  decodeHeaderMap,
  decodeHeaderMapBytes,
  encodeHeaderMap,
  encodeHeaderMapBytes,
  validateHeaderMap,
} from "../codec/header-map";

/** True when `text` contains no CR, LF or NUL (and, if `allowEmpty` is false, is not empty). */
export function isSafeHeaderText(text: string, allowEmpty: bool): bool {
  const length = text.length;
  if (length == 0) return allowEmpty;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x0d || c == 0x0a || c == 0) return false;
  }
  return true;
}

function isSafeHeaderBytes(bytes: ArrayBuffer, allowEmpty: bool): bool {
  const length = bytes.byteLength;
  if (length == 0) return allowEmpty;
  const base = changetype<usize>(bytes);
  for (let i = 0; i < length; i++) {
    const c = load<u8>(base + <usize>i);
    if (c == 0x0d || c == 0x0a || c == 0) return false;
  }
  return true;
}

/**
 * ASCII lower-casing (header names are ASCII tokens), allocating only when `text` has an upper-case letter.
 * `String#toLowerCase` would pull Unicode case tables (~8 KB) into every module.
 */
export function asciiLower(text: string): string {
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) break;
    i++;
  }
  if (i == length) return text;
  const out = changetype<string>(__new(<usize>length << 1, idof<string>()));
  memory.copy(changetype<usize>(out), changetype<usize>(text), <usize>length << 1);
  for (; i < length; i++) {
    const c = load<u16>(changetype<usize>(out) + (<usize>i << 1));
    if (c >= 0x41 && c <= 0x5a) store<u16>(changetype<usize>(out) + (<usize>i << 1), c + 0x20);
  }
  return out;
}

/**
 * Map `mapType` as the host serialized it, undecoded: for reading a few headers out of many without a string
 * per header. Read it with `pairValues(block, name)`, and free it with `heap.free(block)` before the callback
 * returns (it is the module's memory, never collected). 0 when the map is empty, unavailable or malformed
 * (nothing to free). Wraps `proxy_get_header_map_pairs`.
 */
export function headerPairsBlock(mapType: MapType): usize {
  if (proxy_get_header_map_pairs(<u32>mapType, RETURN_0, RETURN_1) != Status.Ok) return 0;
  const block = load<usize>(RETURN_0);
  if (validateHeaderMap(block, load<usize>(RETURN_1)) > 0) return block;
  if (block != 0) heap.free(block);
  return 0;
}

/** One host header map. Instances are stateless views; the host decides which stream they refer to. */
export class HeaderMap {
  constructor(public readonly mapType: MapType) {}

  /**
   * The first value of header `name` (case-insensitive), "" for a header present with an empty value, or
   * null when it is absent or the map is unavailable in this callback. Never traps. Invalid UTF-8 in the
   * value becomes U+FFFD; use {@link getBytes} for the exact bytes. Wraps `proxy_get_header_map_value`.
   */
  get(name: string): string | null {
    stageStrings(name);
    const status = proxy_get_header_map_value(<u32>this.mapType, stagedPtr0, stagedLen0, RETURN_0, RETURN_1);
    if (status != Status.Ok) return null;
    return takeString(RETURN_0, RETURN_1);
  }

  /** The first value's exact bytes, or null (see {@link get}). Wraps `proxy_get_header_map_value`. */
  getBytes(name: string): ArrayBuffer | null {
    stageStrings(name);
    const status = proxy_get_header_map_value(<u32>this.mapType, stagedPtr0, stagedLen0, RETURN_0, RETURN_1);
    if (status != Status.Ok) return null;
    return takeBuffer(RETURN_0, RETURN_1);
  }

  /** Whether header `name` is present (with any value). Wraps `proxy_get_header_map_value`. */
  has(name: string): bool {
    stageStrings(name);
    const status = proxy_get_header_map_value(<u32>this.mapType, stagedPtr0, stagedLen0, RETURN_0, RETURN_1);
    if (status != Status.Ok) return false;
    discardBlock(RETURN_0);
    return true;
  }

  /**
   * Every value of header `name` (case-insensitive) in order, e.g. both `set-cookie` lines; empty when absent
   * or unavailable. Wraps `proxy_get_header_map_pairs`.
   */
  getAll(name: string): string[] {
    const key = asciiLower(name);
    const all = this.pairs();
    const values = new Array<string>();
    for (let i = 0, n = all.length; i < n; i++) {
      const pair = unchecked(all[i]);
      if (pair.name == key) values.push(pair.value);
    }
    return values;
  }

  /**
   * All entries in order, repeated headers as separate pairs (pseudo-headers like `:path` included). Empty
   * when the map is empty or unavailable. Invalid UTF-8 becomes U+FFFD; see {@link pairsBytes}.
   * Wraps `proxy_get_header_map_pairs`.
   */
  pairs(): HeaderPair[] {
    if (proxy_get_header_map_pairs(<u32>this.mapType, RETURN_0, RETURN_1) != Status.Ok) return [];
    const ptr = load<usize>(RETURN_0);
    const pairs = decodeHeaderMap(ptr, load<usize>(RETURN_1));
    if (ptr != 0) heap.free(ptr);
    return pairs !== null ? pairs : [];
  }

  /** All entries as exact bytes; see {@link pairs}. Wraps `proxy_get_header_map_pairs`. */
  pairsBytes(): HeaderPairBytes[] {
    if (proxy_get_header_map_pairs(<u32>this.mapType, RETURN_0, RETURN_1) != Status.Ok) return [];
    const ptr = load<usize>(RETURN_0);
    const pairs = decodeHeaderMapBytes(ptr, load<usize>(RETURN_1));
    if (ptr != 0) heap.free(ptr);
    return pairs !== null ? pairs : [];
  }

  /**
   * Replaces the whole map with `pairs` (Envoy removes every entry, then adds each pair with its key
   * lower-cased). BAD_ARGUMENT without calling the host for an unsafe name/value or a map beyond the host
   * limits (see the file comment). Wraps `proxy_set_header_map_pairs`.
   */
  setPairs(pairs: HeaderPair[]): Status {
    if (pairs.length > HOST_PAIRS_MAX_COUNT) return Status.BadArgument;
    for (let i = 0, n = pairs.length; i < n; i++) {
      const pair = unchecked(pairs[i]);
      if (!isSafeHeaderText(pair.name, false) || !isSafeHeaderText(pair.value, true)) return Status.BadArgument;
    }
    const encoded = encodeHeaderMap(pairs);
    if (<usize>encoded.byteLength > HOST_PAIRS_MAX_BYTES) return Status.BadArgument;
    return <Status>proxy_set_header_map_pairs(<u32>this.mapType, changetype<usize>(encoded), <usize>encoded.byteLength);
  }

  /** {@link setPairs} with raw-byte names and values. Wraps `proxy_set_header_map_pairs`. */
  setPairsBytes(pairs: HeaderPairBytes[]): Status {
    if (pairs.length > HOST_PAIRS_MAX_COUNT) return Status.BadArgument;
    for (let i = 0, n = pairs.length; i < n; i++) {
      const pair = unchecked(pairs[i]);
      if (!isSafeHeaderBytes(pair.name, false) || !isSafeHeaderBytes(pair.value, true)) return Status.BadArgument;
    }
    const encoded = encodeHeaderMapBytes(pairs);
    if (<usize>encoded.byteLength > HOST_PAIRS_MAX_BYTES) return Status.BadArgument;
    return <Status>proxy_set_header_map_pairs(<u32>this.mapType, changetype<usize>(encoded), <usize>encoded.byteLength);
  }

  /**
   * Appends `name: value`, keeping existing values (so a header can repeat). BAD_ARGUMENT for an unsafe name
   * or value. Wraps `proxy_add_header_map_value`.
   */
  add(name: string, value: string): Status {
    if (!isSafeHeaderText(name, false) || !isSafeHeaderText(value, true)) return Status.BadArgument;
    stageStrings(name, value);
    return <Status>proxy_add_header_map_value(<u32>this.mapType, stagedPtr0, stagedLen0, stagedPtr1, stagedLen1);
  }

  /**
   * Sets `name` to the single value `value`, replacing every existing value or adding the header when absent
   * (an upsert). BAD_ARGUMENT for an unsafe name or value. Wraps `proxy_replace_header_map_value`.
   */
  replace(name: string, value: string): Status {
    if (!isSafeHeaderText(name, false) || !isSafeHeaderText(value, true)) return Status.BadArgument;
    stageStrings(name, value);
    return <Status>proxy_replace_header_map_value(<u32>this.mapType, stagedPtr0, stagedLen0, stagedPtr1, stagedLen1);
  }

  /** Removes every value of `name`; OK when it was absent. Wraps `proxy_remove_header_map_value`. */
  remove(name: string): Status {
    stageStrings(name);
    return <Status>proxy_remove_header_map_value(<u32>this.mapType, stagedPtr0, stagedLen0);
  }

  /**
   * The map's size as the host reports it (Envoy: the byte size of the headers, not the number of entries),
   * or -1 when unavailable. Wraps `proxy_get_header_map_size`.
   */
  byteSize(): i64 {
    return proxy_get_header_map_size(<u32>this.mapType, RETURN_0) == Status.Ok ? <i64>load<u32>(RETURN_0) : -1;
  }
}

/** Request headers of the current HTTP stream (map 0). */
// @ts-ignore: decorator
@lazy export const requestHeaders = new HeaderMap(MapType.HttpRequestHeaders);
/** Request trailers of the current HTTP stream (map 1). */
// @ts-ignore: decorator
@lazy export const requestTrailers = new HeaderMap(MapType.HttpRequestTrailers);
/** Response headers of the current HTTP stream (map 2). */
// @ts-ignore: decorator
@lazy export const responseHeaders = new HeaderMap(MapType.HttpResponseHeaders);
/** Response trailers of the current HTTP stream (map 3). */
// @ts-ignore: decorator
@lazy export const responseTrailers = new HeaderMap(MapType.HttpResponseTrailers);
/** Initial metadata of a gRPC call; only in `onGrpcReceiveInitialMetadata` (map 4). */
// @ts-ignore: decorator
@lazy export const grpcInitialMetadata = new HeaderMap(MapType.GrpcCallInitialMetadata);
/** Trailing metadata of a gRPC call; only in `onGrpcReceiveTrailingMetadata` (map 5). */
// @ts-ignore: decorator
@lazy export const grpcTrailingMetadata = new HeaderMap(MapType.GrpcCallTrailingMetadata);
/** Headers of an HTTP-call response (`:status` included); only in `onHttpCallResponse` (map 6). */
// @ts-ignore: decorator
@lazy export const httpCallResponseHeaders = new HeaderMap(MapType.HttpCallResponseHeaders);
/** Trailers of an HTTP-call response; only in `onHttpCallResponse` (map 7). */
// @ts-ignore: decorator
@lazy export const httpCallResponseTrailers = new HeaderMap(MapType.HttpCallResponseTrailers);
