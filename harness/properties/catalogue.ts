/**
 * Envoy's attribute catalogue as `proxy_get_property` sees it (Envoy `context.cc findValue/getProperty`,
 * `filters/common/expr/{context,evaluator}.cc`; host-behaviour.md C.1–C.3).
 *
 * The first path segment is looked up in this order:
 * 1. the CEL activation tokens `request`, `response`, `connection`, `upstream`, `source`, `destination`,
 *    `metadata`, `filter_state`, `upstream_filter_state`, `xds` — all but `xds` need stream info, so from a root
 *    context only `xds` (and only `xds.node`) resolves;
 * 2. the Wasm tokens `plugin_name`, `plugin_root_id`, `plugin_vm_id`, `connection_id`;
 * 3. the filter-state object `wasm.<segment>` written by `proxy_set_property`.
 * Later segments index maps, message fields and lists.
 *
 * Request attributes read the request headers the Wasm context currently holds: Envoy drops its pointer once
 * `on_request_headers` returns Continue (or the stream is continued), so `request.path` & co. are NOT_FOUND in
 * body and response callbacks and come back in `on_log` (the access-log copy).
 */
import { Buffer } from "node:buffer";
import { decodePropertyPath } from "../codec";
import { Status } from "../enums";
import type { HeaderMap } from "../state/header-map";
import {
  type CelMessage,
  type CelValue,
  bool,
  duration,
  headersMap,
  int,
  lookupMap,
  serializeValue,
  str,
  structMap,
  timestamp,
  traverse,
  uint,
  bytes as celBytes,
} from "./cel";
import { encodeLocality, encodeMetadata, encodeNode, type StructObject } from "./protobuf";
import type { CelState, FilterStateObject, StreamInfo, XdsFacts } from "./stream-info";

/** What a context can see when it resolves a property (Envoy fills the CEL activation from these). */
export interface PropertyScope {
  /** `getConstRequestStreamInfo()`: null in root contexts. */
  streamInfo: StreamInfo | null;
  /** `request_headers_ ?: access_log_request_headers_`. */
  requestHeaders: HeaderMap | null;
  responseHeaders: HeaderMap | null;
  responseTrailers: HeaderMap | null;
  /** Listener facts; `xds.node` is readable even without stream info. */
  xds: XdsFacts;
  /** `plugin_name` (root and stream contexts); null for the VM context. */
  pluginName: string | null;
  rootId: string;
  vmId: string;
  /** The fake clock's monotonic ms (for `request.duration`-style attributes). */
  nowMonotonicMs: number;
}

const NS_PER_MS = 1_000_000n;
const ms = (v: number): bigint => BigInt(Math.round(v * 1e6));

function addressPort(address: string): number | undefined {
  const i = address.lastIndexOf(":");
  if (i < 0) return undefined;
  const n = Number(address.slice(i + 1));
  return Number.isInteger(n) ? n : undefined;
}

/** A protobuf message value that is traversable by field name and serializes to `bytes`. */
function message(type: string, fields: Record<string, () => CelValue | undefined>, serialize: () => Uint8Array): CelMessage {
  return {
    kind: "message",
    type,
    field: (name) => (Object.prototype.hasOwnProperty.call(fields, name) ? fields[name]!() : undefined),
    serialize,
  };
}

function metadataMessage(filterMetadata: ReadonlyMap<string, StructObject>): CelMessage {
  return message(
    "envoy.config.core.v3.Metadata",
    {
      filter_metadata: () => ({
        kind: "map",
        get: (k) => {
          const v = filterMetadata.get(k);
          return v ? structMap(v) : undefined;
        },
        keys: () => [...filterMetadata.keys()],
      }),
      typed_filter_metadata: () => ({ kind: "map", get: () => undefined, keys: () => [] }),
    },
    () => encodeMetadata(filterMetadata),
  );
}

