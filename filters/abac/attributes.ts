/**
 * Per-request attribute readings, fetched lazily from the host and cached for the request: only the attributes
 * a candidate rule consults are read, and each at most once. Request headers are read with one
 * `proxy_get_header_map_pairs` (all values of repeated headers), never `get_header_map_value` (first value only,
 * authz-and-metadata.md §0.3).
 *
 * A reading lists every way the attribute can be read ("views", see evaluate.ts): e.g. a repeated header is read
 * joined with "," (what Envoy RBAC matches) and value by value. Where the README says so, `broad` adds readings
 * that may denote the same thing (a host without its port).
 */
import {
  asciiLower,
  decimalText,
  decodeUtf8LossyBuffer,
  encodeUtf8,
  splitAt,
  getProperty,
  getPropertyBool,
  getPropertyInt64,
  getPropertyString,
  headerPairsBlock,
  MapType,
  pairValues,
} from "../../assembly";
import { decodeUtf8Lossy } from "../../assembly/codec/text";
import { normalizePath, PathOptions } from "../../assembly/util/path";
import { IpAddress, parseIp, parseIpPort } from "../../assembly/util/cidr";
import { decodeFilterMetadata, MetaKind, MetaValue } from "./metadata";
import { AttrId, AttrRef } from "./model";
import { AbacSettings, EscapedSlashes, IdentitySource, RemoteIpSource, SourceIpSource } from "./settings";

export enum ReadingState {
  /** Legitimately absent (no such header, no JWT, no client certificate): Istio semantics apply. */
  Absent = 0,
  /** Should exist but could not be read (a network address, an unusable path): resolves toward denial. */
  Unknown = 1,
  Present = 2,
}

/** One attribute's readings. Each view is a list of strings that matches when any element matches. */
@final
export class Reading {
  constructor(
    public state: ReadingState,
    public strict: Array<string[]>,
    public broad: Array<string[]>,
    /** IP readings only: the addresses, one per view (`ipReading`). */
    public ips: IpAddress[],
    /** Metadata readings only: whether `strict[i]` came from a list value (Istio `[v]` matches only those). */
    public lists: bool[] = NO_LISTS,
  ) {}
}

// Shared empty lists: readings are never modified once built, so one empty list serves every reading without IP
// addresses, list flags or views (each `[]` literal would be a static buffer of its own in the module).
const NO_IPS: IpAddress[] = [];
const NO_LISTS: bool[] = [];
const NO_VIEWS: Array<string[]> = [];
const NO_STRINGS: string[] = [];

/** Envoy `source.address` (read-only here: a literal would allocate a list per read). */
const SOURCE_ADDRESS = ["source", "address"];

/** The views of an address reading (see `ipReading`): view `i` stands for `ips[i]`. */
const ONE_IP_VIEW: Array<string[]> = [NO_STRINGS];
const TWO_IP_VIEWS: Array<string[]> = [NO_STRINGS, NO_STRINGS];

const ABSENT = new Reading(ReadingState.Absent, NO_VIEWS, NO_VIEWS, NO_IPS);
const UNKNOWN = new Reading(ReadingState.Unknown, NO_VIEWS, NO_VIEWS, NO_IPS);

function single(value: string): Reading {
  let v = [value];
  let views = [v];
  return new Reading(ReadingState.Present, views, views, NO_IPS);
}

function addView(views: Array<string[]>, value: string): void {
  for (let i = 0, n = views.length; i < n; i++) {
    let v = unchecked(views[i]);
    if (v.length == 1 && unchecked(v[0]) == value) return;
  }
  views.push([value]);
}

@final
export class RequestAttributes {
  /** The request headers as the host serialized them (`headerPairsBlock`), read once; freed by `release`. */
  private headerBlock: usize = 0;
  // Readings by `AttrRef.slot`; a slot holds this request's reading when its stamp equals `generation`. The
  // object is reused from request to request (one per root context; callbacks never overlap), so a request
  // allocates no cache, and a new request invalidates every reading by bumping `generation`.
  private readings: Reading[] = [];
  private stamps: i32[] = [];
  private generation: i32 = 0;
  private jwtLoaded: bool = false;
  private jwt: MetaValue | null = null;
  private metadataBytes: ArrayBuffer | null = null;
  private metadataLoaded: bool = false;
  /** Set when a network attribute the proxy should provide was missing (counted, warned once per VM). */
  usedUnavailable: bool = false;
  /** Set when the request path could not be read safely (client input: counted, not warned). */
  usedUnusablePath: bool = false;
  /** The raw `:path` (for log lines), filled on first path read. */
  rawPath: string | null = null;

