/**
 * Request-path normalization for authorization decisions, following what Envoy's HTTP connection manager
 * does to `:path` before any filter runs, so a filter can normalize a raw path itself when it cannot assume
 * the mesh's setting (authz-and-metadata.md §A.2, §D classes 1-8).
 *
 * Steps, in Envoy's order (`ConnectionManagerUtility::maybeNormalizePath`; `PathUtil`, `PathTransformer`):
 * 1. Split off the query (`?`) and fragment (`#`): the path ends at the first `?` or `#`
 *    (`PathUtil::removeQueryAndFragment`); the query ends at the first `#` after it.
 * 2. Validate the path: it must start with `/`; a NUL byte (raw, or `%00`) and a `%` not followed by two hex
 *    digits are errors. Envoy rejects `%00` with 400; it passes other malformed `%` sequences through, but
 *    an authorization filter should not guess what a backend makes of them, so they are errors here.
 * 3. `decodeSlashes`: `%2F` `%2f` → `/` and `%5C` `%5c` → `\` (HCM `path_with_escaped_slashes_action:
 *    UNESCAPE_AND_FORWARD`).
 * 4. `normalize` (HCM `normalize_path`, Chromium's `url::CanonicalizePath`): percent-encoded unreserved
 *    characters (`%2D %2E %30-%39 %41-%5A %5F %61-%7A %7E`, either hex case) are decoded, once; every other
 *    escape is kept exactly as written (hex case included); `\` becomes `/` (`backslashToSlash`); characters
 *    Chromium escapes in paths (controls, space, `"` `<` `>` `^` `` ` `` `{` `|` `}`, DEL, non-ASCII as
 *    UTF-8) are percent-encoded; a segment (after `/`, or `\` with `backslashToSlash`) that starts with `.`
 *    or `..` followed by `;` is that dot segment, and the rest of it up to the next `/` is dropped
 *    (`/a/..;x/b` → `/b`, as Tomcat-style backends resolve it); then RFC 3986 §5.2.4 remove_dot_segments
 *    (`..` never climbs above `/`).
 * 5. `mergeSlashes`: runs of `/` become one `/` (HCM `merge_slashes`; a path of slashes only becomes `//`,
 *    as in Envoy).
 *
 * Measured against Envoy 1.40.0 (HTTP/1.1 through the four HCM settings, access-logged `:path`; vectors in
 * test/assembly/util/fixtures): every vector in Istio's normalization test and the %01..%FF table gives
 * Envoy's output, with these deliberate differences:
 * - Errors here, where Envoy answers 400 or passes the path on: `#` in the request target (Envoy 400; here
 *   the fragment is split off, for callers holding a full URL), malformed `%` (Envoy passes `%zz` through
 *   and rewrites `%%30%30` to `%2500`), `%00` without `normalize` (Envoy forwards it when normalize_path is
 *   off). Raw controls, space, DEL and non-ASCII (Envoy's HTTP/1 codec: 400) are percent-encoded as
 *   Chromium does, for paths from other sources.
 * - The `..;` rule: Envoy 1.40 applies it only to literal dots after a literal `/` (`/a/..;x/b` → `/b`,
 *   `/a/.;/b` → `/a/b`; older Envoys and Istio's normalization test table left `/..;/admin` alone). That
 *   makes Envoy's normalization non-idempotent: `/%2e%2e;/admin` is forwarded as `/..;/admin`, which a
 *   second normalization (or a Tomcat backend) reads as `/admin`. This helper also applies the rule to
 *   escaped dots and after `\`, so normalizing twice changes nothing and a policy on `/admin` sees such
 *   paths as `/admin`.
 *
 * Istio `meshConfig.pathNormalization.normalization` → options (pilot `listener_builder.go`):
 * - `NONE` → `PathOptions.none()`: only steps 1-2.
 * - `BASE` / `DEFAULT` → `PathOptions.base()`: `normalize` (+ `backslashToSlash`).
 * - `MERGE_SLASHES` → `PathOptions.mergeSlashes()`: BASE + `mergeSlashes`.
 * - `DECODE_AND_MERGE_SLASHES` → `PathOptions.decodeAndMergeSlashes()`: MERGE_SLASHES + `decodeSlashes`.
 */