function localityMessage(l: XdsFacts["upstreamLocality"]): CelMessage {
  return message(
    "envoy.config.core.v3.Locality",
    { region: () => str(l.region ?? ""), zone: () => str(l.zone ?? ""), sub_zone: () => str(l.subZone ?? "") },
    () => encodeLocality(l),
  );
}

function nodeMessage(x: XdsFacts): CelMessage {
  const n = x.node;
  return message(
    "envoy.config.core.v3.Node",
    {
      id: () => str(n.id),
      cluster: () => str(n.cluster),
      metadata: () => structMap(n.metadata),
      locality: () => localityMessage(n.locality ?? {}),
      user_agent_name: () => str(n.userAgentName ?? ""),
    },
    () => encodeNode(n),
  );
}

function requestWrapper(s: PropertyScope, info: StreamInfo): CelValue {
  const h = s.requestHeaders;
  const header = (name: string): CelValue | undefined => {
    const v = h?.get(name);
    return v === undefined ? undefined : str(v);
  };
  return lookupMap((key) => {
    switch (key) {
      case "headers":
        return headersMap(h);
      case "headers_bytes":
        return int(h ? h.byteSize() : 0);
      case "time":
        return timestamp(ms(info.startWallMs));
      case "size": {
        const cl = h?.get("content-length");
        if (cl !== undefined) return /^\s*[+-]?\d+\s*$/.test(cl) ? int(BigInt(cl.trim())) : undefined;
        return int(info.bytesReceived);
      }
      case "total_size":
        return int(info.bytesReceived + (h ? h.byteSize() : 0));
      case "duration":
        return info.requestCompleteMs === null ? undefined : duration(ms(info.requestCompleteMs - info.startMonotonicMs));
      case "protocol":
        return info.protocol === null ? undefined : str(info.protocol);
      case "path":
        return header(":path");
      case "url_path": {
        if (!h) return undefined;
        const p = h.get(":path") ?? "";
        const q = p.indexOf("?");
        return str(q < 0 ? p : p.slice(0, q));
      }
      case "host":
        return header(":authority");
      case "scheme":
        return header(":scheme");
      case "method":
        return header(":method");
      case "referer":
        return header("referer");
      case "id":
        return header("x-request-id");
      case "useragent":
        return header("user-agent");
      case "query": {
        if (!h) return undefined;
        const p = h.get(":path") ?? "";
        const q = p.indexOf("?");
        if (q < 0) return str("");
        const rest = p.slice(q + 1);
        const f = rest.indexOf("#");
        return str(f < 0 ? rest : rest.slice(0, f));
      }
      default:
        return undefined;
    }
  });
}

function responseWrapper(s: PropertyScope, info: StreamInfo): CelValue {
  const h = s.responseHeaders;
  const t = s.responseTrailers;
  return lookupMap((key) => {
    switch (key) {
      case "code":
        return info.responseCode === null ? undefined : int(info.responseCode);
      case "size":
        return int(info.bytesSent);
      case "headers":
        return headersMap(h);
      case "headers_bytes":
        return int(h ? h.byteSize() : 0);
      case "trailers":
        return headersMap(t);
      case "flags":
        return int(info.responseFlags);
      case "grpc_status": {
        // Envoy Grpc::Common::getGrpcStatus(trailers, headers, info): grpc-status from the trailers, then the
        // headers, else the HTTP response code mapped by httpToGrpcStatus (200 → UNKNOWN 2).
        const v = t?.get("grpc-status") ?? h?.get("grpc-status");
        if (v !== undefined) return /^\d+$/.test(v) ? int(Number(v)) : undefined;
        return info.responseCode === null ? undefined : int(httpToGrpcStatus(info.responseCode));
      }
      case "total_size":
        return int(info.bytesSent + (h ? h.byteSize() : 0) + (t ? t.byteSize() : 0));
      case "code_details":
        return info.responseCodeDetails === null ? undefined : str(info.responseCodeDetails);
      case "backend_latency":
        return info.firstUpstreamTxMs !== null && info.lastUpstreamRxMs !== null
          ? duration(ms(info.lastUpstreamRxMs - info.firstUpstreamTxMs))
          : undefined;
      default:
        return undefined;
    }
  });
}

