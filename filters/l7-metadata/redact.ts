// Redaction of sensitive header and query-parameter values (OpenTelemetry HTTP semantic conventions: url.query
// and captured headers "SHOULD be scrubbed"; authz-and-metadata.md §C.5, §D item 24).
//
// A sensitive value is never recorded as is. Mode `drop` replaces it with `[REDACTED]`; mode `hash` replaces
// it with `sha256:` + the first 16 hex digits (64 bits) of SHA-256(value), or of HMAC-SHA-256(key, value)
// when a key is configured. A plain hash of a low-entropy secret (a PIN, a short password) can be reversed
// by brute force, so `hash` without a key is documented as "correlation only, not secrecy".

import { decodeUtf8LossyUnsafe } from "../../assembly/util/utf8";
import { asciiLower, encodeUtf8, splitAt } from "../../assembly";
import { hexPrefix, hmacSha256, sha256 } from "./sha256";

/** What a dropped value is replaced with. */
export const REDACTED = "[REDACTED]";
/** Prefix of a hashed value. */
export const HASH_PREFIX = "sha256:";
/** Hex digits kept from the digest (64 bits: enough to correlate, short enough for a log line). */
export const HASH_HEX_DIGITS: i32 = 16;

/** Header names redacted in every configuration (compared lower-case). */
export const DEFAULT_SENSITIVE_HEADERS: string[] = ["authorization", "proxy-authorization", "cookie", "set-cookie"];

/**
 * Query parameter names redacted in every configuration: a name (lower-cased) is sensitive when it equals one
 * of `DEFAULT_SENSITIVE_QUERY_EXACT` or contains one of `DEFAULT_SENSITIVE_QUERY_PARTS`. Errs on the side
 * of redacting (`author` contains `auth`).
 */
export const DEFAULT_SENSITIVE_QUERY_EXACT: string[] = ["key", "sig", "pwd", "code"];
export const DEFAULT_SENSITIVE_QUERY_PARTS: string[] = [
  "token", "secret", "passw", "signature", "credential", "apikey", "api_key", "api-key", "session", "jwt", "auth",
];

/** Redaction mode, as configured. */
export enum RedactionMode {
  Drop = 0,
  Hash = 1,
}

/** Immutable redaction settings shared by every stream. */
@final
export class Redactor {
  constructor(
    public readonly mode: RedactionMode,
    /** HMAC key (UTF-8 bytes of the configured string), or null for a plain SHA-256. */
    private readonly hashKey: Uint8Array | null,
    /** Lower-case header names: the defaults plus the configured ones. */
    private readonly headers: string[],
    /** Lower-case query parameter names configured in addition to the default rules. */
    private readonly queryParameters: string[],
  ) {}

  /** Whether header `name` (any case) is sensitive. */
  isSensitiveHeader(name: string): bool {
    return this.headers.includes(asciiLower(name));
  }

  /** Whether query parameter `name` (any case, already percent-decoded or not) is sensitive. */
  isSensitiveQueryParameter(name: string): bool {
    const lower = asciiLower(name);
    if (this.queryParameters.includes(lower)) return true;
    if (DEFAULT_SENSITIVE_QUERY_EXACT.includes(lower)) return true;
    for (let i = 0; i < DEFAULT_SENSITIVE_QUERY_PARTS.length; i++) {
      if (lower.includes(unchecked(DEFAULT_SENSITIVE_QUERY_PARTS[i]))) return true;
    }
    return false;
  }

  /** The replacement for a sensitive `value`. */
  redact(value: string): string {
    if (this.mode == RedactionMode.Drop) return REDACTED;
    const bytes = Uint8Array.wrap(encodeUtf8(value));
    const hashKey = this.hashKey;
    const digest = hashKey !== null ? hmacSha256(hashKey, bytes) : sha256(bytes);
    return HASH_PREFIX + hexPrefix(digest, HASH_HEX_DIGITS / 2);
  }

  /**
   * `query` (the part after `?`, without the fragment) with the value of every sensitive parameter
   * replaced. Parameter names are compared after percent-decoding so `%74oken=` is caught as `token`.
   * Separators and the order of parameters are kept; a parameter without `=` has no value to redact.
   */
  redactQuery(query: string): string {
    if (query.length == 0) return query;
    const pairs = splitAt(query, 0x26);
    let changed = false;
    for (let i = 0; i < pairs.length; i++) {
      const pair = unchecked(pairs[i]);
      const equals = pair.indexOf("=");
      if (equals < 0) continue;
      const name = percentDecodeLossy(pair.substring(0, equals));
      if (this.isSensitiveQueryParameter(name)) {
        pairs[i] = pair.substring(0, equals + 1) + this.redact(pair.substring(equals + 1));
        changed = true;
      }
    }
    return changed ? pairs.join("&") : query;
  }

  /** The value of query parameter `name` in `query` (first occurrence, percent-decoded), or null. */
  static queryParameter(query: string, name: string): string | null {
    if (query.length == 0) return null;
    const pairs = splitAt(query, 0x26);
    for (let i = 0; i < pairs.length; i++) {
      const pair = unchecked(pairs[i]);
      const equals = pair.indexOf("=");
      const rawName = equals < 0 ? pair : pair.substring(0, equals);
      if (percentDecodeLossy(rawName) == name) {
        return equals < 0 ? "" : percentDecodeLossy(pair.substring(equals + 1));
      }
    }
    return null;
  }
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * Decodes `%XX` escapes and `+` (form encoding) once. A malformed escape is kept as is; the decoded bytes
 * are read as UTF-8 with U+FFFD for invalid sequences (the value is only recorded, never trusted).
 */
export function percentDecodeLossy(text: string): string {
  if (text.indexOf("%") < 0 && text.indexOf("+") < 0) return text;
  const source = encodeUtf8(text);
  const input = Uint8Array.wrap(source);
  const output = new Uint8Array(input.length);
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const c = <i32>unchecked(input[i]);
    if (c == 0x25 && i + 2 < input.length) {
      const high = hexValue(<i32>unchecked(input[i + 1]));
      const low = hexValue(<i32>unchecked(input[i + 2]));
      if (high >= 0 && low >= 0) {
        unchecked((output[length++] = <u8>((high << 4) | low)));
        i += 2;
        continue;
      }
    }
    unchecked((output[length++] = c == 0x2b ? 0x20 : <u8>c));
  }
  return decodeUtf8LossyUnsafe(output.dataStart, <usize>length);
}
