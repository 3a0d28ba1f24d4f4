// Loader module for sha256.test.ts: exposes the recorder's SHA-256 / HMAC helpers to @assemblyscript/loader.
import { hexPrefix, hmacSha256, sha256 } from "../../../filters/l7-metadata/sha256";

/** Runtime id of Uint8Array, for the loader's `__newArray`. */
export const UINT8ARRAY_ID = idof<Uint8Array>();

export function sha256Hex(data: Uint8Array): string {
  return hexPrefix(sha256(data), 32);
}

export function hmacSha256Hex(key: Uint8Array, data: Uint8Array): string {
  return hexPrefix(hmacSha256(key, data), 32);
}
