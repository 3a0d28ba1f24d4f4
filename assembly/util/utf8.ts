/**
 * Strict UTF-8 validation and decoding, lossy decoding for logs, and encoding.
 *
 * Why not `String.UTF8.decode` from the AssemblyScript standard library (0.28): it does not validate at all.
 * It masks continuation bytes with `& 63` without checking their `10xxxxxx` tag (so a lead byte swallows
 * the next bytes, even an ASCII `"` or `/`), accepts overlong forms (`C0 AF` decodes to `/`), decodes
 * encoded surrogates (`ED A0 80` gives a lone U+D800), turns bytes F8..FF into garbage code points, and
 * silently drops a truncated sequence at the end of the input. Any of these lets two different byte
 * strings compare equal after decoding, which is how overlong-`/` path bypasses work. So the strict decoder
 * here validates first, and the lossy one ({@link decodeUtf8LossyUnsafe}) follows the WHATWG rules.
 *
 * Well-formed means RFC 3629 / Unicode Table 3-7: shortest form only, no surrogates (U+D800..U+DFFF),
 * nothing above U+10FFFF.
 */

import { decimalText } from "./text-buffer";

/** Why a byte sequence is not well-formed UTF-8 (see {@link utf8ErrorMessage}). */
export enum Utf8Error {
  None = 0,
  /** A continuation byte (80..BF) where a character should start, or a byte that never occurs (C0, C1, F5..FF). */
  InvalidByte = 1,
  /** The lead byte announces more bytes than follow, or a following byte is not a continuation byte. */
  Truncated = 2,
  /** A longer encoding than needed (E0 80..9F, F0 80..8F). */
  Overlong = 3,
  /** An encoded UTF-16 surrogate, U+D800..U+DFFF (ED A0..BF). */
  Surrogate = 4,
  /** A code point above U+10FFFF (F4 90..BF). */
  TooLarge = 5,
}

/** A short English description of `error`, for error messages. */
export function utf8ErrorMessage(error: Utf8Error): string {
  switch (error) {
    case Utf8Error.InvalidByte: return "invalid UTF-8 byte";
    case Utf8Error.Truncated: return "truncated UTF-8 sequence";
    case Utf8Error.Overlong: return "overlong UTF-8 encoding";
    case Utf8Error.Surrogate: return "UTF-8 encoded surrogate (U+D800..U+DFFF)";
    case Utf8Error.TooLarge: return "UTF-8 code point above U+10FFFF";
    default: return "valid UTF-8";
  }
}

// Results of the last utf8Step call. Globals rather than a result object: the step runs once per character
// in the hot loops below and must not allocate.
let stepCodePoint: u32 = 0;
let stepError: Utf8Error = Utf8Error.None;

/**
 * Examines the UTF-8 sequence that starts at `ptr` (which must be below `end`). Returns its length (1..4)
 * when it is well-formed, with the code point in `utf8StepCodePoint()`. Otherwise returns minus the length
 * of the maximal ill-formed subpart (the bytes one U+FFFD replaces, Unicode §3.9 / WHATWG "UTF-8 decode"),
 * with the reason in `utf8StepError()`. Never reads at or past `end`.
 */
// @ts-ignore: decorator
@unsafe
export function utf8Step(ptr: usize, end: usize): i32 {
  let b0 = <u32>load<u8>(ptr);
  if (b0 < 0x80) {
    stepCodePoint = b0;
    return 1;
  }
  let need: i32;
  let lower: u32 = 0x80;
  let upper: u32 = 0xBF;
  let lowError = Utf8Error.Truncated;
  let highError = Utf8Error.Truncated;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    b0 &= 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) { lower = 0xA0; lowError = Utf8Error.Overlong; }
    if (b0 == 0xED) { upper = 0x9F; highError = Utf8Error.Surrogate; }
    b0 &= 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) { lower = 0x90; lowError = Utf8Error.Overlong; }
    if (b0 == 0xF4) { upper = 0x8F; highError = Utf8Error.TooLarge; }
    b0 &= 0x07;
  } else {
    // 80..BF (continuation without a lead), C0/C1 (always overlong), F5..FF (beyond U+10FFFF).
    stepError = b0 == 0xC0 || b0 == 0xC1 ? Utf8Error.Overlong : Utf8Error.InvalidByte;
    return -1;
  }
  let codePoint = b0;
  let p = ptr + 1;
  for (let i = 0; i < need; i++) {
    if (p >= end) {
      stepError = Utf8Error.Truncated;
      return -(<i32>(p - ptr));
    }
    let b = <u32>load<u8>(p);
    // Only the first continuation byte has a narrowed range; the others are always 80..BF.
    if (b < lower || b > upper) {
      if (b >= 0x80 && b <= 0xBF) stepError = b < lower ? lowError : highError;
      else stepError = Utf8Error.Truncated;
      return -(<i32>(p - ptr));
    }
    lower = 0x80;
    upper = 0xBF;
    lowError = Utf8Error.Truncated;
    highError = Utf8Error.Truncated;
    codePoint = (codePoint << 6) | (b & 0x3F);
    p++;
  }
  stepCodePoint = codePoint;
  return need + 1;
}