function connectionWrapper(info: StreamInfo): CelValue {
  const c = info.connection;
  return lookupMap((key) => {
    switch (key) {
      case "mtls":
        return bool(c.tls !== null && c.tls.peerCertificatePresented);
      case "requested_server_name":
        return str(c.tls?.sni ?? "");
      case "id":
        return uint(c.id);
      case "termination_details":
      case "transport_failure_reason":
        return undefined;
    }
    const tls = c.tls;
    if (!tls) return undefined;
    switch (key) {
      case "tls_version":
        return str(tls.version);
      case "subject_local_certificate":
        return str(tls.subjectLocal);
      case "subject_peer_certificate":
        return str(tls.subjectPeer);
      case "uri_san_local_certificate":
        return tls.uriSanLocal.length ? str(tls.uriSanLocal[0]!) : undefined;
      case "uri_san_peer_certificate":
        return tls.uriSanPeer.length ? str(tls.uriSanPeer[0]!) : undefined;
      case "dns_san_local_certificate":
        return tls.dnsSanLocal.length ? str(tls.dnsSanLocal[0]!) : undefined;
      case "dns_san_peer_certificate":
        return tls.dnsSanPeer.length ? str(tls.dnsSanPeer[0]!) : undefined;
      case "sha256_peer_certificate_digest":
        return tls.sha256PeerDigest ? str(tls.sha256PeerDigest) : undefined;
      default:
        return undefined;
    }
  });
}

function upstreamWrapper(info: StreamInfo): CelValue {
  return lookupMap((key) => {
    const u = info.upstream;
    switch (key) {
      case "address":
        return u ? str(u.address) : undefined;
      case "port":
        return u ? int(u.port) : undefined;
      case "local_address":
        return u ? str(u.localAddress) : undefined;
      case "locality":
        return u ? localityMessage(info.xds.upstreamLocality) : undefined;
      case "transport_failure_reason":
        return u ? str("") : undefined;
      case "request_attempt_count":
        return uint(info.attemptCount ?? 0);
      case "num_endpoints":
        return uint(info.xds.upstreamEndpoints);
      default:
        return undefined;
    }
  });
}

function peerWrapper(info: StreamInfo, local: boolean): CelValue {
  const address = local ? info.connection.localAddress : info.remoteAddress;
  return lookupMap((key) => {
    if (key === "address") return str(address);
    if (key === "port") {
      const p = addressPort(address);
      return p === undefined ? undefined : int(p);
    }
    return undefined;
  });
}

/** A filter-state object as CEL sees it (`FilterStateWrapper`, `CelState::exprValue`). */
function filterStateValue(obj: FilterStateObject): CelValue | undefined {
  if (obj.kind === "cel") return celStateValue(obj);
  if (obj.fields) {
    const fields = obj.fields;
    return lookupMap((k) => {
      const v = fields[k];
      return v === undefined ? undefined : typeof v === "bigint" ? int(v) : str(v);
    });
  }
  return obj.serialized === null ? undefined : celBytes(obj.serialized);
}

/** `CelState::exprValue`: String → string, everything else → bytes (Protobuf/FlatBuffers are not decoded here). */
function celStateValue(state: CelState): CelValue {
  return state.type === 1 ? str(state.value) : celBytes(state.value);
}

function filterStateWrapper(fs: ReadonlyMap<string, FilterStateObject>): CelValue {
  return lookupMap((key) => {
    const obj = fs.get(key);
    return obj ? filterStateValue(obj) : undefined;
  });
}

