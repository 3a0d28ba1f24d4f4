// Escaping and length caps for recorded values.
//
// Every recorded value passes through `safeValue` before it reaches any output. The result is the *content*
// of a JSON string: it can be placed between double quotes in a JSON document, in a JSON access-log format
// and in a text access-log format (`"%FILTER_STATE(wasm.l7.user_agent.original:PLAIN)%"`) without a client
// being able to close the quotes, add a field or start a new line (CVE-2025-25294: JSON injection through
// User-Agent in Envoy Gateway's default format; CVE-2024-45808: log injection through SNI). It is also a
// valid header value (no CR, LF or NUL: CVE-2023-27493, request properties written into headers).

import { decimalText } from "../../assembly";

/** Appended to a value cut at its length cap. ASCII, so the cut is visible in any log viewer. */
export const TRUNCATION_MARK = "...";

const HEX_DIGITS = "0123456789abcdef";

/**
 * Whether code unit `c` must be written as an escape: C0 controls, DEL, C1 controls (NEL U+0085 is a line
 * break for some log tools), the Unicode line/paragraph separators, bidirectional-text controls (they can
 * make a log line read differently from its bytes) and lone surrogates (not representable in UTF-8).
 */
// @ts-ignore: decorator
@inline
function needsUnicodeEscape(c: i32): bool {
  if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  if (c < 0x200e) return false;
  return (
    c == 0x200e || c == 0x200f ||
    (c >= 0x2028 && c <= 0x202e) ||
    (c >= 0x2066 && c <= 0x2069) ||
    (c >= 0xd800 && c <= 0xdfff)
  );
}

/** Whether `value` can be used as is (the common case: printable ASCII without `"` or `\`). */
function isPlain(value: string): bool {
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c == 0x22 || c == 0x5c || c >= 0x7f) return false;
  }
  return true;
}

/**
 * Escapes `value` as JSON string content (without the quotes): `"` → `\"`, `\` → `\\`, `\n` `\r` `\t` in
 * their short forms, every other character of {@link needsUnicodeEscape} as `\u00XX`/`\uXXXX`. A surrogate
 * pair is kept (it is a valid character); a lone surrogate is escaped.
 */
export function escapeJsonContent(value: string): string {
  if (isPlain(value)) return value;
  const length = value.length;
  const parts = new Array<string>();
  let runStart = 0;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    let replacement: string | null = null;
    if (c == 0x22) replacement = "\\\"";
    else if (c == 0x5c) replacement = "\\\\";
    else if (c == 0x0a) replacement = "\\n";
    else if (c == 0x0d) replacement = "\\r";
    else if (c == 0x09) replacement = "\\t";
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a well-formed pair: keep both units
        continue;
      }
      replacement = unicodeEscape(c);
    } else if (needsUnicodeEscape(c)) replacement = unicodeEscape(c);
    if (replacement !== null) {
      if (i > runStart) parts.push(value.substring(runStart, i));
      parts.push(replacement);
      runStart = i + 1;
    }
  }
  if (runStart < length) parts.push(value.substring(runStart, length));
  return parts.join("");
}

function unicodeEscape(c: i32): string {
  return (
    "\\u" +
    HEX_DIGITS.charAt((c >> 12) & 15) +
    HEX_DIGITS.charAt((c >> 8) & 15) +
    HEX_DIGITS.charAt((c >> 4) & 15) +
    HEX_DIGITS.charAt(c & 15)
  );
}

/**
 * Cuts `value` to at most `maxLength` UTF-16 code units (the cut never splits a surrogate pair) and marks the
 * cut with {@link TRUNCATION_MARK}, which counts towards the cap. `maxLength` ≤ 0 means no cap.
 */
export function capLength(value: string, maxLength: i32): string {
  if (maxLength <= 0 || value.length <= maxLength) return value;
  let keep = maxLength - TRUNCATION_MARK.length;
  if (keep < 0) keep = 0;
  if (keep > 0) {
    const last = value.charCodeAt(keep - 1);
    if (last >= 0xd800 && last <= 0xdbff) keep--; // do not keep half of a pair
  }
  return value.substring(0, keep) + TRUNCATION_MARK;
}

/** The form every recorded string takes: capped to `maxLength`, then escaped. */
export function safeValue(value: string, maxLength: i32): string {
  return escapeJsonContent(capLength(value, maxLength));
}

/**
 * A finite double as a JSON number without the std's float printer (which costs several KB): integers in
 * ±2^53 exactly, other values with up to 6 decimals (trailing zeros removed). Telemetry precision, not
 * round-trip precision. Null for NaN and infinities.
 */
export function formatDecimal(value: f64): string | null {
  if (!isFinite(value)) return null;
  if (value == Math.trunc(value) && Math.abs(value) <= 9007199254740991.0) return decimalText(<i64>value);
  const negative = value < 0;
  let scaled = <i64>Math.round(Math.abs(value) * 1_000_000.0);
  const whole = scaled / 1_000_000;
  let fraction = <i32>(scaled % 1_000_000);
  let digits = 6;
  while (digits > 0 && fraction % 10 == 0) {
    fraction /= 10;
    digits--;
  }
  let text = decimalText(whole);
  if (digits > 0) {
    let fractionText = decimalText(fraction);
    while (fractionText.length < digits) fractionText = "0" + fractionText;
    text += "." + fractionText;
  }
  return negative && (whole != 0 || digits > 0) ? "-" + text : text;
}
