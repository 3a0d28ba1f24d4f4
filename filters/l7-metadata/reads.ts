// The recorder's host reads within one callback: each header map fetched at most once, each property path at
// most once, and values decoded straight from the host's blocks (no copy, no pair objects for headers the
// configuration does not need). Every host call costs Envoy 1–1.5 µs (BENCHMARKS.md, recorder paragraph), and
// the SDK's `pairs()` builds two strings and an object per header, most of which the recorder never looks at.
//
// Validity: a fetched block stays allocated until `release()` (or `useHeaders` for another map), which the
// stream calls before its callback returns, so no host block outlives the callback. Values are cached for one
// callback only: a value read in an earlier phase may have changed since (filter state written by a later
// filter, `response.*` completed by on_log), so caching across callbacks would change what is recorded.

import { HeaderMap, Status, headerPairsBlock, pairValues, requestHeaders } from "../../assembly";
import { proxy_get_property } from "../../assembly/abi/imports";
import { RETURN_0, RETURN_1, reserveStaging } from "../../assembly/abi/memory";
import { decodeList } from "../../assembly/codec/header-map";
import { propertyPathSize, writePropertyPath } from "../../assembly/codec/property-path";
import { decodeUtf8Lossy } from "../../assembly/codec/text";

/** Per-callback host reads of one HTTP stream (see the file comment). */
export class HostReads {
  private headerMap: HeaderMap = requestHeaders;
  /** Read the map once with `get_header_map_pairs` (true) or each header with `get_header_map_value`. */
  private headersAsPairs: bool = false;
  private pairsFetched: bool = false;
  /** The serialized pairs block (`headerPairsBlock`: owned until released; 0 = no pairs). */
  private pairsPtr: usize = 0;

  /** Property paths read in this callback, and their host blocks (0 with found = false: absent). */
  private propertyPaths: Array<string[]> = new Array<string[]>();
  private propertyPtrs: Array<usize> = new Array<usize>();
  private propertySizes: Array<usize> = new Array<usize>();
  private propertyFound: Array<bool> = new Array<bool>();
  /** The 8-byte value of the last successful {@link eightBytes} call. */
  lastEightBytes: u64 = 0;

  /**
   * Selects the header map the following lookups read. `asPairs`: the phase looks up several headers (or needs
   * repeated values), so one `get_header_map_pairs` serves them all; else each lookup is one
   * `get_header_map_value`, cheaper in Envoy than serializing the whole map for a single header.
   */
  useHeaders(map: HeaderMap, asPairs: bool): void {
    this.releasePairs();
    this.headerMap = map;
    this.headersAsPairs = asPairs;
  }

  /**
   * The FIRST value of header `name` (lower-case), as `get_header_map_value` returns it (Envoy's maps hold
   * lower-case names and the lookup sees only the first of repeated entries), or null when absent or
   * unavailable.
   */
  firstHeader(name: string): string | null {
    if (!this.headersAsPairs) return this.headerMap.get(name);
    const values = pairValues(this.pairs(), name);
    return values.length > 0 ? unchecked(values[0]) : null;
  }

  /**
   * Every value of header `name` (lower-case) in map order, comma-joined (as Envoy's `request.headers`
   * attribute joins them), or null when absent. Always from the pairs (`get_header_map_value` sees only the
   * first value).
   */
  joinedHeader(name: string): string | null {
    const values = pairValues(this.pairs(), name);
    return values.length > 0 ? values.join(",") : null;
  }

  /** The selected map's serialized pairs (fetched on first use), 0 when empty, unavailable or malformed. */
  private pairs(): usize {
    if (!this.pairsFetched) {
      this.pairsFetched = true;
      this.pairsPtr = headerPairsBlock(this.headerMap.mapType);
    }
    return this.pairsPtr;
  }

  private releasePairs(): void {
    if (this.pairsPtr != 0) heap.free(this.pairsPtr);
    this.pairsPtr = 0;
    this.pairsFetched = false;
  }

  // -- properties ------------------------------------------------------------------------------------------

  /**
   * Position of `path` in this callback's property cache, fetching it on first use. A path segment containing
   * NUL cannot be encoded: it reads as absent, without a host call (as the SDK's getters do).
   */
  private property(path: string[]): i32 {
    const paths = this.propertyPaths;
    for (let i = 0, n = paths.length; i < n; i++) {
      if (samePath(unchecked(paths[i]), path)) return i;
    }
    let found = false;
    let ptr: usize = 0;
    let size: usize = 0;
    const encodedSize = propertyPathSize(path);
    if (encodedSize >= 0) {
      const area = reserveStaging(<usize>encodedSize);
      writePropertyPath(path, area);
      if (proxy_get_property(area, <usize>encodedSize, RETURN_0, RETURN_1) == Status.Ok) {
        found = true;
        ptr = load<usize>(RETURN_0);
        size = load<usize>(RETURN_1);
      }
    }
    paths.push(path);
    this.propertyPtrs.push(ptr);
    this.propertySizes.push(size);
    this.propertyFound.push(found);
    return paths.length - 1;
  }

  /** A string property (invalid UTF-8 → U+FFFD), "" when present and empty, or null. */
  string(path: string[]): string | null {
    const i = this.property(path);
    if (!unchecked(this.propertyFound[i])) return null;
    return decodeUtf8Lossy(unchecked(this.propertyPtrs[i]), unchecked(this.propertySizes[i]));
  }

  /**
   * Whether property `path` holds exactly 8 bytes (int64, uint64, double, timestamp or duration, little
   * endian); the value is then in {@link lastEightBytes}.
   */
  eightBytes(path: string[]): bool {
    const i = this.property(path);
    if (!unchecked(this.propertyFound[i]) || unchecked(this.propertySizes[i]) != 8) return false;
    this.lastEightBytes = load<u64>(unchecked(this.propertyPtrs[i]));
    return true;
  }

  /** A bool property (exactly 1 byte): 1 true, 0 false, -1 absent or another size. */
  bool(path: string[]): i32 {
    const i = this.property(path);
    if (!unchecked(this.propertyFound[i]) || unchecked(this.propertySizes[i]) != 1) return -1;
    return load<u8>(unchecked(this.propertyPtrs[i])) != 0 ? 1 : 0;
  }

  /** A list property's elements, or null when absent or not a serialized list. */
  list(path: string[]): string[] | null {
    const i = this.property(path);
    if (!unchecked(this.propertyFound[i])) return null;
    return decodeList(unchecked(this.propertyPtrs[i]), unchecked(this.propertySizes[i]));
  }

  /** Frees every host block of this callback and forgets the cached values. Call before the callback returns. */
  release(): void {
    this.releasePairs();
    const ptrs = this.propertyPtrs;
    for (let i = 0, n = ptrs.length; i < n; i++) {
      const ptr = unchecked(ptrs[i]);
      if (ptr != 0) heap.free(ptr);
    }
    this.propertyPaths.length = 0;
    ptrs.length = 0;
    this.propertySizes.length = 0;
    this.propertyFound.length = 0;
  }
}

function samePath(a: string[], b: string[]): bool {
  if (a === b) return true;
  const n = a.length;
  if (n != b.length) return false;
  for (let i = 0; i < n; i++) {
    if (unchecked(a[i]) != unchecked(b[i])) return false;
  }
  return true;
}