/** The code point of the last well-formed sequence {@link utf8Step} examined. */
export function utf8StepCodePoint(): u32 {
  return stepCodePoint;
}

/** Why the last sequence {@link utf8Step} rejected is ill-formed. */
export function utf8StepError(): Utf8Error {
  return stepError;
}

// Offset and reason of the first ill-formed sequence found by the last utf8FirstError call.
let firstErrorKind: Utf8Error = Utf8Error.None;

/**
 * Byte offset of the first ill-formed sequence in `len` bytes at `ptr`, or -1 when all of it is well-formed
 * UTF-8 (the reason is then in {@link utf8LastError}).
 */
// @ts-ignore: decorator
@unsafe
export function utf8FirstErrorUnsafe(ptr: usize, len: usize): isize {
  let p = ptr;
  let end = ptr + len;
  while (p < end) {
    // ASCII fast path, 8 bytes at a time.
    while (p + 8 <= end && (load<u64>(p) & 0x8080808080808080) == 0) p += 8;
    if (p >= end) break;
    let n = utf8Step(p, end);
    if (n < 0) {
      firstErrorKind = stepError;
      return <isize>(p - ptr);
    }
    p += <usize>n;
  }
  firstErrorKind = Utf8Error.None;
  return -1;
}

/** The reason for the offset the last {@link utf8FirstErrorUnsafe} / {@link findInvalidUtf8} call returned. */
export function utf8LastError(): Utf8Error {
  return firstErrorKind;
}

/**
 * Byte offset of the first ill-formed UTF-8 sequence in `data`, or -1 when `data` is well-formed UTF-8.
 * The reason is available from {@link utf8LastError}.
 */
export function findInvalidUtf8(data: ArrayBuffer): i32 {
  return <i32>utf8FirstErrorUnsafe(changetype<usize>(data), <usize>data.byteLength);
}

/** True when `data` is well-formed UTF-8 (the empty buffer is). */
export function isValidUtf8(data: ArrayBuffer): bool {
  return findInvalidUtf8(data) < 0;
}

/** Result of {@link decodeUtf8}: exactly one of `value` and `error` is set. */
@final
export class Utf8DecodeResult {
  constructor(
    /** The decoded text, or null when the input is not well-formed UTF-8. */
    public readonly value: string | null,
    /** What is wrong, e.g. "overlong UTF-8 encoding at byte 3"; null on success. */
    public readonly error: string | null,
    /** Byte offset of the first ill-formed sequence, or -1 on success. */
    public readonly offset: i32,
  ) {}
}

/**
 * Strictly decodes `len` bytes at `ptr`. On ill-formed input returns an error naming the byte offset and
 * the reason; never traps, never substitutes.
 */
// @ts-ignore: decorator
@unsafe
export function decodeUtf8Unsafe(ptr: usize, len: usize): Utf8DecodeResult {
  let bad = utf8FirstErrorUnsafe(ptr, len);
  if (bad >= 0) {
    return new Utf8DecodeResult(
      null,
      utf8ErrorMessage(firstErrorKind) + " at byte " + decimalText(bad),
      <i32>bad,
    );
  }
  // Well-formed, so the lossy decoder is exact here.
  return new Utf8DecodeResult(decodeUtf8LossyUnsafe(ptr, len), null, -1);
}

/**
 * Strictly decodes `data` as UTF-8. Use for anything that is compared or matched (configuration, header
 * values that feed a decision): ill-formed input returns an error value instead of a lookalike string.
 */
export function decodeUtf8(data: ArrayBuffer): Utf8DecodeResult {
  return decodeUtf8Unsafe(changetype<usize>(data), <usize>data.byteLength);
}

/**
 * Decodes `len` bytes at `ptr`, replacing each maximal ill-formed subpart with U+FFFD exactly as the WHATWG
 * Encoding Standard (and so `new TextDecoder()` in Node and browsers) does; well-formed UTF-8 decodes exactly.
 * One pass, ASCII copied byte by byte. The SDK's only lossy decoder: hostcall strings (codec/text.ts), JSON
 * strings and `decodeUtf8` (on input already validated) all use it. Different inputs can give the same output,
 * so never use the result of ill-formed input for a security decision.
 */
