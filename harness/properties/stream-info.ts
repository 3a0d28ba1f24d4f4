/**
 * The per-request (or per-connection) facts Envoy keeps in `StreamInfo` and that the attribute catalogue reads:
 * addresses, TLS, timing, response code and details, filter state and dynamic metadata. Filled by the simulated
 * connection manager, router and native filters as the stream progresses, so an attribute is available exactly
 * from the moment Envoy would have it (e.g. `upstream.address` only once the router picked a host).
 */
import type { HeaderMap } from "../state/header-map";
import type { LocalityFacts, NodeFacts, StructObject } from "./protobuf";

/** The downstream TLS facts (from the client certificate the scenario describes). */
export interface TlsFacts {
  version: string;
  /** SNI the client sent; "" when none. */
  sni: string;
  peerCertificatePresented: boolean;
  uriSanPeer: string[];
  dnsSanPeer: string[];
  subjectPeer: string;
  sha256PeerDigest: string;
  uriSanLocal: string[];
  dnsSanLocal: string[];
  subjectLocal: string;
}

export interface ConnectionFacts {
  /** Envoy connection id (`connection.id`, `connection_id`). */
  id: bigint;
  /** The peer address of the TCP connection, `ip:port`. */
  directRemoteAddress: string;
  /** The listener address, `ip:port`. */
  localAddress: string;
  tls: TlsFacts | null;
  /** `envoy.config.core.v3.Metadata`-like listener facts. */
  filterChainName: string;
}

/** Listener/route/cluster facts shared by every stream of a listener (the `xds.*` attributes). */
export interface XdsFacts {
  node: NodeFacts;
  clusterName: string;
  clusterMetadata: Map<string, StructObject>;
  routeName: string;
  routeMetadata: Map<string, StructObject>;
  virtualHostName: string;
  virtualHostMetadata: Map<string, StructObject>;
  listenerMetadata: Map<string, StructObject>;
  /** `envoy.config.core.v3.TrafficDirection`: UNSPECIFIED 0, INBOUND 1, OUTBOUND 2. */
  listenerDirection: number;
  upstreamHostMetadata: Map<string, StructObject>;
  upstreamLocality: LocalityFacts;
  /** Number of endpoints of the upstream cluster (`upstream.num_endpoints`). */
  upstreamEndpoints: number;
}

/** What `proxy_set_property` stores: Envoy's `CelState` (`filters/common/expr/cel_state.h`). */
export interface CelState {
  readonly kind: "cel";
  readOnly: boolean;
  /** `WasmType`: Bytes 0, String 1, FlatBuffers 2, Protobuf 3. */
  type: number;
  /** Type URL / schema for Protobuf and FlatBuffers. */
  schema: string;
  value: string;
  initialized: boolean;
}

/** Any other filter-state object, e.g. `io.istio.peer_principal` (a string accessor). */
export interface PlainFilterStateObject {
  readonly kind: "object";
  /** `serializeAsString()`; null when the object has none. */
  serialized: string | null;
  /** Objects with field support (`hasFieldSupport`) expose fields instead. */
  fields?: Record<string, string | bigint>;
}

export type FilterStateObject = CelState | PlainFilterStateObject;

export class StreamInfo {
  /** Wall-clock start (ms since epoch) and monotonic start (fake clock ms). */
  startWallMs: number;
  startMonotonicMs: number;
  /** `HTTP/1.1`, `HTTP/2`, or null for TCP. */
  protocol: string | null;
  /** The downstream remote address after XFF processing (`source.address`). */
  remoteAddress: string;
  responseCode: number | null = null;
  responseCodeDetails: string | null = null;
  responseFlags = 0;
  bytesReceived = 0;
  bytesSent = 0;
  /** Monotonic ms when the request completed (`request.duration` exists from then on). */
  requestCompleteMs: number | null = null;
  /** Set once the router has picked an upstream host. */
  upstream: { address: string; port: number; localAddress: string } | null = null;
  attemptCount: number | null = null;
  firstUpstreamTxMs: number | null = null;
  lastUpstreamRxMs: number | null = null;
  readonly filterState = new Map<string, FilterStateObject>();
  readonly dynamicMetadata = new Map<string, StructObject>();
  /** The request headers as the access log sees them (the connection manager's map). */
  requestHeaders: HeaderMap | null = null;

  constructor(
    readonly connection: ConnectionFacts,
    readonly xds: XdsFacts,
    init: { startWallMs: number; startMonotonicMs: number; protocol: string | null; remoteAddress: string },
  ) {
    this.startWallMs = init.startWallMs;
    this.startMonotonicMs = init.startMonotonicMs;
    this.protocol = init.protocol;
    this.remoteAddress = init.remoteAddress;
  }
}
