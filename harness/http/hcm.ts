/**
 * What Envoy's HTTP connection manager does to a request before any filter runs, and to a response after the
 * last one, limited to what a plugin or the client can observe (`conn_manager_impl.cc`,
 * `conn_manager_utility.cc mutateRequestHeaders/maybeNormalizePath/mutateResponseHeaders`):
 *
 * Request: hop-by-hop headers (`connection`, `keep-alive`, `proxy-connection`, `transfer-encoding`) removed;
 * optional path handling (escaped slashes, `normalize_path`, `merge_slashes`, in that order); `x-forwarded-proto`
 * set when absent; `x-request-id` generated when absent (always with `use_remote_address`); the downstream address:
 * with `use_remote_address` the peer (XFF gets the address appended), otherwise the XFF entry
 * `xff_num_trusted_hops` from the right when it parses as an IP (port 0), else the peer.
 *
 * Response (to the client, after the filters): `date` and `server: envoy` set, `connection`/`transfer-encoding`
 * removed; over HTTP/1 a headers-only response gets `content-length: 0`.
 */
import { isIP } from "node:net";
import { toByteString } from "../codec";
import { HeaderMap, REQUEST_INLINE_HEADERS } from "../state/header-map";

export type EscapedSlashesAction = "KEEP_UNCHANGED" | "REJECT_REQUEST" | "UNESCAPE_AND_REDIRECT" | "UNESCAPE_AND_FORWARD";

export interface HcmSettings {
  useRemoteAddress: boolean;
  xffNumTrustedHops: number;
  normalizePath: boolean;
  mergeSlashes: boolean;
  pathWithEscapedSlashesAction: EscapedSlashesAction;
}

export interface ClientRequest {
  method: string;
  path: string;
  authority: string;
  /** Extra headers as the client sends them (text). */
  headers: Array<[string, string]>;
  /** Body bytes in total (for the content-length the client sends). */
  bodyLength: number;
  hasTrailers: boolean;
  tls: boolean;
  protocol: "HTTP/1.1" | "HTTP/2";
}

export interface HcmRejection {
  code: number;
  details: string;
  /** Local reply body (codec errors: the status text; HCM checks: empty). */
  body: string;
  location?: string;
  /**
   * A codec error: the request never became a stream with a filter chain, so no plugin sees anything. Otherwise
   * (HCM checks in `decodeHeaders`) the filter chain exists: plugins get only the log phase (`on_log`, …).
   */
  beforeFilterChain: boolean;
}

export interface PreparedRequest {
  headers: HeaderMap;
  /** `source.address` after XFF processing. */
  remoteAddress: string;
  /** The connection manager answers itself; no filter's decode callbacks run. */
  reject?: HcmRejection;
}

/**
 * The methods Envoy's HTTP/1 codec (BalsaParser, `http1_balsa_allow_custom_methods` off) accepts: http-parser's
 * list, case-sensitive. Anything else is a codec error, 400 `http1.codec_error` (observed on Envoy 1.40 with
 * `delete`, `Delete`, `get`). HTTP/2 takes any token.
 */
export const HTTP1_METHODS: ReadonlySet<string> = new Set([
  "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK", "MERGE", "MKACTIVITY",
  "MKCALENDAR", "MKCOL", "MOVE", "MSEARCH", "NOTIFY", "OPTIONS", "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE",
  "PUT", "REBIND", "REPORT", "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
]);

