/**
 * Memory hand-off between the host and the SDK.
 *
 * - The host allocates every value it returns by calling the module's allocator export (`malloc` or
 *   `proxy_on_memory_allocate`, both below; cpp-host looks for `malloc` first) and writes `(ptr, size)` into
 *   out-pointers. The SDK copies that block into a managed `ArrayBuffer`/`String` and frees it in the same
 *   wrapper, so no error path leaks. A zero-length value arrives as `(0, 0)` without an allocator call
 *   (cpp-host `copyToPointerSize`).
 * - Out-pointers live in one static area ({@link RETURN_0} …). That is safe because hostcalls never overlap:
 *   Envoy defers every callback it could trigger until the current VM call returns, and the allocator, the
 *   only code the host runs inside a hostcall, does not touch the area.
 * - Strings passed to the host are encoded as UTF-8 into one reusable heap block ({@link stageStrings}), so
 *   header and property operations create no garbage.
 */

import { decodeUtf8Lossy } from "../codec/text";
import { encodeUtf8Unsafe } from "../util/utf8";
export { encodeUtf8 } from "../util/utf8";

// ---------------------------------------------------------------------------------------------------------
// Allocator exports

/**
 * Upper bound of one host-requested allocation: cpp-host caps the VM's memory at 1 GiB, and TLSF aborts on
 * larger blocks instead of failing, so a bigger request gets 0 (the hostcall then returns
 * INVALID_MEMORY_ACCESS) rather than a trap.
 */
// @ts-ignore: decorator
@inline const MAX_HOST_ALLOCATION: usize = 1 << 29;

/**
 * The allocator the host calls to hand a value to the module (proxy-wasm spec "Memory management").
 * Returns unmanaged memory from the AssemblyScript heap; the SDK frees it after copying.
 * During this call the host allows only `proxy_log`, `fd_write`, `clock_time_get` and `poll_oneoff`.
 */
export function proxy_on_memory_allocate(memory_size: usize): usize {
  if (memory_size > MAX_HOST_ALLOCATION) return 0;
  return heap.alloc(memory_size);
}

/** The same allocator under the legacy name that cpp-host looks up first. */
export function malloc(memory_size: usize): usize {
  return proxy_on_memory_allocate(memory_size);
}

// ---------------------------------------------------------------------------------------------------------
// Out-pointers

const RETURN_AREA: usize = memory.data(16, 8);
/** First 32-bit out-pointer slot (data pointer, id, token or code). */
export const RETURN_0: usize = RETURN_AREA;
/** Second 32-bit out-pointer slot (usually a size). */
export const RETURN_1: usize = RETURN_AREA + 4;
/** Third 32-bit out-pointer slot (a CAS value or a message size). */
export const RETURN_2: usize = RETURN_AREA + 8;
/** A 64-bit out-pointer slot (time, metric value); overlaps RETURN_2, so never used together with it. */
export const RETURN_U64: usize = RETURN_AREA + 8;

/**
 * Copies the host block whose `(ptr, size)` the host wrote into `dataSlot`/`sizeSlot` into a new
 * ArrayBuffer and frees the block. `(0, 0)` gives an empty buffer.
 */
export function takeBuffer(dataSlot: usize, sizeSlot: usize): ArrayBuffer {
  const ptr = load<usize>(dataSlot);
  const size = load<usize>(sizeSlot);
  const out = new ArrayBuffer(<i32>size);
  if (size != 0) memory.copy(changetype<usize>(out), ptr, size);
  if (ptr != 0) heap.free(ptr);
  return out;
}

/**
 * Decodes the host block in `dataSlot`/`sizeSlot` as UTF-8 (invalid sequences become U+FFFD, see
 * `codec/text.ts`) and frees it.
 */
export function takeString(dataSlot: usize, sizeSlot: usize): string {
  const ptr = load<usize>(dataSlot);
  const size = load<usize>(sizeSlot);
  const out = decodeUtf8Lossy(ptr, size);
  if (ptr != 0) heap.free(ptr);
  return out;
}

/** Frees the host block in `dataSlot` without reading it (for results the caller does not want). */
export function discardBlock(dataSlot: usize): void {
  const ptr = load<usize>(dataSlot);
  if (ptr != 0) heap.free(ptr);
}

// ---------------------------------------------------------------------------------------------------------
// Staging strings for the host

/** Blocks up to this size are kept for reuse; a larger one is replaced at the next smaller staging. */
// @ts-ignore: decorator
@inline const STAGING_RETAIN_LIMIT: usize = 16384;

let stagingBlock: usize = 0;
let stagingCapacity: usize = 0;

/** Pointer to the first staged string's UTF-8 bytes; valid until the next staging call. */
export let stagedPtr0: usize = 0;
/** Byte length of the first staged string. */
export let stagedLen0: usize = 0;
/** Pointer to the second staged string's UTF-8 bytes. */
export let stagedPtr1: usize = 0;
/** Byte length of the second staged string. */
export let stagedLen1: usize = 0;

/**
 * Returns the staging block, grown to at least `size` bytes, for callers that encode something other than
 * plain strings into it (property paths). Valid until the next staging call.
 */
export function reserveStaging(size: usize): usize {
  if (size > stagingCapacity || (stagingCapacity > STAGING_RETAIN_LIMIT && size <= STAGING_RETAIN_LIMIT)) {
    if (stagingBlock != 0) heap.free(stagingBlock);
    const capacity = size < 256 ? <usize>256 : size;
    stagingBlock = heap.alloc(capacity);
    stagingCapacity = capacity;
  }
  return stagingBlock;
}

/**
 * Encodes `first` (and `second`, when given) as UTF-8 into the staging block: read the results from
 * {@link stagedPtr0}/{@link stagedLen0} and {@link stagedPtr1}/{@link stagedLen1}. Lone surrogates become
 * U+FFFD, so the host never receives invalid UTF-8. Valid until the next call.
 */
export function stageStrings(first: string, second: string | null = null): void {
  const firstUnits = <usize>first.length;
  const secondUnits = second === null ? <usize>0 : <usize>second.length;
  // One pass: room for the longest possible encoding (3 bytes per UTF-16 unit) instead of measuring first.
  const area = reserveStaging((firstUnits + secondUnits) * 3);
  stagedPtr0 = area;
  stagedLen0 = encodeUtf8Unsafe(changetype<usize>(first), firstUnits, area);
  stagedPtr1 = area + stagedLen0;
  stagedLen1 = second === null ? 0 : encodeUtf8Unsafe(changetype<usize>(second), secondUnits, stagedPtr1);
}

/** Address of an optional buffer's bytes (0 for null). */
// @ts-ignore: decorator
@inline export function bufferPtr(buffer: ArrayBuffer | null): usize {
  return buffer === null ? 0 : changetype<usize>(buffer);
}

/** Length of an optional buffer (0 for null). */
// @ts-ignore: decorator
@inline export function bufferLen(buffer: ArrayBuffer | null): usize {
  return buffer === null ? 0 : <usize>buffer.byteLength;
}