import { decimalText, hexValue, TextBuffer } from "./text-buffer";

/** Which normalization steps {@link normalizePath} applies (see the file comment for the order). */
@final
export class PathOptions {
  constructor(
    /** Decode `%2F`/`%2f` to `/` and `%5C`/`%5c` to `\` before anything else. */
    public decodeSlashes: bool = false,
    /** Envoy `normalize_path`: decode unreserved escapes, escape unsafe characters, remove dot segments. */
    public normalize: bool = true,
    /** Turn `\` into `/` (part of Envoy's `normalize_path`). */
    public backslashToSlash: bool = true,
    /** Collapse runs of `/`. */
    public mergeSlashes: bool = false,
  ) {}

  /** Istio `NONE`: split and validate only. */
  static none(): PathOptions {
    return new PathOptions(false, false, false, false);
  }

  /** Istio `BASE` (the default): Envoy `normalize_path`. */
  static base(): PathOptions {
    return new PathOptions(false, true, true, false);
  }

  /** Istio `MERGE_SLASHES`: BASE + merge slashes. */
  static mergeSlashes(): PathOptions {
    return new PathOptions(false, true, true, true);
  }

  /** Istio `DECODE_AND_MERGE_SLASHES`: decode `%2F`/`%5C` + MERGE_SLASHES. The strictest setting. */
  static decodeAndMergeSlashes(): PathOptions {
    return new PathOptions(true, true, true, true);
  }
}

/** Result of {@link normalizePath}: `path` is set on success, `error` on failure. */
@final
export class PathResult {
  constructor(
    /** The normalized path (no query, no fragment); null on error. */
    public readonly path: string | null,
    /** The query without the leading `?` (unchanged); null when there was no `?`. */
    public readonly query: string | null,
    /** The fragment without the leading `#` (unchanged); null when there was no `#`. */
    public readonly fragment: string | null,
    /** What is wrong, e.g. `invalid percent-encoding at offset 5`; null on success. */
    public readonly error: string | null,
    /** Offset (UTF-16 index into the input) of the problem; -1 on success. */
    public readonly offset: i32,
  ) {}
}

function pathError(message: string, offset: i32): PathResult {
  return new PathResult(null, null, null, message + " at offset " + decimalText(offset), offset);
}

