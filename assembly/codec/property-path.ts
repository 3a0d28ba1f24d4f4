/**
 * Property path encoding: the segments as UTF-8 joined by a single 0x00, with no trailing NUL
 * (`["request", "headers", "user-agent"]` → `request\0headers\0user-agent`). Envoy splits the path on NUL
 * (`context.cc getProperty`), so a segment that itself contains NUL cannot be expressed and is rejected.
 * An empty path has size 0. Pinned by `test/golden/property-path.yaml`.
 */

import { encodeUtf8Unsafe, utf8Length } from "../util/utf8";

/** Encoded size of `path`, or -1 when a segment contains a NUL character. */
export function propertyPathSize(path: string[]): isize {
  const count = path.length;
  if (count == 0) return 0;
  let size: isize = count - 1; // separators
  for (let i = 0; i < count; i++) {
    const segment = unchecked(path[i]);
    if (segment.indexOf("\0") >= 0) return -1;
    size += utf8Length(segment);
  }
  return size;
}

/**
 * Writes `path` to `dest` (which must hold {@link propertyPathSize} bytes) and returns the bytes written.
 * Lone surrogates become U+FFFD.
 */
export function writePropertyPath(path: string[], dest: usize): usize {
  let pos = dest;
  for (let i = 0, count = path.length; i < count; i++) {
    if (i > 0) {
      store<u8>(pos, 0);
      pos += 1;
    }
    const segment = unchecked(path[i]);
    pos += encodeUtf8Unsafe(changetype<usize>(segment), <usize>segment.length, pos);
  }
  return pos - dest;
}

/** Encodes `path` into a new buffer; null when a segment contains NUL. */
export function encodePropertyPath(path: string[]): ArrayBuffer | null {
  const size = propertyPathSize(path);
  if (size < 0) return null;
  const out = new ArrayBuffer(<i32>size);
  writePropertyPath(path, changetype<usize>(out));
  return out;
}
