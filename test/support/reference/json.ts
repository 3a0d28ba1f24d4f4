/**
 * Reference for the SDK's strict JSON parser (`assembly/util/json.ts`): `JSON.parse` for RFC 8259 syntax
 * and values, plus the rules the SDK adds so a security configuration has exactly one meaning:
 *
 * - duplicate object keys are an error (`JSON.parse` silently keeps the last);
 * - lone surrogates are an error, escaped (`"\ud800"`) or raw in the text;
 * - a number whose magnitude overflows a double (`1e400`) is an error (`JSON.parse` gives Infinity);
 * - nesting deeper than `maxDepth` (64) and input above `maxBytes` (1 MiB of UTF-8) are errors;
 * - empty input is an error (as in `JSON.parse`).
 *
 * The extra rules are checked by a small scanner over text `JSON.parse` already accepted, so it can be lax.
 */

import { isWellFormed } from "./unicode";

export interface JsonLimits {
  maxDepth: number;
  maxBytes: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 64, maxBytes: 1 << 20 };

export type JsonResult = { ok: true; value: unknown } | { ok: false; reason: string };

const STRING_TOKEN = /"(?:[^"\\]|\\[\s\S])*"/y;
const NUMBER_TOKEN = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

function tokenAt(pattern: RegExp, text: string, at: number): string {
  pattern.lastIndex = at;
  const match = pattern.exec(text);
  if (match === null) throw new Error(`unreachable: no token at ${at} in text JSON.parse accepted`);
  return match[0];
}

/** The extra rules, on text that `JSON.parse` accepted; returns the first violation or null. */
function checkExtraRules(text: string, limits: JsonLimits): string | null {
  // Per open container: null for arrays, the set of keys seen for objects.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === "{" || c === "[") {
      stack.push(c === "{" ? new Set() : null);
      if (stack.length > limits.maxDepth) return `nesting deeper than ${limits.maxDepth} levels`;
      expectKey = c === "{";
      i++;
    } else if (c === "}" || c === "]") {
      stack.pop();
      expectKey = false;
      i++;
    } else if (c === ",") {
      expectKey = stack.at(-1) instanceof Set;
      i++;
    } else if (c === '"') {
      const token = tokenAt(STRING_TOKEN, text, i);
      const value = JSON.parse(token) as string;
      if (!isWellFormed(value)) return "lone surrogate in string";
      const keys = stack.at(-1);
      if (expectKey && keys instanceof Set) {
        if (keys.has(value)) return `duplicate key ${JSON.stringify(value)}`;
        keys.add(value);
        expectKey = false;
      }
      i += token.length;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      const token = tokenAt(NUMBER_TOKEN, text, i);
      if (!Number.isFinite(Number(token))) return "number out of range";
      i += token.length;
    } else {
      i++; // whitespace, ':', literals
    }
  }
  return null;
}

/** Parses `text` under the SDK's rules. */
export function parseJson(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonResult {
  if (!isWellFormed(text)) return { ok: false, reason: "lone surrogate in input" };
  if (Buffer.byteLength(text, "utf8") > limits.maxBytes) return { ok: false, reason: "input too large" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  const violation = checkExtraRules(text, limits);
  return violation === null ? { ok: true, value } : { ok: false, reason: violation };
}

/** Parses UTF-8 bytes under the SDK's rules: ill-formed UTF-8 is an error (a fatal `TextDecoder`). */
export function parseJsonBytes(bytes: Uint8Array, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonResult {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { ok: false, reason: "invalid UTF-8" };
  }
  return parseJson(text, limits);
}