  constructor(public settings: AbacSettings) {}

  /**
   * Starts a request: forgets the previous request's readings and reads the request headers (one
   * `proxy_get_header_map_pairs`; only the values a rule consults are decoded, in `headerValues`). Call
   * `release` before the callback returns.
   */
  begin(): void {
    if (++this.generation == i32.MAX_VALUE) {
      // Every stamp is older than any generation from now on once the cache starts empty.
      this.generation = 1;
      this.stamps = [];
      this.readings = [];
    }
    this.jwtLoaded = false;
    this.jwt = null;
    this.metadataBytes = null;
    this.metadataLoaded = false;
    this.usedUnavailable = false;
    this.usedUnusablePath = false;
    this.rawPath = null;
    this.release();
    this.headerBlock = headerPairsBlock(MapType.HttpRequestHeaders);
  }

  /** Frees the header block (allocated by the host through the module's allocator, never collected). */
  release(): void {
    if (this.headerBlock != 0) heap.free(this.headerBlock);
    this.headerBlock = 0;
  }

  reading(attr: AttrRef): Reading {
    let slot = attr.slot;
    let stamps = this.stamps;
    while (stamps.length <= slot) {
      stamps.push(0);
      this.readings.push(ABSENT);
    }
    if (unchecked(stamps[slot]) == this.generation) return unchecked(this.readings[slot]);
    let r = this.compute(attr);
    if (r.state == ReadingState.Unknown) {
      if (attr.id == AttrId.Path) this.usedUnusablePath = true;
      else this.usedUnavailable = true;
    }
    unchecked((stamps[slot] = this.generation));
    unchecked((this.readings[slot] = r));
    return r;
  }

