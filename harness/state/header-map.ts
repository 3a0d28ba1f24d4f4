/**
 * An Envoy header map (`source/common/http/header_map_impl.{h,cc}`), with the behaviours a plugin can observe:
 *
 * - keys are lower-cased (ASCII only, like `absl::AsciiStrToLower` in `Http::LowerCaseString`);
 * - pseudo-headers (`:path` …) always come before regular headers, each group in insertion order;
 * - repeated *regular* headers are separate entries, but Envoy's **inline** (O(1)) headers hold one entry, and
 *   adding a second value appends it with a comma (`HeaderMapImpl::insertByKey` → `appendToHeader`), e.g. adding
 *   `content-type` twice gives one `content-type: a,b`;
 * - `set` (`setCopy`) removes every entry of the key and appends one (runtime feature
 *   `http_set_copy_replace_all_headers`, on by default), so a replaced header moves to the end;
 * - `byteSize()` is the sum of key and value lengths (`HeaderMapImpl::byteSize`), which Envoy returns from
 *   `proxy_get_header_map_size`.
 *
 * Names and values are byte strings (see `codec.ts`).
 */
import type { BytePair } from "../codec";

/** Envoy `INLINE_REQ_*` + `INLINE_REQ_RESP_*` headers, plus `referer` (registered by the CEL attribute context). */
export const REQUEST_INLINE_HEADERS: ReadonlySet<string> = new Set([
  "x-client-trace-id",
  "x-envoy-downstream-service-cluster",
  "x-envoy-downstream-service-node",
  "x-envoy-external-address",
  "x-envoy-force-trace",
  "x-envoy-hedge-on-per-try-timeout",
  "x-envoy-internal",
  "x-envoy-ip-tags",
  "x-envoy-retry-on",
  "x-envoy-retry-grpc-on",
  "x-envoy-retriable-status-codes",
  "x-envoy-retriable-header-names",
  "x-envoy-is-timeout-retry",
  "x-envoy-original-path",
  "x-envoy-original-url",
  "x-envoy-upstream-alt-stat-name",
  "x-envoy-upstream-rq-timeout-alt-response",
  "expect",
  "x-forwarded-client-cert",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "grpc-timeout",
  ":authority",
  ":method",
  ":path",
  ":protocol",
  ":scheme",
  "te",
  "user-agent",
  "x-envoy-expected-rq-timeout-ms",
  "x-envoy-max-retries",
  "x-envoy-upstream-rq-timeout-ms",
  "x-envoy-upstream-rq-per-try-timeout-ms",
  "x-envoy-upstream-stream-duration-ms",
  "connection",
  "content-type",
  "x-envoy-decorator-operation",
  "keep-alive",
  "proxy-connection",
  "proxy-status",
  "x-request-id",
  "transfer-encoding",
  "upgrade",
  "via",
  "content-length",
  "x-envoy-attempt-count",
  "referer",
]);

/** Envoy `INLINE_RESP_*` + `INLINE_REQ_RESP_*` + `INLINE_RESP_HEADERS_TRAILERS`. */
export const RESPONSE_INLINE_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "content-type",
  "x-envoy-decorator-operation",
  "keep-alive",
  "proxy-connection",
  "proxy-status",
  "x-request-id",
  "transfer-encoding",
  "upgrade",
  "via",
  "content-length",
  "x-envoy-attempt-count",
  "date",
  "x-envoy-degraded",
  "x-envoy-immediate-health-check-fail",
  "x-envoy-ratelimited",
  "x-envoy-upstream-canary",
  "x-envoy-upstream-healthchecked-cluster",
  "location",
  "server",
  "x-envoy-upstream-service-time",
  ":status",
  "grpc-message",
  "grpc-status",
]);

/** Trailers: only `grpc-message`/`grpc-status` are inline (`INLINE_RESP_HEADERS_TRAILERS`). */
export const TRAILER_INLINE_HEADERS: ReadonlySet<string> = new Set(["grpc-message", "grpc-status"]);

/** No inline headers (callout responses and gRPC metadata are built with `addCopy` into plain maps too). */
export const NO_INLINE_HEADERS: ReadonlySet<string> = new Set();