function xdsWrapper(s: PropertyScope): CelValue {
  const x = s.xds;
  const info = s.streamInfo;
  return lookupMap((key) => {
    if (key === "node") return nodeMessage(x);
    if (!info) return undefined;
    switch (key) {
      case "cluster_name":
        return str(x.clusterName);
      case "cluster_metadata":
        return metadataMessage(x.clusterMetadata);
      case "route_name":
        return str(x.routeName);
      case "route_metadata":
        return metadataMessage(x.routeMetadata);
      case "virtual_host_name":
        return str(x.virtualHostName);
      case "virtual_host_metadata":
        return metadataMessage(x.virtualHostMetadata);
      case "upstream_host_metadata":
        return info.upstream ? metadataMessage(x.upstreamHostMetadata) : undefined;
      case "upstream_host_locality_metadata":
        return info.upstream ? metadataMessage(new Map()) : undefined;
      case "filter_chain_name":
        return str(info.connection.filterChainName);
      case "listener_metadata":
        return metadataMessage(x.listenerMetadata);
      case "listener_direction":
        return int(x.listenerDirection);
      default:
        return undefined;
    }
  });
}

/** Envoy `Context::findValue`: the value of a top-level name, or undefined (NOT_FOUND). */
export function findValue(s: PropertyScope, name: string, last: boolean): CelValue | undefined {
  const info = s.streamInfo;
  switch (name) {
    case "xds":
      return xdsWrapper(s);
    case "request":
      return info ? requestWrapper(s, info) : undefined;
    case "response":
      return info ? responseWrapper(s, info) : undefined;
    case "connection":
      return info ? connectionWrapper(info) : undefined;
    case "upstream":
      return info ? upstreamWrapper(info) : undefined;
    case "source":
      return info ? peerWrapper(info, false) : undefined;
    case "destination":
      return info ? peerWrapper(info, true) : undefined;
    case "metadata":
      return info ? metadataMessage(info.dynamicMetadata) : undefined;
    case "filter_state":
      return info ? filterStateWrapper(info.filterState) : undefined;
    case "upstream_filter_state":
      return undefined;
    case "plugin_name":
      return s.pluginName === null ? undefined : str(s.pluginName);
    case "plugin_root_id":
      return str(s.rootId);
    case "plugin_vm_id":
      return str(s.vmId);
    case "connection_id":
      return info ? uint(info.connection.id) : undefined;
  }
  if (!info) return undefined;
  const state = info.filterState.get(`wasm.${name}`);
  if (state && state.kind === "cel") {
    void last;
    return celStateValue(state);
  }
  return undefined;
}

/**
 * Envoy `Context::getProperty`: resolves a NUL-separated path (byte string) and serializes the value. An empty path
 * serializes nothing: Envoy's loop never runs and the default CEL value (null) fails to serialize.
 */
export function getProperty(s: PropertyScope, path: string): { status: Status; bytes?: Uint8Array | string } {
  const segments = decodePropertyPath(path);
  if (segments.length === 0) return { status: Status.SerializationFailure };
  const top = findValue(s, segments[0]!, segments.length === 1);
  if (top === undefined) return { status: Status.NotFound };
  const value = traverse(top, segments.slice(1));
  if (value === Status.NotFound) return { status: Status.NotFound };
  const out = serializeValue(value);
  return "bytes" in out ? out : { status: out.status };
}

/** Convenience for tests: the bytes of a property as Envoy would return them, or null. */
export function propertyBytes(s: PropertyScope, segments: readonly string[]): Buffer | null {
  const r = getProperty(s, segments.map((x) => Buffer.from(x, "utf8").toString("latin1")).join("\0"));
  if (r.status !== Status.Ok || r.bytes === undefined) return null;
  return typeof r.bytes === "string" ? Buffer.from(r.bytes, "latin1") : Buffer.from(r.bytes);
}

export { NS_PER_MS };

/** Envoy `Grpc::Utility::httpToGrpcStatus` (the gRPC/HTTP status mapping). */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
}