  private compute(attr: AttrRef): Reading {
    switch (attr.id) {
      case AttrId.Header:
        return this.header(attr.name);
      case AttrId.Method:
        return this.method();
      case AttrId.Host:
        return this.host();
      case AttrId.Path:
        return this.path();
      case AttrId.Query:
        return this.query(attr.name);
      case AttrId.DestinationPort: {
        let port = getPropertyInt64(["destination", "port"]);
        return port === null ? UNKNOWN : single(decimalText(port.value));
      }
      case AttrId.DestinationIp: {
        let addr = getPropertyString(["destination", "address"]);
        return addr === null ? UNKNOWN : ipReading(addressIp(addr));
      }
      case AttrId.SourceIp:
        return this.sourceIp();
      case AttrId.RemoteIp:
        return this.remoteIp();
      case AttrId.Sni: {
        let sni = getPropertyString(["connection", "requested_server_name"]);
        return sni === null ? ABSENT : single(sni);
      }
      case AttrId.Identity: {
        let names = this.identityNames();
        if (names === null) return ABSENT;
        let views: Array<string[]> = [names];
        return new Reading(ReadingState.Present, views, views, NO_IPS);
      }
      case AttrId.RequestPrincipal: {
        let payload = this.jwtPayload();
        if (payload === null) return ABSENT;
        let iss = payload.field("iss");
        let sub = payload.field("sub");
        if (iss === null || sub === null || iss.kind != MetaKind.String || sub.kind != MetaKind.String) return ABSENT;
        let views = [[iss.str, sub.str]];
        return new Reading(ReadingState.Present, views, views, NO_IPS);
      }
      case AttrId.Claim:
        return this.claim(attr.path);
      case AttrId.Metadata:
        return metaReading(this.metadataField(attr.name, attr.path), false);
      case AttrId.Property:
        return this.property(attr.path);
    }
    return ABSENT;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Headers
  // -------------------------------------------------------------------------------------------------------------

  /** Every value of header `name` (lower-case), in order (invalid UTF-8 → U+FFFD, as the SDK's `pairs()`). */
  headerValues(name: string): string[] {
    return pairValues(this.headerBlock, name);
  }

  private header(name: string): Reading {
    let values = this.headerValues(name);
    if (values.length == 0) return ABSENT;
    let views = new Array<string[]>();
    // Envoy RBAC matches the values joined with "," (HeaderUtility::getAllOfHeaderAsString).
    addView(views, values.join(","));
    for (let i = 0, n = values.length; i < n; i++) addView(views, unchecked(values[i]));
    return new Reading(ReadingState.Present, views, views, NO_IPS);
  }

  private method(): Reading {
    let values = this.headerValues(":method");
    if (values.length == 0) return ABSENT;
    let views = new Array<string[]>();
    addView(views, values.join(","));
    for (let i = 0, n = values.length; i < n; i++) {
      addView(views, unchecked(values[i]));
      addView(views, asciiUpper(unchecked(values[i])));
    }
    return new Reading(ReadingState.Present, views, views, NO_IPS);
  }

  private host(): Reading {
    let values = this.headerValues(":authority");
    if (values.length == 0) return ABSENT;
    let strict = new Array<string[]>();
    let broad = new Array<string[]>();
    let all = [values.join(",")];
    for (let i = 0, n = values.length; i < n; i++) all.push(unchecked(values[i]));
    for (let i = 0, n = all.length; i < n; i++) {
      let lower = asciiLower(unchecked(all[i]));
      let portAt = portStart(lower);
      let host = lower.substring(0, portAt);
      let port = lower.substring(portAt);
      let noDot = host.endsWith(".") ? host.substring(0, host.length - 1) : host;
      let noDotPort = noDot === host ? lower : noDot + port;
      addView(strict, lower);
      addView(strict, noDotPort);
      addView(broad, lower);
      addView(broad, noDotPort);
      addView(broad, host);
      addView(broad, noDot);
    }
    return new Reading(ReadingState.Present, strict, broad, NO_IPS);
  }

  private path(): Reading {
    let values = this.headerValues(":path");
    if (values.length == 0) return ABSENT;
    if (values.length > 1) return UNKNOWN;
    let raw = unchecked(values[0]);
    this.rawPath = raw;
    let s = this.settings;
    let end = queryOrFragmentStart(raw);
    if (s.escapedSlashes == EscapedSlashes.Reject && hasEscapedSlash(raw, end)) return UNKNOWN;
    let received = raw.substring(0, end);
    // The common case, without the normalizer's allocations: every view below equals the path as received.
    if (isPlainPath(received) && raw.indexOf("\u0000", end) < 0) return single(received);
    let options = new PathOptions(s.escapedSlashes == EscapedSlashes.Decode, true, s.backslashToSlash, s.mergeSlashes);
    let normalized = normalizePath(raw, options).path;
    if (normalized === null) return UNKNOWN;
    let views = new Array<string[]>();
    addView(views, normalized);
    // What Envoy RBAC's url_path matches: the path as received, without query and fragment.
    addView(views, received);
    // Backends that merge slashes before resolving dot segments (`/a//../b` → `/b`, not `/a/b`).
    if (received.indexOf("//") >= 0) {
      let merged = normalizePath(collapseSlashes(received), options).path;
      if (merged === null) return UNKNOWN;
      addView(views, merged);
    }
    // Backends that drop `;parameters` from segments (`/admin;x`, `/a/..;/admin`).
    if (received.indexOf(";") >= 0) {
      let stripped = normalizePath(stripSegmentParameters(collapseSlashes(received)), options).path;
      if (stripped === null) return UNKNOWN;
      addView(views, stripped);
    }
    return new Reading(ReadingState.Present, views, views, NO_IPS);
  }

  /** Raw values of every occurrence of query parameter `name` (raw or decoded name), in order; null: no query. */
  private queryOccurrences(name: string): string[] | null {
    let values = this.headerValues(":path");
    if (values.length != 1) return null;
    let raw = unchecked(values[0]);
    let q = raw.indexOf("?");
    if (q < 0) return null;
    let end = raw.indexOf("#", q + 1);
    if (end < 0) end = raw.length;
    let out = new Array<string>();
    let start = q + 1;
    while (start <= end) {
      let amp = raw.indexOf("&", start);
      if (amp < 0 || amp > end) amp = end;
      if (amp > start) {
        let eq = raw.indexOf("=", start);
        if (eq < 0 || eq > amp) eq = amp;
        let rawName = raw.substring(start, eq);
        if (rawName == name || decodeQueryComponent(rawName) == name) {
          out.push(eq < amp ? raw.substring(eq + 1, amp) : "");
        }
      }
      start = amp + 1;
    }
    return out;
  }

  /** Every occurrence, read raw and form-decoded. */
  private query(name: string): Reading {
    let occurrences = this.queryOccurrences(name);
    if (occurrences === null || occurrences.length == 0) return ABSENT;
    let views = new Array<string[]>();
    for (let i = 0, n = occurrences.length; i < n; i++) {
      let rawValue = unchecked(occurrences[i]);
      addView(views, rawValue);
      addView(views, decodeQueryComponent(rawValue));
    }
    return new Reading(ReadingState.Present, views, views, NO_IPS);
  }

  /** The decoded value of a parameter that occurs exactly once, or null. */
  querySingle(name: string): string | null {
    let occurrences = this.queryOccurrences(name);
    if (occurrences === null || occurrences.length != 1) return null;
    return decodeQueryComponent(unchecked(occurrences[0]));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Network
  // -------------------------------------------------------------------------------------------------------------

  private sourceIp(): Reading {
    let s = this.settings;
    let text: string | null =
      s.sourceIpSource == SourceIpSource.SourceAddress
        ? getPropertyString(SOURCE_ADDRESS)
        : getPropertyString(["filter_state", s.sourceIpFilterStateKey]);
    return text === null ? UNKNOWN : ipReading(addressIp(text));
  }

  private remoteIp(): Reading {
    let s = this.settings;
    if (s.remoteIpSource == RemoteIpSource.Xff) {
      let entries = new Array<string>();
      let lines = this.headerValues("x-forwarded-for");
      for (let i = 0, n = lines.length; i < n; i++) {
        let parts = splitAt(unchecked(lines[i]), 0x2C);
        for (let k = 0, m = parts.length; k < m; k++) {
          let e = unchecked(parts[k]).trim();
          if (e.length > 0) entries.push(e);
        }
      }
      let pick = entries.length - 1 - s.xffNumTrustedHops;
      if (pick >= 0) {
        let ip = addressIp(unchecked(entries[pick]));
        if (ip !== null) return ipReading(ip);
      }
    }
    let addr = getPropertyString(SOURCE_ADDRESS);
    return addr === null ? UNKNOWN : ipReading(addressIp(addr));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Identity
  // -------------------------------------------------------------------------------------------------------------

  /**
   * The peer's names, in Envoy RBAC `authenticated` order: URI SAN, DNS SAN, subject (Envoy exposes the first SAN
   * of each kind to Wasm); or the waypoint's filter-state principal. Null when there is no peer identity.
   */
  identityNames(): string[] | null {
    let s = this.settings;
    if (s.identitySource != IdentitySource.Tls) {
      let fs = getProperty(["filter_state", s.peerPrincipalFilterStateKey]);
      if (fs !== null) return [decodeUtf8LossyBuffer(fs)];
      if (s.identitySource == IdentitySource.FilterState) return null;
    }
    let mtls = getPropertyBool(["connection", "mtls"]);
    if (mtls === null || !mtls.value) return null;
    let names = new Array<string>();
    let uri = getPropertyString(["connection", "uri_san_peer_certificate"]);
    if (uri !== null) names.push(uri);
    let dns = getPropertyString(["connection", "dns_san_peer_certificate"]);
    if (dns !== null) names.push(dns);
    let subject = getPropertyString(["connection", "subject_peer_certificate"]);
    names.push(subject !== null ? subject : "");
    return names;
  }

  /** The principal for logs and relations: the first name without `spiffe://`, or null. */
  principal(): string | null {
    let names = this.identityNames();
    if (names === null || names.length == 0) return null;
    let first = unchecked(names[0]);
    return first.startsWith("spiffe://") ? first.substring(9) : null;
  }

  // -------------------------------------------------------------------------------------------------------------
  // JWT and dynamic metadata
  // -------------------------------------------------------------------------------------------------------------

  private metadataField(namespace: string, path: string[]): MetaValue | null {
    if (!this.metadataLoaded) {
      this.metadataLoaded = true;
      this.metadataBytes = getProperty(["metadata"]);
    }
    let bytes = this.metadataBytes;
    if (bytes === null) return null;
    let v: MetaValue | null = decodeFilterMetadata(bytes, namespace);
    for (let i = 0, n = path.length; i < n && v !== null; i++) v = v.field(unchecked(path[i]));
    return v;
  }

  jwtPayload(): MetaValue | null {
    if (!this.jwtLoaded) {
      this.jwtLoaded = true;
      let p = this.metadataField(this.settings.jwtMetadataNamespace, [this.settings.jwtPayloadKey]);
      this.jwt = p !== null && p.kind == MetaKind.Struct ? p : null;
    }
    return this.jwt;
  }

  claimValue(path: string[]): MetaValue | null {
    let v = this.jwtPayload();
    for (let i = 0, n = path.length; i < n && v !== null; i++) v = v.field(unchecked(path[i]));
    return v;
  }

  private claim(path: string[]): Reading {
    let v = this.claimValue(path);
    let split = path.length == 1 && this.settings.spaceDelimitedClaims.includes(unchecked(path[0]));
    return metaReading(v, split);
  }

  private property(path: string[]): Reading {
    let bytes = getProperty(path);
    if (bytes === null) return ABSENT;
    return single(renderProperty(path, bytes));
  }
}

/** String rendering of a property: typed Envoy attributes as decimal / true|false, others as UTF-8 text. */
export function renderProperty(path: string[], bytes: ArrayBuffer): string {
  let key = path.join(".");
  if (bytes.byteLength == 8 && isIntProperty(key)) return decimalText(load<i64>(changetype<usize>(bytes)));
  if (bytes.byteLength == 1 && key == "connection.mtls") return load<u8>(changetype<usize>(bytes)) != 0 ? "true" : "false";
  return decodeUtf8LossyBuffer(bytes);
}

function isIntProperty(key: string): bool {
  return (
    key == "source.port" ||
    key == "destination.port" ||
    key == "request.headers_bytes" ||
    key == "request.size" ||
    key == "request.total_size" ||
    key == "connection.id" ||
    key == "connection_id" ||
    key == "xds.listener_direction" ||
    key == "upstream.port"
  );
}

/** A metadata / claim value as a reading: a string is one view; a list is one view of its string elements. */
function metaReading(v: MetaValue | null, splitSpaces: bool): Reading {
  if (v === null || v.kind == MetaKind.Null) return ABSENT;
  let views = new Array<string[]>();
  let lists = new Array<bool>();
  if (v.kind == MetaKind.String) {
    views.push([v.str]);
    lists.push(false);
    // jwt_authn normalize_payload_in_metadata.space_delimited_claims: also read split (Istio's intent).
    if (splitSpaces) {
      views.push(splitOnSpaces(v.str));
      lists.push(true);
    }
  } else if (v.kind == MetaKind.List) {
    let items = new Array<string>();
    for (let i = 0, n = v.items.length; i < n; i++) {
      let e = unchecked(v.items[i]);
      if (e.kind == MetaKind.String) items.push(e.str);
    }
    views.push(items);
    lists.push(true);
  } else {
    views.push(NO_STRINGS); // present, but no string matcher matches a number, bool or struct
    lists.push(false);
  }
  return new Reading(ReadingState.Present, views, views, NO_IPS, lists);
}

function splitOnSpaces(s: string): string[] {
  let out = new Array<string>();
  let parts = splitAt(s, 0x20);
  for (let i = 0, n = parts.length; i < n; i++) {
    if (unchecked(parts[i]).length > 0) out.push(unchecked(parts[i]));
  }
  return out;
}

/** `1.2.3.4:80`, `[::1]:80`, or a bare address; null when not an IP. */
export function addressIp(text: string): IpAddress | null {
  let t = text.trim();
  let withPort = parseIpPort(t);
  let ipPort = withPort.value;
  if (ipPort !== null) return ipPort.address;
  let bare = parseIp(t.startsWith("[") && t.endsWith("]") ? t.substring(1, t.length - 1) : t);
  return bare.value;
}

/**
 * An address reading: the address, plus (for an IPv4-mapped IPv6 address) the IPv4 form as a second view. Only
 * the CIDR matcher reads addresses (every `*ipBlocks` / `*.ip` constraint is `MatcherKind.Ip`), and it reads
 * `ips`, so the views are shared empty placeholders, one per address: no text form is built per request.
 */
function ipReading(address: IpAddress | null): Reading {
  if (address === null) return UNKNOWN;
  let ip: IpAddress = address;
  if (!ip.isIpv4Mapped()) return new Reading(ReadingState.Present, ONE_IP_VIEW, ONE_IP_VIEW, [ip]);
  return new Reading(ReadingState.Present, TWO_IP_VIEWS, TWO_IP_VIEWS, [ip, ip.unmapped()]);
}

/** Offset where a `:port` suffix starts in a lower-cased authority, or its length. */
function portStart(a: string): i32 {
  let n = a.length;
  let i = n - 1;
  while (i >= 0 && a.charCodeAt(i) >= 0x30 && a.charCodeAt(i) <= 0x39) i--;
  if (i < 0 || i == n - 1 || a.charCodeAt(i) != 0x3a) return n;
  // IPv6 literal: the colon must follow ']'; a bare IPv6 address has no port.
  if (a.startsWith("[")) return i > 0 && a.charCodeAt(i - 1) == 0x5d ? i : n;
  return a.indexOf(":") == i ? i : n;
}

/** Bit `c` (of 128): `c` is one of `A-Z a-z 0-9 - . _ ~ /`, which no normalization changes. */
const PLAIN_LOW: u64 = 0x03ff_e000_0000_0000; // - . / 0-9
const PLAIN_HIGH: u64 = 0x47ff_fffe_87ff_fffe; // A-Z _ a-z ~

/**
 * A path that every normalization leaves as it is: starts with `/`, only `PLAIN_*` characters, no `//`, and no
 * segment starting with `.` (so no dot segment, no `%`, `\`, `;` or character the normalizer escapes).
 */
function isPlainPath(path: string): bool {
  let previous: u32 = 0;
  for (let i = 0, n = path.length; i < n; i++) {
    let c = <u32>load<u16>(changetype<usize>(path) + (<usize>i << 1));
    if (c >= 0x80 || (((c < 64 ? PLAIN_LOW : PLAIN_HIGH) >> (c & 63)) & 1) == 0) return false;
    if ((c == 0x2f || c == 0x2e) && previous == 0x2f) return false;
    previous = c;
  }
  return path.startsWith("/");
}

function queryOrFragmentStart(raw: string): i32 {
  for (let i = 0, n = raw.length; i < n; i++) {
    let c = raw.charCodeAt(i);
    if (c == 0x3f || c == 0x23) return i;
  }
  return raw.length;
}

/** Runs of `/` → one `/`. */
function collapseSlashes(path: string): string {
  if (path.indexOf("//") < 0) return path;
  let out = "";
  let start = 0;
  let i = path.indexOf("//");
  while (i >= 0) {
    out += path.substring(start, i + 1);
    start = i + 1;
    while (start < path.length && path.charCodeAt(start) == 0x2f) start++;
    i = path.indexOf("//", start);
  }
  return out + path.substring(start);
}

/** Each segment cut at its first `;` (RFC 3986 path parameters, as Tomcat / Spring strip them). */
function stripSegmentParameters(path: string): string {
  let out = "";
  let i = 0;
  let n = path.length;
  while (i < n) {
    let c = path.charCodeAt(i);
    if (c == 0x3b) {
      while (i < n && path.charCodeAt(i) != 0x2f) i++;
      continue;
    }
    out += String.fromCharCode(c);
    i++;
  }
  return out;
}

/** `%2F`, `%2f`, `%5C`, `%5c` before `end`. */
function hasEscapedSlash(raw: string, end: i32): bool {
  for (let i = 0; i + 2 < end; i++) {
    if (raw.charCodeAt(i) != 0x25) continue;
    let hi = raw.charCodeAt(i + 1);
    let lo = raw.charCodeAt(i + 2) | 0x20;
    if ((hi == 0x32 && lo == 0x66) || (hi == 0x35 && lo == 0x63)) return true;
  }
  return false;
}

/** application/x-www-form-urlencoded component: `+` → space, `%XX` → byte, UTF-8 decoded (lossy). */
export function decodeQueryComponent(s: string): string {
  if (s.indexOf("%") < 0 && s.indexOf("+") < 0) return s;
  let utf8 = encodeUtf8(s);
  let src = Uint8Array.wrap(utf8);
  let out = new Uint8Array(src.length);
  let o = 0;
  for (let i = 0, n = src.length; i < n; i++) {
    let c = unchecked(src[i]);
    if (c == 0x2b) {
      out[o++] = 0x20;
    } else if (c == 0x25 && i + 2 < n && hexDigit(src[i + 1]) >= 0 && hexDigit(src[i + 2]) >= 0) {
      out[o++] = <u8>((hexDigit(src[i + 1]) << 4) | hexDigit(src[i + 2]));
      i += 2;
    } else {
      out[o++] = c;
    }
  }
  return decodeUtf8LossyBuffer(out.buffer.slice(0, o));
}

function hexDigit(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  let l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** ASCII-only upper-casing (methods; the lower-casing of names and hosts is the SDK's `asciiLower`). */
export function asciiUpper(s: string): string {
  let n = s.length;
  let i = 0;
  while (i < n) {
    let c = s.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) break;
    i++;
  }
  if (i == n) return s;
  let out = changetype<string>(__new(<usize>n << 1, idof<string>()));
  memory.copy(changetype<usize>(out), changetype<usize>(s), <usize>n << 1);
  for (; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) store<u16>(changetype<usize>(out) + (<usize>i << 1), <u16>(c - 32));
  }
  return out;
}
