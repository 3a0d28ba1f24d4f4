/**
 * TypeScript shapes of the ABAC filter configuration (the plugin configuration JSON) and of the Istio
 * AuthorizationPolicy spec it embeds verbatim. `config.schema.json` is the published JSON Schema of the same
 * shapes; `filters/abac/config.ts` is the filter's own parser. The three are kept in step by
 * `test/filters/abac/config.test.ts` (schema and filter agree on a corpus of bad configurations).
 */

/** Istio `security.istio.io/v1` AuthorizationPolicy `spec` (istio/api security/v1beta1/authorization_policy.proto). */
export interface AuthorizationPolicySpec {
  /** Accepted and ignored: the WasmPlugin / EnvoyExtensionPolicy that loads the filter selects the workload. */
  selector?: unknown;
  targetRef?: unknown;
  targetRefs?: unknown;
  /** Default ALLOW, as in Istio. CUSTOM is refused (it delegates to an external authorizer). */
  action?: "ALLOW" | "DENY" | "AUDIT";
  rules?: Rule[];
}

export interface Rule {
  from?: Array<{ source: Source }>;
  to?: Array<{ operation: Operation }>;
  when?: Condition[];
}

export interface Source {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  serviceAccounts?: string[];
  notServiceAccounts?: string[];
  trustDomains?: string[];
  notTrustDomains?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
}

export interface Operation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

/**
 * Istio `Condition` plus two filter extensions: `valuesFrom` / `notValuesFrom` (relational conditions: the value of
 * `key` equals / differs from the value of another attribute, or of a named path-template capture `{name}`).
 */
export interface Condition {
  key: string;
  values?: string[];
  notValues?: string[];
  valuesFrom?: string[];
  notValuesFrom?: string[];
}

export interface DenyResponse {
  /** HTTP status of the local reply; default 403. */
  status?: number;
  /** Body; default `RBAC: access denied` (Envoy RBAC's). */
  body?: string;
  /** Extra response headers (lower-case names). */
  headers?: Record<string, string>;
}

export interface PolicyEntry {
  /** `<namespace>/<name>` of the AuthorizationPolicy; the RBAC policy id is `ns[<ns>]-policy[<name>]-rule[<i>]`. */
  name: string;
  spec: AuthorizationPolicySpec;
  /** Istio `istio.io/dry-run: "true"`: evaluated, recorded and counted, never enforced. */
  dryRun?: boolean;
  /** Deny response when this (DENY) policy denies; overrides the global one. */
  denyResponse?: DenyResponse;
}

export type IdentitySource = "auto" | "tls" | "filterState";
export type SourceIpSource = "filterState" | "sourceAddress";
export type RemoteIpSource = "sourceAddress" | "xff";
export type EscapedSlashes = "reject" | "decode" | "keep";

export interface AbacConfig {
  policies: PolicyEntry[];
  denyResponse?: DenyResponse;
  identity?: { source?: IdentitySource; filterStateKey?: string };
  sourceIp?: { source?: SourceIpSource; filterStateKey?: string };
  remoteIp?: { source?: RemoteIpSource; xffNumTrustedHops?: number };
  paths?: { escapedSlashes?: EscapedSlashes; mergeSlashes?: boolean; backslashToSlash?: boolean };
  jwt?: { metadataNamespace?: string; payloadKey?: string; spaceDelimitedClaims?: string[] };
}

/** Defaults, shared by the reference evaluator, the translator and the docs. The filter has the same numbers. */
export const DEFAULTS = {
  denyStatus: 403,
  denyBody: "RBAC: access denied",
  identitySource: "auto" as IdentitySource,
  peerPrincipalFilterStateKey: "io.istio.peer_principal",
  sourceIpSource: "filterState" as SourceIpSource,
  sourceIpFilterStateKey: "abac.direct_remote_ip",
  remoteIpSource: "sourceAddress" as RemoteIpSource,
  xffNumTrustedHops: 0,
  escapedSlashes: "reject" as EscapedSlashes,
  mergeSlashes: true,
  backslashToSlash: true,
  jwtMetadataNamespace: "envoy.filters.http.jwt_authn",
  jwtPayloadKey: "payload",
  spaceDelimitedClaims: ["scope", "permission"],
} as const;

/** Filter-state keys the filter writes (read them as `%FILTER_STATE(wasm.abac.decision:PLAIN)%`). */
export const FILTER_STATE = {
  decision: "wasm.abac.decision",
  policy: "wasm.abac.policy",
  rule: "wasm.abac.rule",
  shadowDecision: "wasm.abac.shadow_decision",
  shadowPolicy: "wasm.abac.shadow_policy",
  audit: "wasm.abac.audit_policy",
} as const;
