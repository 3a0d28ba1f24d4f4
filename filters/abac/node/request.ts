/**
 * What the host knows about one request, in the terms a proxy-wasm filter in Envoy can read them. The reference
 * evaluator takes these facts; the tests turn the same facts into harness properties and headers for the filter
 * (`test/filters/abac/support.ts`), so both sides see one request.
 */
export interface RequestFacts {
  /** Request headers as Envoy hands them to the filter (`proxy_get_header_map_pairs`), pseudo-headers included. */
  headers: Array<[string, string]>;
  /** Envoy `source.address` (`ip:port`): the downstream remote address, XFF-derived when use_remote_address=false. */
  sourceAddress?: string;
  /** Envoy `destination.address` (`ip:port`). */
  destinationAddress?: string;
  /** Envoy `destination.port`. */
  destinationPort?: number;
  /** Envoy `connection.requested_server_name` ("" when the client sent no SNI; absent on plain text). */
  sni?: string;
  /** TLS peer certificate facts (`connection.*_peer_certificate`); absent = plain text or no client certificate. */
  peerCertificate?: { uriSans?: string[]; dnsSans?: string[]; subject?: string };
  /** Filter state strings (e.g. `io.istio.peer_principal`, the configured direct-remote-IP key). */
  filterState?: Record<string, string>;
  /** Dynamic metadata `filter_metadata`: namespace → Struct (JSON), e.g. `envoy.filters.http.jwt_authn`. */
  dynamicMetadata?: Record<string, Record<string, unknown>>;
  /** Other attributes by path (`["xds","route_name"]` → `"xds\u0000route_name"`), for `property[...]` conditions. */
  properties?: Record<string, string>;
}

export function header(facts: RequestFacts, name: string): string[] {
  const lower = name.toLowerCase();
  return facts.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}