const UPPER_ALL = /[A-Z]/g;
const toLower = (c: string): string => String.fromCharCode(c.charCodeAt(0) + 32);

/** ASCII-only lower-casing, as Envoy's `LowerCaseString` (bytes ≥ 0x80 are left alone). */
export function lowerCaseKey(key: string): string {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 65 && c <= 90) return key.replace(UPPER_ALL, toLower);
  }
  return key;
}

export class HeaderMap {
  /** Entries in iteration order. Exposed for fast read-only iteration; mutate only through the methods. */
  readonly entries: BytePair[] = [];
  private pseudoCount = 0;
  private bytes = 0;

  constructor(readonly inline: ReadonlySet<string> = NO_INLINE_HEADERS) {}

  static from(pairs: Iterable<readonly [string, string]>, inline?: ReadonlySet<string>): HeaderMap {
    const map = new HeaderMap(inline);
    for (const [k, v] of pairs) map.add(k, v);
    return map;
  }

  get size(): number {
    return this.entries.length;
  }

  /** `HeaderMapImpl::byteSize()`: Σ key + value lengths. */
  byteSize(): number {
    return this.bytes;
  }

  /** First value of `key`, or undefined (Envoy's `get(key)[0]`). */
  get(key: string): string | undefined {
    const k = lowerCaseKey(key);
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) if (entries[i]![0] === k) return entries[i]![1];
    return undefined;
  }

  /** Every value of `key`, in order. */
  getAll(key: string): string[] {
    const k = lowerCaseKey(key);
    const out: string[] = [];
    for (const e of this.entries) if (e[0] === k) out.push(e[1]);
    return out;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** `addCopy`: append an entry; for an inline header that exists already, append `,value` to it. */
  add(key: string, value: string): void {
    const k = lowerCaseKey(key);
    if (this.inline.has(k)) {
      const entries = this.entries;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        if (e[0] === k) {
          // Envoy's delimiterByHeader: "," for everything but cookie.
          const appended = e[1].length === 0 ? value : `${e[1]},${value}`;
          this.bytes += appended.length - e[1].length;
          entries[i] = [k, appended];
          return;
        }
      }
    }
    this.bytes += k.length + value.length;
    if (k.charCodeAt(0) === 58 /* ':' */) {
      this.entries.splice(this.pseudoCount, 0, [k, value]);
      this.pseudoCount++;
    } else {
      this.entries.push([k, value]);
    }
  }

  /** `setCopy`: remove all entries of `key`, then add one (an upsert that moves the header to the end). */
  set(key: string, value: string): void {
    const k = lowerCaseKey(key);
    const entries = this.entries;
    let found = false;
    for (let i = 0; i < entries.length; i++) {
      if (entries[i]![0] === k) {
        found = true;
        break;
      }
    }
    if (found) this.remove(k);
    this.add(k, value);
  }

  /**
   * An inline setter (`setPath`, `setForwardedProto`…): updates the existing entry where it is, or adds one. Used by
   * the host's own mutations; plugins' `replace` goes through {@link set}.
   */
  setInPlace(key: string, value: string): void {
    const k = lowerCaseKey(key);
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e[0] === k) {
        this.bytes += value.length - e[1].length;
        entries[i] = [k, value];
        return;
      }
    }
    this.add(k, value);
  }

  /** `remove`: drops every entry of `key`; absent keys are fine. */
  remove(key: string): void {
    const k = lowerCaseKey(key);
    const entries = this.entries;
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!;
      if (e[0] === k) {
        this.bytes -= e[0].length + e[1].length;
        entries.splice(i, 1);
        if (i < this.pseudoCount) this.pseudoCount--;
      }
    }
  }

  clear(): void {
    this.entries.length = 0;
    this.pseudoCount = 0;
    this.bytes = 0;
  }

  /** A copy of the entries. */
  pairs(): BytePair[] {
    return this.entries.map((e) => [e[0], e[1]]);
  }

  clone(inline: ReadonlySet<string> = this.inline): HeaderMap {
    const map = new HeaderMap(inline);
    for (const e of this.entries) map.add(e[0], e[1]);
    return map;
  }
}