/** Envoy `Utility::getLastAddressFromXFF`: the entry `numToSkip` from the right, if it is an IP. */
export function lastAddressFromXff(xff: string | undefined, numToSkip: number): string | null {
  if (xff === undefined) return null;
  const parts = xff.split(",").map((s) => s.trim());
  if (numToSkip >= parts.length) return null;
  const candidate = parts[parts.length - 1 - numToSkip]!;
  const kind = isIP(candidate);
  if (kind === 4) return `${candidate}:0`;
  if (kind === 6) return `[${candidate}]:0`;
  return null;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Approximates Envoy `PathUtil::canonicalPath` (Chromium canonicalizer): percent-encodings, `\`, dot segments. */
export function canonicalPath(path: string): string | null {
  const q = path.search(/[?#]/);
  const p = q < 0 ? path : path.slice(0, q);
  const rest = q < 0 ? "" : path.slice(q);
  let decoded = "";
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "%") {
      const hex = p.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
      const ch = String.fromCharCode(parseInt(hex, 16));
      decoded += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
      i += 2;
    } else if (c === "\\") {
      decoded += "/";
    } else {
      decoded += c;
    }
  }
  // RFC 3986 §5.2.4 remove_dot_segments.
  const out: string[] = [];
  const segments = decoded.split("/");
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === ".") {
      if (i === segments.length - 1) out.push("");
    } else if (s === "..") {
      out.pop();
      if (i === segments.length - 1) out.push("");
    } else {
      out.push(s);
    }
  }
  return `/${out.join("/")}${rest}`;
}

/**
 * Builds the request header map the first filter sees, from what the client sent. `random` supplies the
 * `x-request-id`.
 */
export function prepareRequest(
  req: ClientRequest,
  settings: HcmSettings,
  peer: string,
  localIp: string,
  ids: { uuid(): string },
): PreparedRequest {
  const headers = new HeaderMap(REQUEST_INLINE_HEADERS);
  // The codec's pseudo-headers (an HTTP/1 `host` header becomes `:authority`).
  let authority = req.authority;
  const userHeaders: Array<[string, string]> = [];
  for (const [k, v] of req.headers) {
    if (k.toLowerCase() === "host" && req.protocol === "HTTP/1.1") authority = v;
    else userHeaders.push([k, v]);
  }
  if (req.protocol === "HTTP/2") {
    // HTTP/2: pseudo-headers in the order the client sent them (`:method`, `:scheme`, `:authority`, `:path`).
    headers.add(":method", toByteString(req.method));
    headers.add(":scheme", req.tls ? "https" : "http");
    headers.add(":authority", toByteString(authority));
    headers.add(":path", toByteString(req.path));
  } else {
    // HTTP/1: the codec adds `:authority` (from Host), `:path`, `:method`; the HCM then `:scheme`.
    headers.add(":authority", toByteString(authority));
    headers.add(":path", toByteString(req.path));
    headers.add(":method", toByteString(req.method));
    headers.add(":scheme", req.tls ? "https" : "http");
  }
  for (const [k, v] of userHeaders) headers.add(toByteString(k), toByteString(v));
  if (req.protocol === "HTTP/1.1" && !HTTP1_METHODS.has(req.method)) {
    return {
      headers,
      remoteAddress: peer,
      reject: { code: 400, details: "http1.codec_error", body: "Bad Request", beforeFilterChain: true },
    };
  }
  // The client frames a known body with content-length — except an HTTP/1.1 body followed by trailers, which must
  // be chunked (the codec then removes transfer-encoding below).
  const chunked = req.protocol === "HTTP/1.1" && req.hasTrailers;
  if (req.bodyLength > 0 && !chunked && headers.get("content-length") === undefined && headers.get("transfer-encoding") === undefined) {
    headers.add("content-length", String(req.bodyLength));
  }

  for (const h of ["connection", "keep-alive", "proxy-connection", "transfer-encoding"]) headers.remove(h);

  let remoteAddress = peer;
  const proto = req.tls ? "https" : "http";
  if (settings.useRemoteAddress) {
    if (settings.xffNumTrustedHops > 0) {
      remoteAddress = lastAddressFromXff(headers.get("x-forwarded-for"), settings.xffNumTrustedHops - 1) ?? peer;
    }
    const peerIp = peer.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
    const xffEntry = peerIp.startsWith("127.") || peerIp === "::1" ? localIp : peerIp;
    const xff = headers.get("x-forwarded-for");
    headers.setInPlace("x-forwarded-for", xff === undefined ? xffEntry : `${xff},${xffEntry}`);
    if (settings.xffNumTrustedHops === 0 || headers.get("x-forwarded-proto") === undefined) headers.setInPlace("x-forwarded-proto", proto);
    // An edge request (use_remote_address and the remote address not internal — Envoy 1.40 treats no address as
    // internal unless `internal_address_config` says so, loopback included): the first ingress into the trusted
    // network records the client address and drops a client-sent `x-envoy-internal`.
    headers.remove("x-envoy-internal");
    const remoteIp = remoteAddress.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
    if (isIP(remoteIp)) headers.setInPlace("x-envoy-external-address", remoteIp);
  } else {
    remoteAddress = lastAddressFromXff(headers.get("x-forwarded-for"), settings.xffNumTrustedHops) ?? peer;
  }
  if (headers.get("x-forwarded-proto") === undefined) headers.add("x-forwarded-proto", proto);
  if (settings.useRemoteAddress || headers.get("x-request-id") === undefined) headers.setInPlace("x-request-id", ids.uuid());

  // Path handling (ConnectionManagerUtility::maybeNormalizePath).
  const originalPath = headers.get(":path") ?? "/";
  let path = originalPath;
  let redirect = false;
  if (settings.pathWithEscapedSlashesAction !== "KEEP_UNCHANGED") {
    const q = path.search(/[?#]/);
    const p = q < 0 ? path : path.slice(0, q);
    if (/%2f|%5c/i.test(p)) {
      if (settings.pathWithEscapedSlashesAction === "REJECT_REQUEST") {
        return { headers, remoteAddress, reject: { code: 400, details: "path_normalization_failed", body: "", beforeFilterChain: false } };
      }
      path = p.replace(/%2f/gi, "/").replace(/%5c/gi, "\\") + (q < 0 ? "" : path.slice(q));
      redirect = settings.pathWithEscapedSlashesAction === "UNESCAPE_AND_REDIRECT";
    }
  }
  if (settings.normalizePath) {
    const c = canonicalPath(path);
    if (c === null) {
      return { headers, remoteAddress, reject: { code: 400, details: "path_normalization_failed", body: "", beforeFilterChain: false } };
    }
    path = c;
  }
  if (settings.mergeSlashes) {
    const q = path.search(/[?#]/);
    const p = q < 0 ? path : path.slice(0, q);
    path = p.replace(/\/{2,}/g, "/") + (q < 0 ? "" : path.slice(q));
  }
  if (path !== originalPath) headers.setInPlace(":path", path);
  if (redirect) {
    return {
      headers,
      remoteAddress,
      reject: { code: 307, details: "path_normalization_failed", body: "", location: path, beforeFilterChain: false },
    };
  }
  return { headers, remoteAddress };
}

/** The connection manager's last touches before the codec, applied to the map the filters saw. */
export function mutateResponseHeaders(headers: HeaderMap, dateValue: string): void {
  headers.remove("connection");
  headers.remove("transfer-encoding");
  headers.set("date", dateValue);
  headers.set("server", "envoy");
}

/** The codec's framing as an HTTP/1.1 client sees it: a headers-only response says `content-length: 0`. */
export function http1Framing(headers: HeaderMap, endStreamOnHeaders: boolean, isHead: boolean): void {
  const status = Number(headers.get(":status") ?? 0);
  if (
    endStreamOnHeaders &&
    !isHead &&
    status >= 200 &&
    status !== 204 &&
    status !== 304 &&
    headers.get("content-length") === undefined &&
    headers.get("transfer-encoding") === undefined
  ) {
    headers.add("content-length", "0");
  }
}
