/**
 * Filter-wide settings: where each attribute comes from and how paths are read. Defaults are the safe choices
 * documented in README.md "Attribute sources"; `filters/abac/node/types.ts` DEFAULTS carries the same values.
 */

/** Where the peer identity comes from. */
export enum IdentitySource {
  /** Filter state `io.istio.peer_principal` when set (waypoints), else the TLS peer certificate (sidecars). */
  Auto = 0,
  /** Only the TLS peer certificate (`connection.uri_san_peer_certificate` …). */
  Tls = 1,
  /** Only the filter state key (Istio waypoints set it at HBONE termination). */
  FilterState = 2,
}

/** Where `source.ip` / `ipBlocks` (Istio: the direct peer, RBAC `direct_remote_ip`) comes from. */
export enum SourceIpSource {
  /**
   * A filter-state string set by an Envoy `set_filter_state` filter from
   * `%DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT%`: the TCP peer, which no header can change.
   */
  FilterState = 0,
  /**
   * Envoy `source.address`: the direct peer only when the HTTP connection manager has
   * `use_remote_address: true` and `xff_num_trusted_hops: 0`; otherwise derived from X-Forwarded-For (spoofable).
   */
  SourceAddress = 1,
}

/** Where `remote.ip` / `remoteIpBlocks` (Istio: the original client, RBAC `remote_ip`) comes from. */
export enum RemoteIpSource {
  /** Envoy `source.address`, i.e. what the connection manager derived (Istio's meaning). */
  SourceAddress = 0,
  /** The filter's own reading of X-Forwarded-For: the entry `xffNumTrustedHops` from the right. */
  Xff = 1,
}

/** What the filter does with `%2F` / `%5C` in a path a policy examines. */
export enum EscapedSlashes {
  /** The path is unusable: path constraints hold in DENY rules and fail in ALLOW rules. */
  Reject = 0,
  /** Decode to `/` and `\` before normalizing (Istio DECODE_AND_MERGE_SLASHES). */
  Decode = 1,
  /** Keep them encoded: `%2F` is part of a segment. */
  Keep = 2,
}

@final
export class AbacSettings {
  identitySource: IdentitySource = IdentitySource.Auto;
  peerPrincipalFilterStateKey: string = "io.istio.peer_principal";
  sourceIpSource: SourceIpSource = SourceIpSource.FilterState;
  sourceIpFilterStateKey: string = "abac.direct_remote_ip";
  remoteIpSource: RemoteIpSource = RemoteIpSource.SourceAddress;
  xffNumTrustedHops: i32 = 0;
  escapedSlashes: EscapedSlashes = EscapedSlashes.Reject;
  mergeSlashes: bool = true;
  backslashToSlash: bool = true;
  jwtMetadataNamespace: string = "envoy.filters.http.jwt_authn";
  jwtPayloadKey: string = "payload";
  spaceDelimitedClaims: string[] = ["scope", "permission"];
}
