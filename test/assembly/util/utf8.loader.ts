// Loader module for utf8.test.ts: exposes assembly/util/utf8.ts to @assemblyscript/loader.
import {
  decodeUtf8,
  decodeUtf8Lossy,
  encodeUtf8,
  findInvalidUtf8,
  isWellFormedUtf16,
  utf8LastError,
  utf8Length,
} from "../../../assembly/util/utf8";

let lastError: string | null = null;

/** Offset of the first ill-formed sequence, or -1. */
export function firstError(data: ArrayBuffer): i32 {
  return findInvalidUtf8(data);
}

/** The Utf8Error of the last firstError call. */
export function lastErrorKind(): i32 {
  return <i32>utf8LastError();
}

/** Strict decode: the text, or null with decodeError() set. */
export function decodeStrict(data: ArrayBuffer): string | null {
  let result = decodeUtf8(data);
  lastError = result.error;
  return result.value;
}

export function decodeError(): string | null {
  return lastError;
}

export function decodeLossy(data: ArrayBuffer): string {
  return decodeUtf8Lossy(data);
}

export function encode(text: string): ArrayBuffer {
  return encodeUtf8(text);
}

export function encodedLength(text: string): i32 {
  return utf8Length(text);
}

export function isWellFormed(text: string): bool {
  return isWellFormedUtf16(text);
}

/** The standard library's decoder, kept here to pin what the SDK avoids (see assembly/util/utf8.ts). */
export function stdDecode(data: ArrayBuffer): string {
  return String.UTF8.decode(data);
}
