/**
 * Reference request-path normalization in plain TypeScript, written for clarity rather than speed, against
 * which the AssemblyScript implementation (`assembly/util/path.ts`) is property-tested. Reusable by other
 * reference models (the ABAC reference evaluator normalizes paths with it).
 *
 * Semantics (same contract as the SDK; sources: Envoy `ConnectionManagerUtility::maybeNormalizePath`,
 * `PathUtil`/`PathTransformer` in `source/common/http/path_utility.cc`, Chromium `url::CanonicalizePath` as
 * vendored by Envoy, Istio `tests/integration/security/normalization_test.go`):
 *
 * 1. The path ends at the first `?` or `#`; the query runs from that `?` to the next `#`; the fragment is
 *    everything after the first `#`.
 * 2. Errors: a NUL anywhere, an empty path, a path not starting with `/`, `%` not followed by two hex digits,
 *    `%00`.
 * 3. `decodeSlashes`: `%2F`/`%2f` → `/`, `%5C`/`%5c` → `\` (HCM `UNESCAPE_AND_FORWARD`).
 * 4. `normalize`: decode `%XX` of unreserved characters (ALPHA DIGIT `-` `.` `_` `~`), keep other escapes as
 *    written, `\` → `/` when `backslashToSlash`, percent-encode (upper-case hex) controls, space,
 *    `"` `<` `>` `^` `` ` `` `{` `|` `}`, DEL and the UTF-8 bytes of non-ASCII characters (a lone surrogate
 *    as U+FFFD); a segment (after `/`, or `\` when `backslashToSlash`) starting with one or two dots (`.` or
 *    `%2e`) and `;` is `.` / `..`, its rest up to the next `/` dropped (Envoy 1.40 does this for literal dots
 *    after a literal `/` only); then RFC 3986 §5.2.4 remove_dot_segments.
 *    Without `normalize`, `backslashToSlash` alone turns `\` into `/`.
 * 5. `mergeSlashes`: runs of `/` → `/`; a path of slashes only becomes `//` (as Envoy's merge does).
 */

export interface PathOptions {
  decodeSlashes: boolean;
  normalize: boolean;
  backslashToSlash: boolean;
  mergeSlashes: boolean;
}

/** Istio `meshConfig.pathNormalization.normalization` values and the options they stand for. */
export const ISTIO_PATH_NORMALIZATION = {
  NONE: { decodeSlashes: false, normalize: false, backslashToSlash: false, mergeSlashes: false },
  BASE: { decodeSlashes: false, normalize: true, backslashToSlash: true, mergeSlashes: false },
  MERGE_SLASHES: { decodeSlashes: false, normalize: true, backslashToSlash: true, mergeSlashes: true },
  DECODE_AND_MERGE_SLASHES: { decodeSlashes: true, normalize: true, backslashToSlash: true, mergeSlashes: true },
} as const satisfies Record<string, PathOptions>;

export type IstioPathNormalization = keyof typeof ISTIO_PATH_NORMALIZATION;

export type PathResult =
  | { ok: true; path: string; query: string | null; fragment: string | null }
  | { ok: false; error: string };

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const ESCAPED_IN_PATHS = /^[\x00-\x20"<>^`{|}\x7f]$/;

function percentByte(byte: number): string {
  return "%" + byte.toString(16).toUpperCase().padStart(2, "0");
}

/**
 * RFC 3986 §5.2.4 remove_dot_segments, step by step as the RFC writes it (rules A-E). For a path starting
 * with `/` the result starts with `/`.
 */
export function removeDotSegments(path: string): string {
  let input = path;
  let output = "";
  const dropLastSegment = (): void => {
    output = output.slice(0, Math.max(0, output.lastIndexOf("/")));
  };
  while (input.length > 0) {
    if (input.startsWith("../")) input = input.slice(3);
    else if (input.startsWith("./")) input = input.slice(2);
    else if (input.startsWith("/./")) input = "/" + input.slice(3);
    else if (input === "/.") input = "/";
    else if (input.startsWith("/../")) {
      input = "/" + input.slice(4);
      dropLastSegment();
    } else if (input === "/..") {
      input = "/";
      dropLastSegment();
    } else if (input === "." || input === "..") input = "";
    else {
      const next = input.indexOf("/", input.startsWith("/") ? 1 : 0);
      const end = next < 0 ? input.length : next;
      output += input.slice(0, end);
      input = input.slice(end);
    }
  }
  return output === "" ? "/" : output;
}

/** Normalizes a request target (`:path`); see the file comment. */
export function normalizePath(raw: string, options: PathOptions = ISTIO_PATH_NORMALIZATION.BASE): PathResult {
  const match = /^([^?#]*)(?:\?([^#]*))?(?:#([\s\S]*))?$/.exec(raw);
  if (match === null) throw new Error("unreachable: the split pattern matches every string");
  let path = match[1] ?? "";
  const query = match[2] ?? null;
  const fragment = match[3] ?? null;
  if (raw.includes("\0")) return { ok: false, error: "NUL character in request target" };
  if (path === "") return { ok: false, error: "empty path" };
  if (!path.startsWith("/")) return { ok: false, error: "path does not start with '/'" };
  // The first bad escape decides the message.
  const badEscape = /%(?![0-9A-Fa-f]{2})|%00/.exec(path);
  if (badEscape !== null) {
    return { ok: false, error: badEscape[0] === "%00" ? "encoded NUL (%00) in path" : "invalid percent-encoding" };
  }

  if (options.decodeSlashes) path = path.replace(/%2f/gi, "/").replace(/%5c/gi, "\\");
  if (options.normalize) {
    // A segment starting with one or two dots (literal or %2e) and ';' is "." or ".."; the rest up to the next
    // '/' is dropped. Segments start after '/', and after '\' when backslashes are separators.
    const separator = options.backslashToSlash ? "[/\\\\]" : "/";
    const dotsWithParameters = new RegExp(`(${separator})((?:\\.|%2[eE]){1,2});[^/]*`, "g");
    path = path.replace(dotsWithParameters, (_match, start: string, dots: string) => start + dots.replace(/%2e/gi, "."));
    // Every escape is well-formed here, so the alternatives below tokenize the path unambiguously.
    path = path.replace(/%[0-9A-Fa-f]{2}|[\s\S]/gu, (token) => {
      if (token.length === 3 && token.startsWith("%")) {
        const decoded = String.fromCharCode(parseInt(token.slice(1), 16));
        return UNRESERVED.test(decoded) ? decoded : token;
      }
      if (token === "\\") return options.backslashToSlash ? "/" : token;
      if (token.codePointAt(0)! < 0x80) return ESCAPED_IN_PATHS.test(token) ? percentByte(token.charCodeAt(0)) : token;
      // Non-ASCII (Buffer encodes a lone surrogate as U+FFFD).
      return [...Buffer.from(token, "utf8")].map(percentByte).join("");
    });
    path = removeDotSegments(path);
  } else if (options.backslashToSlash) {
    path = path.replaceAll("\\", "/");
  }
  // Envoy's merge: "/" + non-empty segments + "/" if the path ended with one; "//" stays "//" (an Envoy quirk).
  if (options.mergeSlashes && path.includes("//")) path = path === "/".repeat(path.length) ? "//" : path.replace(/\/{2,}/g, "/");
  return { ok: true, path, query, fragment };
}