// Unreserved characters (RFC 3986 §2.3) that Envoy decodes from %XX: ALPHA DIGIT - . _ ~
// @ts-ignore: decorator
@inline
function isUnreserved(c: u32): bool {
  let lower = c | 0x20;
  return (lower >= 0x61 && lower <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2E ||
    c == 0x5F || c == 0x7E;
}

// Characters Chromium's path canonicalizer percent-encodes (besides non-ASCII): controls, space, " < > ^ ` { | } DEL.
// @ts-ignore: decorator
@inline
function mustEscape(c: u32): bool {
  return c <= 0x20 || c == 0x22 || c == 0x3C || c == 0x3E || c == 0x5E || c == 0x60 || c == 0x7B || c == 0x7C ||
    c == 0x7D || c == 0x7F;
}

/**
 * Normalizes the path of a request target (`:path`), returning the path, query and fragment separately, or
 * an error for a path that must be rejected (not starting with `/`, NUL, malformed `%`). Never traps. The
 * default options are Istio's `BASE` mode.
 */
export function normalizePath(raw: string, options: PathOptions = PathOptions.base()): PathResult {
  let length = raw.length;
  // 1. Split.
  let pathEnd = length;
  let queryStart = -1;
  let fragmentStart = -1;
  for (let i = 0; i < length; i++) {
    let c = raw.charCodeAt(i);
    if (c == 0) return pathError("NUL character in request target", i);
    if (c == 0x23) {
      if (fragmentStart < 0) {
        fragmentStart = i + 1;
        if (pathEnd == length) pathEnd = i;
      }
    } else if (c == 0x3F && pathEnd == length) {
      pathEnd = i;
      queryStart = i + 1;
    }
  }
  let query: string | null = null;
  if (queryStart >= 0) query = raw.substring(queryStart, fragmentStart >= 0 ? fragmentStart - 1 : length);
  let fragment: string | null = fragmentStart >= 0 ? raw.substring(fragmentStart) : null;

  // 2. Validate.
  if (pathEnd == 0) return pathError("empty path", 0);
  if (raw.charCodeAt(0) != 0x2F) return pathError("path does not start with '/'", 0);
  for (let i = 0; i < pathEnd; i++) {
    if (raw.charCodeAt(i) != 0x25) continue;
    if (i + 2 >= pathEnd || hexValue(raw.charCodeAt(i + 1)) < 0 || hexValue(raw.charCodeAt(i + 2)) < 0) {
      return pathError("invalid percent-encoding", i);
    }
    if (raw.charCodeAt(i + 1) == 0x30 && raw.charCodeAt(i + 2) == 0x30) {
      return pathError("encoded NUL (%00) in path", i);
    }
    i += 2;
  }

  let path = raw.substring(0, pathEnd);
  // 3. Decode escaped slashes.
  if (options.decodeSlashes) path = decodeEscapedSlashes(path);
  // 4. Canonicalize characters, then remove dot segments.
  if (options.normalize) {
    path = removeDotSegments(canonicalizeCharacters(path, options.backslashToSlash));
  } else if (options.backslashToSlash) {
    path = backslashesToSlashes(path);
  }
  // 5. Merge slashes.
  if (options.mergeSlashes) path = mergeSlashRuns(path);
  return new PathResult(path, query, fragment, null, -1);
}

// Every '\' → '/' (a character loop: `String#replaceAll` costs ~0.5 KB of code).
function backslashesToSlashes(path: string): string {
  if (path.indexOf("\\") < 0) return path;
  let n = path.length;
  let out = changetype<string>(__new(<usize>n << 1, idof<string>()));
  for (let i = 0; i < n; i++) {
    let c = path.charCodeAt(i);
    store<u16>(changetype<usize>(out) + (<usize>i << 1), <u16>(c == 0x5C ? 0x2F : c));
  }
  return out;
}

// %2F %2f → '/', %5C %5c → '\'; every other escape unchanged. Input has only well-formed escapes.
function decodeEscapedSlashes(path: string): string {
  if (path.indexOf("%") < 0) return path;
  let out = new TextBuffer(path.length);
  let length = path.length;
  for (let i = 0; i < length; i++) {
    let c = <u32>path.charCodeAt(i);
    if (c == 0x25 && i + 2 < length) {
      let hi = path.charCodeAt(i + 1);
      let lo = path.charCodeAt(i + 2) | 0x20;
      if (hi == 0x32 && lo == 0x66) { out.appendUnit(0x2F); i += 2; continue; }
      if (hi == 0x35 && lo == 0x63) { out.appendUnit(0x5C); i += 2; continue; }
    }
    out.appendUnit(c);
  }
  return out.toString();
}

// Decodes unreserved escapes, escapes unsafe characters, optionally turns '\' into '/'.
function canonicalizeCharacters(path: string, backslashToSlash: bool): string {
  let out = new TextBuffer(path.length + 8);
  let length = path.length;
  for (let i = 0; i < length; i++) {
    let c = <u32>path.charCodeAt(i);
    if (i > 0 && (c == 0x2E || c == 0x25)) {
      let previous = path.charCodeAt(i - 1);
      if (previous == 0x2F || (previous == 0x5C && backslashToSlash)) {
        // Segment start: `.;x` / `..;x` (path parameters after a dot segment) is `.` / `..`; the rest of the
        // segment up to the next '/' is dropped (see the file comment).
        let dots = dotsBeforeParameters(path, i);
        if (dots > 0) {
          out.appendUnit(0x2E);
          if (dots == 2) out.appendUnit(0x2E);
          let next = path.indexOf("/", i);
          i = (next < 0 ? length : next) - 1;
          continue;
        }
      }
    }
    if (c == 0x25) {
      // Validated: two hex digits follow.
      let value = <u32>((hexValue(path.charCodeAt(i + 1)) << 4) | hexValue(path.charCodeAt(i + 2)));
      if (isUnreserved(value)) out.appendUnit(value);
      else out.appendSlice(path, i, i + 3);
      i += 2;
    } else if (c == 0x5C && backslashToSlash) {
      out.appendUnit(0x2F);
    } else if (c < 0x80) {
      if (mustEscape(c)) out.appendPercentByte(c);
      else out.appendUnit(c);
    } else {
      // Non-ASCII: percent-encode the UTF-8 bytes; a lone surrogate is encoded as U+FFFD.
      let codePoint = c;
      if ((c & 0xFC00) == 0xD800 && i + 1 < length && (<u32>path.charCodeAt(i + 1) & 0xFC00) == 0xDC00) {
        codePoint = 0x10000 + ((c & 0x3FF) << 10) + (<u32>path.charCodeAt(i + 1) & 0x3FF);
        i++;
      } else if ((c & 0xF800) == 0xD800) {
        codePoint = 0xFFFD;
      }
      appendUtf8Escaped(out, codePoint);
    }
  }
  return out.toString();
}

// At a segment start `i`: the number of dots (1 or 2, each `.` or `%2e`/`%2E`) directly followed by ';', or 0.
function dotsBeforeParameters(path: string, i: i32): i32 {
  let length = path.length;
  let dots = 0;
  let j = i;
  while (dots < 2 && j < length) {
    let c = path.charCodeAt(j);
    if (c == 0x2E) {
      j++;
    } else if (c == 0x25 && j + 2 < length && path.charCodeAt(j + 1) == 0x32 && (path.charCodeAt(j + 2) | 0x20) == 0x65) {
      j += 3;
    } else {
      break;
    }
    dots++;
  }
  return dots > 0 && j < length && path.charCodeAt(j) == 0x3B ? dots : 0;
}

function appendUtf8Escaped(out: TextBuffer, cp: u32): void {
  if (cp < 0x800) {
    out.appendPercentByte(0xC0 | (cp >> 6));
  } else {
    if (cp < 0x10000) {
      out.appendPercentByte(0xE0 | (cp >> 12));
    } else {
      out.appendPercentByte(0xF0 | (cp >> 18));
      out.appendPercentByte(0x80 | ((cp >> 12) & 0x3F));
    }
    out.appendPercentByte(0x80 | ((cp >> 6) & 0x3F));
  }
  out.appendPercentByte(0x80 | (cp & 0x3F));
}

/**
 * RFC 3986 §5.2.4 remove_dot_segments for an absolute path (starts with `/`): `.` segments are dropped,
 * `..` drops the segment before it (never above the root), and a path ending in `.` or `..` keeps a
 * trailing `/`. Only literal `.` is a dot here: escapes have already been decoded.
 */
export function removeDotSegments(path: string): string {
  let length = path.length;
  let out = new TextBuffer(length);
  // Walk the segments after each '/'.
  let start = 1;
  while (start <= length) {
    let end = path.indexOf("/", start);
    if (end < 0) end = length;
    let last = end == length;
    let segmentLength = end - start;
    if (segmentLength == 1 && path.charCodeAt(start) == 0x2E) {
      if (last) out.appendUnit(0x2F);
    } else if (segmentLength == 2 && path.charCodeAt(start) == 0x2E && path.charCodeAt(start + 1) == 0x2E) {
      let slash = out.lastIndexOf(0x2F);
      out.truncate(slash < 0 ? 0 : slash);
      if (last) out.appendUnit(0x2F);
    } else {
      out.appendUnit(0x2F);
      out.appendSlice(path, start, end);
    }
    start = end + 1;
  }
  if (out.length == 0) return "/";
  return out.toString();
}

// Runs of '/' → one '/', exactly as Envoy's `PathTransformer::mergeSlashes`: "/" + the non-empty segments
// joined by '/' + "/" when the path ended with '/'. So a path of slashes only ("//", "///") becomes "//", an
// Envoy quirk kept on purpose: it is what the upstream receives (measured on Envoy 1.40).
function mergeSlashRuns(path: string): string {
  if (path.indexOf("//") < 0) return path;
  let out = new TextBuffer(path.length);
  out.appendUnit(0x2F);
  let wroteSegment = false;
  let length = path.length;
  let i = 0;
  while (i < length) {
    let next = path.indexOf("/", i);
    if (next < 0) next = length;
    if (next > i) {
      if (wroteSegment) out.appendUnit(0x2F);
      out.appendSlice(path, i, next);
      wroteSegment = true;
    }
    i = next + 1;
  }
  if (path.charCodeAt(length - 1) == 0x2F) out.appendUnit(0x2F);
  return out.toString();
}
