/**
 * UTF-8 → string decoding at the ABI boundary.
 *
 * Why not `String.UTF8.decodeUnsafe`: AssemblyScript's decoder (std/assembly/string.ts) does not validate.
 * It maps overlong forms to the character they spell (`C0 AF` → "/"), decodes encoded surrogates, and drops a
 * truncated tail. For a proxy that is a security bug: a policy matching on the decoded string would see
 * "/admin" where the upstream receives other bytes. The SDK's decoder (util/utf8.ts `decodeUtf8LossyUnsafe`)
 * follows the WHATWG Encoding Standard "UTF-8 decode" with replacement: every ill-formed subsequence becomes one
 * U+FFFD and a byte that cannot continue a sequence is reprocessed, so no non-ASCII input ever decodes to ASCII
 * and nothing traps.
 */

import { decodeUtf8LossyUnsafe } from "../util/utf8";

/**
 * Decodes `size` bytes at `ptr` as UTF-8, replacing ill-formed sequences with U+FFFD (WHATWG "maximal
 * subpart" rule). Valid UTF-8 round-trips exactly.
 */
export function decodeUtf8Lossy(ptr: usize, size: usize): string {
  return decodeUtf8LossyUnsafe(ptr, size);
}

/** Decodes a whole ArrayBuffer with {@link decodeUtf8Lossy}. */
export function decodeUtf8LossyBuffer(buffer: ArrayBuffer): string {
  return decodeUtf8LossyUnsafe(changetype<usize>(buffer), <usize>buffer.byteLength);
}