// @ts-ignore: decorator
@unsafe
export function decodeUtf8LossyUnsafe(ptr: usize, len: usize): string {
  if (len == 0) return "";
  // Each input byte yields at most one UTF-16 unit (a 4-byte sequence yields 2), so `len` units suffice.
  let out = __new(len << 1, idof<string>());
  let o = out;
  let p = ptr;
  let end = ptr + len;
  while (p < end) {
    let c = <u32>load<u8>(p);
    if (c < 0x80) {
      store<u16>(o, <u16>c);
      o += 2;
      p++;
      continue;
    }
    let n = utf8Step(p, end);
    if (n < 0) {
      store<u16>(o, 0xFFFD);
      o += 2;
      p += <usize>(-n);
      continue;
    }
    let cp = stepCodePoint;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      store<u16>(o, <u16>(0xD800 | (cp >> 10)));
      store<u16>(o, <u16>(0xDC00 | (cp & 0x3FF)), 2);
      o += 4;
    } else {
      store<u16>(o, <u16>cp);
      o += 2;
    }
    p += <usize>n;
  }
  return changetype<string>(__renew(out, o - out));
}

/** Decodes `data` as UTF-8 with U+FFFD replacement (WHATWG semantics); for logs only, see above. */
export function decodeUtf8Lossy(data: ArrayBuffer): string {
  return decodeUtf8LossyUnsafe(changetype<usize>(data), <usize>data.byteLength);
}

/**
 * True when `text` is well-formed UTF-16: every surrogate is part of a high+low pair. AssemblyScript
 * strings, like JavaScript ones, can hold lone surrogates (e.g. from a `\ud800` escape).
 */
export function isWellFormedUtf16(text: string): bool {
  let p = changetype<usize>(text);
  let end = p + (<usize>text.length << 1);
  while (p < end) {
    let c = <u32>load<u16>(p);
    p += 2;
    if ((c & 0xF800) != 0xD800) continue;
    if (c >= 0xDC00 || p >= end) return false;
    let d = <u32>load<u16>(p);
    if ((d & 0xFC00) != 0xDC00) return false;
    p += 2;
  }
  return true;
}

/**
 * Writes the `units` UTF-16 code units at `src` as UTF-8 to `dest`, which must have room for `3 × units` bytes
 * (the most a unit can take: a surrogate pair, two units, takes 4), and returns the bytes written. A lone
 * surrogate becomes U+FFFD (EF BF BD), as `TextEncoder` and Node's `Buffer.from(text, "utf8")` write it, so
 * the output is always well-formed UTF-8. The SDK's only encoder: one pass, and ~0.3 KB smaller than the
 * standard library's (whose default mode, WTF-8, would write a lone surrogate as ED A0..BF xx: not UTF-8).
 */
// @ts-ignore: decorator
@unsafe
export function encodeUtf8Unsafe(src: usize, units: usize, dest: usize): usize {
  let p = src;
  let end = src + (units << 1);
  let o = dest;
  while (p < end) {
    let cp = <u32>load<u16>(p);
    p += 2;
    if (cp < 0x80) {
      store<u8>(o++, <u8>cp);
      continue;
    }
    if ((cp & 0xF800) == 0xD800) {
      let low = cp < 0xDC00 && p < end ? <u32>load<u16>(p) : 0;
      if ((low & 0xFC00) == 0xDC00) {
        p += 2;
        cp = 0x10000 + ((cp & 0x3FF) << 10) + (low & 0x3FF);
      } else {
        cp = 0xFFFD;
      }
    }
    // `more` continuation bytes after a lead byte of `more + 1` high ones (C0, E0, F0).
    let more: u32 = cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;
    store<u8>(o, <u8>(((<u32>0xFF << (7 - more)) & 0xFF) | (cp >> (6 * more))));
    for (let k: u32 = 1; k <= more; k++) store<u8>(o + k, <u8>(0x80 | ((cp >> (6 * (more - k))) & 0x3F)));
    o += more + 1;
  }
  return o - dest;
}

/** Number of bytes {@link encodeUtf8} produces for `text`. */
export function utf8Length(text: string): i32 {
  let p = changetype<usize>(text);
  let end = p + (<usize>text.length << 1);
  let size = 0;
  while (p < end) {
    let c = <u32>load<u16>(p);
    p += 2;
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (c < 0xDC00 && c >= 0xD800 && p < end && (<u32>load<u16>(p) & 0xFC00) == 0xDC00) {
      p += 2;
      size += 4;
    } else size += 3; // BMP character, or a lone surrogate written as U+FFFD
  }
  return size;
}

/**
 * Encodes `text` as UTF-8, replacing each lone surrogate with U+FFFD (see {@link encodeUtf8Unsafe}), so the
 * output is always well-formed UTF-8.
 */
export function encodeUtf8(text: string): ArrayBuffer {
  let out = new ArrayBuffer(utf8Length(text));
  encodeUtf8Unsafe(changetype<usize>(text), <usize>text.length, changetype<usize>(out));
  return out;
}
