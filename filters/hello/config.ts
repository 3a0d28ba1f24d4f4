/**
 * The `hello` configuration: `{"header": "x-hello", "value": "world"}`.
 *
 * Parsed once in `onConfigure` into an immutable {@link HelloConfig}; every problem is reported at its JSON
 * path and the first one is logged, so an operator fixes the configuration in one round.
 */

import { asciiLower } from "../../assembly";
import { ConfigReader, quoteValue } from "../../assembly/util/config";

/** The keys the configuration may have (anything else is an error: a typo must not pass silently). */
const KEYS: string[] = ["header", "value"];

/** What the configuration should look like, appended to every rejection. */
export const EXPECTED_SHAPE = '{"header": "<header name>", "value": "<header value>"}';

/** The validated configuration. */
@final
export class HelloConfig {
  constructor(
    /** Response header to set, lower-cased (Envoy lower-cases header names anyway). */
    public readonly header: string,
    /** Its value. */
    public readonly value: string,
  ) {}
}

/** Either a configuration or the reason there is none. */
@final
export class HelloConfigResult {
  constructor(
    public readonly config: HelloConfig | null,
    /** `<json path>: <problem>` plus ` (and N more errors)`; null when `config` is set. */
    public readonly error: string | null,
  ) {}
}

/** RFC 9110 `tchar`: the characters allowed in a header name. */
function isTokenChar(c: u32): bool {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  // ! # $ % & ' * + - . ^ _ ` | ~
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d || c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
}

function isHeaderName(name: string): bool {
  if (name.length == 0) return false;
  for (let i = 0, n = name.length; i < n; i++) {
    if (!isTokenChar(<u32>name.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * RFC 9110 field value: visible characters, spaces and tabs, not starting or ending with whitespace (which
 * proxies strip). Control characters (CR and LF above all) could split the response.
 */
function isHeaderValue(value: string): bool {
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = <u32>value.charCodeAt(i);
    if ((c < 0x20 && c != 0x09) || c == 0x7f) return false;
  }
  if (n > 0) {
    const first = value.charCodeAt(0);
    const last = value.charCodeAt(n - 1);
    if (first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09) return false;
  }
  return true;
}

/** Parses and validates the plugin configuration bytes (null or empty: every required key is missing). */
export function parseHelloConfig(data: ArrayBuffer | null): HelloConfigResult {
  const reader = ConfigReader.parse(data);
  // Invalid JSON: say so and nothing else (the missing keys would only be noise).
  if (!reader.ok) return new HelloConfigResult(null, reader.summary());
  const root = reader.root();

  let errors = reader.errorCount;
  const header = root.requiredString("header");
  if (reader.errorCount == errors) {
    // A string was there: check what it says.
    if (header.length == 0) root.errorAt("header", "must not be empty");
    else if (!isHeaderName(header)) root.errorAt("header", quoteValue(header) + " is not a valid header name (RFC 9110 token characters only)");
  }

  errors = reader.errorCount;
  const value = root.requiredString("value");
  if (reader.errorCount == errors && !isHeaderValue(value)) {
    root.errorAt("value", quoteValue(value) + " is not a valid header value (no control characters, no leading or trailing whitespace)");
  }

  root.unknownKeys(KEYS);
  if (!reader.ok) return new HelloConfigResult(null, reader.summary());
  return new HelloConfigResult(new HelloConfig(asciiLower(header), value), null);
}
