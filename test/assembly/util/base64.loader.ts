// Loader module for base64.test.ts: exposes assembly/util/base64.ts to @assemblyscript/loader.
import { Base64Alphabet, base64Decode, base64Encode, Base64Padding } from "../../../assembly/util/base64";

let lastError: string | null = null;
let lastOffset: i32 = -1;

export function encode(data: ArrayBuffer, url: bool, pad: bool): string {
  return base64Encode(data, url ? Base64Alphabet.Url : Base64Alphabet.Standard, pad);
}

/** `padding`: 0 required, 1 forbidden, 2 optional. Returns null on error (see decodeError/decodeOffset). */
export function decode(text: string, url: bool, padding: i32): ArrayBuffer | null {
  let result = base64Decode(text, url ? Base64Alphabet.Url : Base64Alphabet.Standard, <Base64Padding>padding);
  lastError = result.error;
  lastOffset = result.offset;
  return result.value;
}

export function decodeError(): string | null {
  return lastError;
}

export function decodeOffset(): i32 {
  return lastOffset;
}
