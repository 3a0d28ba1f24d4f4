/**
 * Base64 (RFC 4648 §4) and base64url (RFC 4648 §5), with and without padding.
 *
 * Decoding is strict, so one byte string has exactly one accepted encoding per alphabet and padding mode:
 * characters outside the alphabet (including whitespace and line breaks), a length that cannot occur,
 * misplaced or missing `=`, and non-zero bits in the last character's unused low bits ("non-canonical",
 * RFC 4648 §3.5 lets decoders reject these) all return an error with the offending character's offset.
 * Node's `Buffer.from(s, "base64")` is lenient about all of these; for canonical input the results agree.
 */

import { decimalText, hexText } from "./text-buffer";

/** Which 64-character alphabet. */
export enum Base64Alphabet {
  /** `A-Z a-z 0-9 + /` (RFC 4648 §4): MIME, PEM, Basic auth, x-envoy-peer-metadata. */
  Standard = 0,
  /** `A-Z a-z 0-9 - _` (RFC 4648 §5): JWT segments, URLs, filenames. */
  Url = 1,
}

/** What the decoder accepts at the end of the input. */
export enum Base64Padding {
  /** `=` padding to a multiple of 4 characters is required. */
  Required = 0,
  /** `=` is rejected (JWT, RFC 7515 §2). */
  Forbidden = 1,
  /** Either complete padding or none (but not partial padding such as `QQ=`). */
  Optional = 2,
}

// The character for a 6-bit value; branches instead of a 64-entry table keep the module small.
// @ts-ignore: decorator
@inline
function encodeSextet(v: u32, url: bool): u32 {
  if (v < 26) return v + 0x41; // A-Z
  if (v < 52) return v + 0x47; // a-z (0x61 - 26)
  if (v < 62) return v - 4; // 0-9 (0x30 - 52)
  if (v == 62) return url ? 0x2D : 0x2B; // - or +
  return url ? 0x5F : 0x2F; // _ or /
}

// The 6-bit value of character `c`, or -1 when `c` is not in the alphabet.
// @ts-ignore: decorator
@inline
function decodeSextet(c: u32, url: bool): i32 {
  if (c >= 0x41 && c <= 0x5A) return <i32>c - 0x41;
  if (c >= 0x61 && c <= 0x7A) return <i32>c - 0x47;
  if (c >= 0x30 && c <= 0x39) return <i32>c + 4;
  if (c == (url ? 0x2D : 0x2B)) return 62;
  if (c == (url ? 0x5F : 0x2F)) return 63;
  return -1;
}

/**
 * Encodes `len` bytes at `ptr`. With `pad`, the output is padded with `=` to a multiple of 4 characters.
 */
// @ts-ignore: decorator
@unsafe
export function base64EncodeUnsafe(ptr: usize, len: usize, alphabet: Base64Alphabet, pad: bool): string {
  let url = alphabet == Base64Alphabet.Url;
  let full = len / 3;
  let rest = len - full * 3;
  let outLen = full * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1);
  let out = changetype<string>(__new(outLen << 1, idof<string>()));
  let o = changetype<usize>(out);
  let p = ptr;
  let end = ptr + full * 3;
  while (p < end) {
    let v = (<u32>load<u8>(p) << 16) | (<u32>load<u8>(p, 1) << 8) | <u32>load<u8>(p, 2);
    store<u16>(o, <u16>encodeSextet(v >> 18, url));
    store<u16>(o, <u16>encodeSextet((v >> 12) & 63, url), 2);
    store<u16>(o, <u16>encodeSextet((v >> 6) & 63, url), 4);
    store<u16>(o, <u16>encodeSextet(v & 63, url), 6);
    p += 3;
    o += 8;
  }
  if (rest != 0) {
    let v = <u32>load<u8>(p) << 16;
    if (rest == 2) v |= <u32>load<u8>(p, 1) << 8;
    store<u16>(o, <u16>encodeSextet(v >> 18, url));
    store<u16>(o, <u16>encodeSextet((v >> 12) & 63, url), 2);
    if (rest == 2) store<u16>(o, <u16>encodeSextet((v >> 6) & 63, url), 4);
    else if (pad) store<u16>(o, 0x3D, 4);
    if (pad) store<u16>(o, 0x3D, 6);
  }
  return out;
}

/** Encodes `data` in the given alphabet; `pad` adds `=` up to a multiple of 4 characters. */
export function base64Encode(
  data: ArrayBuffer,
  alphabet: Base64Alphabet = Base64Alphabet.Standard,
  pad: bool = true,
): string {
  return base64EncodeUnsafe(changetype<usize>(data), <usize>data.byteLength, alphabet, pad);
}

/** Result of {@link base64Decode}: exactly one of `value` and `error` is set. */
@final
export class Base64DecodeResult {
  constructor(
    /** The decoded bytes, or null on error. */
    public readonly value: ArrayBuffer | null,
    /** What is wrong, e.g. `invalid base64 character '*' at offset 4`; null on success. */
    public readonly error: string | null,
    /** Character offset of the problem, or -1 on success. */
    public readonly offset: i32,
  ) {}
}

function decodeError(message: string, offset: i32): Base64DecodeResult {
  return new Base64DecodeResult(null, message + " at offset " + decimalText(offset), offset);
}

/**
 * Decodes `text` strictly (see the file comment). Never traps; every malformed input gives an error value.
 */
export function base64Decode(
  text: string,
  alphabet: Base64Alphabet = Base64Alphabet.Standard,
  padding: Base64Padding = Base64Padding.Optional,
): Base64DecodeResult {
  let url = alphabet == Base64Alphabet.Url;
  let len = text.length;
  let src = changetype<usize>(text);
  // Strip and check the padding first, so the main loop sees alphabet characters only.
  let dataLen = len;
  while (dataLen > 0 && load<u16>(src + (<usize>(dataLen - 1) << 1)) == 0x3D) dataLen--;
  let padCount = len - dataLen;
  if (padCount > 0) {
    if (padding == Base64Padding.Forbidden) return decodeError("base64 padding '=' not allowed", dataLen);
    if (padCount > 2 || (len & 3) != 0 || (dataLen & 3) == 0) {
      return decodeError("invalid base64 padding", dataLen);
    }
  } else if (padding == Base64Padding.Required && (len & 3) != 0) {
    return decodeError("missing base64 padding", len);
  }
  let outLen = (dataLen >> 2) * 3 + (((dataLen & 3) * 3) >> 2);
  let out = new ArrayBuffer(outLen);
  let o = changetype<usize>(out);
  let acc: u32 = 0;
  let bits: u32 = 0;
  for (let i = 0; i < dataLen; i++) {
    let c = <u32>load<u16>(src + (<usize>i << 1));
    let v = decodeSextet(c, url);
    if (v < 0) {
      let shown = c >= 0x21 && c < 0x7F ? "'" + String.fromCharCode(c) + "'" : "U+" + hexText(c, 4, true);
      return decodeError("invalid base64 character " + shown, i);
    }
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(o, <u8>(acc >> bits));
      o++;
    }
  }
  // One character left over carries 6 bits: less than a byte, so no encoder produces it.
  if ((dataLen & 3) == 1) return decodeError("invalid base64 length", dataLen - 1);
  // Leftover bits (2 or 4) must be zero for the encoding to be canonical.
  if ((acc & ((1 << bits) - 1)) != 0) {
    return decodeError("non-canonical base64 (unused bits set)", dataLen - 1);
  }
  return new Base64DecodeResult(out, null, -1);
}
