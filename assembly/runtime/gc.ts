/**
 * When garbage is collected.
 *
 * Modules are built with `--runtime minimal` (asconfig.json): the TLSF allocator plus a two-colour mark & sweep
 * collector that runs only when `__collect()` is called. It marks from the globals alone (and whatever they
 * reach), never from Wasm locals (AssemblyScript std/assembly/rt/README.md "TCMS", rt/tcms.ts), so it may run
 * only when no managed object is referenced from a local alone. In proxy-wasm every callback returns to the host
 * with an empty Wasm stack, so the end of an exported callback is such a safe point: what a filter keeps lives in
 * its contexts, which the dispatcher's context map (a global) holds. The exports in abi/exports.ts end with
 * {@link atSafePoint}; nothing else calls `__collect`, and the allocator exports (the only code the host runs
 * inside a hostcall) never do.
 *
 * Why not `--runtime incremental`: it maintains a shadow stack of every managed local, which instruments every
 * function holding a reference: the same modules are 45–85% larger with it (docs/SIZE.md has the numbers).
 *
 * A collection is due at a safe point when, since the previous one,
 * - the heap handed out {@link collectionThreshold} bytes: `max(64 KiB, half of linear memory)`. Tying it to
 *   the memory size keeps the marking work per allocated byte bounded (a 500-policy ABAC configuration is a
 *   large live set: one collection takes about a millisecond) and keeps memory within a small multiple of the
 *   live data (if the live data outgrows half of memory, memory grows and the threshold with it);
 * - linear memory grew (the heap ran out of free blocks: reclaim before it has to grow again); or
 * - {@link MAX_CALLBACKS_BETWEEN_COLLECTIONS} callbacks ran: a backstop for a module built without the
 *   allocation meter below.
 *
 * The meter: `--use __alloc=proxyWasmAlloc` (asconfig.json) routes every heap allocation — objects, strings,
 * buffers and `heap.alloc` blocks (what the host writes through the allocator exports) — through
 * {@link proxyWasmAlloc}, which counts the bytes and calls TLSF's `__alloc`. Unmanaged blocks are freed
 * explicitly by the SDK, never by the collector; the leak tests catch a missing free.
 */

import { __alloc as tlsfAlloc } from "rt/tlsf";

/** Collect at least this often, even when the heap hands out few bytes (or the meter is not configured). */
// @ts-ignore: decorator
@inline const MAX_CALLBACKS_BETWEEN_COLLECTIONS: u32 = 100000;
/** The smallest allocation volume between collections. */
// @ts-ignore: decorator
@inline const MIN_BYTES_BETWEEN_COLLECTIONS: usize = 64 << 10;

let bytesSinceCollection: usize = 0;
let callbacksSinceCollection: u32 = 0;
let pagesAtLastCollection: i32 = 0;

/**
 * The allocator every heap allocation goes through (`--use __alloc=proxyWasmAlloc`): counts `size` towards the
 * next collection, then allocates with TLSF. Never call it directly.
 */
// @ts-ignore: decorator
@global @unsafe function proxyWasmAlloc(size: usize): usize {
  bytesSinceCollection += size;
  return tlsfAlloc(size);
}

/** Allocation volume (bytes) after which the next safe point collects. */
// @ts-ignore: decorator
@inline function collectionThreshold(): usize {
  const half = <usize>memory.size() << 15;
  return half > MIN_BYTES_BETWEEN_COLLECTIONS ? half : MIN_BYTES_BETWEEN_COLLECTIONS;
}

/**
 * Collects garbage if a collection is due (see the file comment). Call it only at the end of an exported
 * callback, when no managed reference lives in a Wasm local. A no-op unless the module is built with
 * `--runtime minimal` (the incremental runtime collects by itself).
 */
export function atSafePoint(): void {
  if (ASC_RUNTIME != 1 /* Runtime.Minimal */) return;
  if (
    bytesSinceCollection < collectionThreshold() &&
    memory.size() == pagesAtLastCollection &&
    ++callbacksSinceCollection < MAX_CALLBACKS_BETWEEN_COLLECTIONS
  ) {
    return;
  }
  __collect();
  bytesSinceCollection = 0;
  callbacksSinceCollection = 0;
  pagesAtLastCollection = memory.size();
}

/** {@link atSafePoint}, then `result`: for callbacks that return a value. */
// @ts-ignore: decorator
@inline export function resultAtSafePoint<T>(result: T): T {
  atSafePoint();
  return result;
}
