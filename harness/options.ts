/**
 * Host options: what a test can set, their defaults, and their validation (bad input gets an error naming the
 * option). Defaults follow Envoy's (log level info, 1 MiB buffer limit, 15 s route timeout, FAIL_CLOSED) and,
 * for listener facts, the conventions the Envoy scenario runner uses (`docs/HARNESS.md`).
 */
import { Buffer } from "node:buffer";
import type { ClusterBehaviour } from "./http/callouts";
import type { EscapedSlashesAction, HcmSettings } from "./http/hcm";
import type { JwtProvider } from "./http/native-filters";
import type { UpstreamBehaviour } from "./http/router";
import type { ForeignFunction } from "./abi/foreign";
import type { LocalityFacts, StructObject } from "./properties/protobuf";
import type { XdsFacts } from "./properties/stream-info";
import type { FailurePolicy, LogLevelName } from "./scenario/types";
import { LOG_LEVEL_NAMES } from "./state/logs";

/**
 * Filter-state keys for which a stock Envoy 1.40 registers a `StreamInfo::FilterState::ObjectFactory` (the
 * registry `set_envoy_filter_state` looks the key up in): the generic string factories and the keys the TCP proxy,
 * transport sockets and original-dst filters read. `envoy.tcp_proxy.cluster` is observed on Envoy 1.40.
 */
export const ENVOY_FILTER_STATE_FACTORIES: readonly string[] = [
  "envoy.string",
  "envoy.hashable_string",
  "envoy.tcp_proxy.cluster",
  "envoy.tcp_proxy.per_connection_idle_timeout_ms",
  "envoy.network.upstream_server_name",
  "envoy.network.application_protocols",
  "envoy.network.upstream_subject_alt_names",
  "envoy.network.transport_socket.original_dst_address",
  "envoy.filters.listener.original_dst.local_ip",
  "envoy.filters.listener.original_dst.remote_ip",
  "envoy.upstream.dynamic_host",
  "envoy.upstream.dynamic_port",
];

/** The module: bytes, a path to a `.wasm`, or an already compiled module. */
export type WasmSource = Uint8Array | ArrayBuffer | string | WebAssembly.Module;

/** One Wasm filter (Envoy `PluginConfig`). */
export interface PluginOptions {
  /** `PluginConfig.name`; default `default.<basename>` or `plugin`. */
  name?: string;
  /** `PluginConfig.root_id`; default "". */
  rootId?: string;
  /** `VmConfig.vm_id`; default "". */
  vmId?: string;
  /** Plugin configuration: a string verbatim, bytes, or any JSON value (serialized); absent = 0 bytes. */
  configuration?: unknown;
  /** `VmConfig.configuration`. */
  vmConfiguration?: string | Uint8Array;
  /** Default FAIL_CLOSED. */
  failurePolicy?: FailurePolicy;
  /** `allow_on_headers_stop_iteration` (Envoy ≥ 1.35); default false. */
  allowOnHeadersStopIteration?: boolean;
  /** `VmConfig.environment_variables.key_values` (WASI `environ_get`). */
  environment?: Record<string, string>;
  /** `capability_restriction_config.allowed_capabilities` names; absent = unrestricted. */
  allowedCapabilities?: string[];
  /** FAIL_RELOAD backoff base in ms (`reload_config.backoff`); default 1000. */
  reloadBackoffMs?: number;
}

export interface ClientCertificateFacts {
  uriSans?: string[];
  dnsSans?: string[];
  commonName?: string;
}

export interface ListenerOptions {
  /** Default http1. */
  protocol?: "http1" | "http2";
  /** Downstream TLS for every request (a request can override); null/absent = plaintext. */
  tls?: { sni?: string; clientCertificate?: ClientCertificateFacts | null } | null;
  /** The listener's own certificate (`connection.*_local_certificate`). */
  serverCertificate?: ClientCertificateFacts;
  /** jwt_authn in front of the plugins (Istio RequestAuthentication layout). */
  jwt?: JwtProvider;
  /** HCM `use_remote_address` (default false). */
  useRemoteAddress?: boolean;
  /** HCM `xff_num_trusted_hops` (default 0). */
  xffNumTrustedHops?: number;
  normalizePath?: boolean;
  mergeSlashes?: boolean;
  pathWithEscapedSlashesAction?: EscapedSlashesAction;
  /** Filter state `io.istio.peer_principal` set before the plugins (waypoint identity). */
  peerPrincipalFilterState?: string;
  /** Listener address, `ip:port`; default `127.0.0.1:10000`. */
  localAddress?: string;
  /** `per_connection_buffer_limit_bytes`; default 1 MiB. */
  bufferLimitBytes?: number;
}

/**
 * xDS facts a plugin can read (`xds.*`, `node`-related attributes). Defaults are the Envoy scenario runner's
 * (docs/E2E.md): node `as-proxy-runtime-e2e` / cluster `as-proxy-runtime`, route `default` in virtual host
 * `local_service`, upstream cluster `upstream`.
 */
export interface XdsOptions {
  node?: { id?: string; cluster?: string; metadata?: StructObject; locality?: LocalityFacts };
  clusterName?: string;
  clusterMetadata?: Record<string, StructObject>;
  routeName?: string;
  routeMetadata?: Record<string, StructObject>;
  virtualHostName?: string;
  virtualHostMetadata?: Record<string, StructObject>;
  listenerMetadata?: Record<string, StructObject>;
  listenerDirection?: number;
  upstreamHostMetadata?: Record<string, StructObject>;
}

/** Options of the simulated Envoy process (shared by every plugin in it). */
export interface ProxyOptions {
  /** Worker threads (one VM per worker per `vm_key`); default 1. */
  workers?: number;
  /** Envoy's `wasm` logger level: lines below it are not logged, and `proxy_get_log_level` returns it. Default info. */
  logLevel?: LogLevelName;
  /** Fail (trap with `UnimplementedHostcall`) on hostcalls the harness does not model. */
  strict?: boolean;
  /** Record every hostcall in `host.calls`. */
  recordCalls?: boolean;
  /** Record every callback into the module in `host.callbacks`. */
  recordCallbacks?: boolean;
  /** Clusters callouts may use, by name. */
  clusters?: Record<string, ClusterBehaviour>;
  /** How the upstream answers when `http()` is given nothing; default: 200 echoing the request body. */
  upstream?: UpstreamBehaviour;
  listener?: ListenerOptions;
  xds?: XdsOptions;
  /** Extra foreign functions (`proxy_call_foreign_function`), by name. */
  foreignFunctions?: Record<string, ForeignFunction>;
  /**
   * Extra filter-state keys that have an `ObjectFactory` (so `set_envoy_filter_state` accepts them), on top of
   * {@link ENVOY_FILTER_STATE_FACTORIES}.
   */
  filterStateFactories?: string[];
  /** Answers for `envoy_resolve_dns`. */
  dns?: Record<string, string[]>;
  /** `random_get` and `x-request-id` source: a seed (default 1) or "crypto". */
  randomSeed?: number | "crypto";
  /** Wall clock at fake time 0 (ms since epoch); default 2025-01-01T00:00:00Z. */
  wallStartMs?: number;
  /** Route timeout; default 15000. */
  routeTimeoutMs?: number;
  /** How far `http()` may move the fake clock waiting for timers; default 60000. */
  maxRequestMs?: number;
  /** Print each log line to stderr as it happens. */
  echoLogs?: boolean;
  /** Return a host whose configuration was rejected instead of throwing `PluginConfigRejected`. */
  allowRejection?: boolean;
  /** Makes the token string for `request.jwt` (default: an unsigned placeholder the harness recognises). */
  jwtSigner?: (claims: Record<string, unknown>, badSignature: boolean) => string;
}

export interface HostOptions extends PluginOptions, ProxyOptions {}

/** Everything resolved: no optional fields left. */
export interface ResolvedProxyOptions {
  workers: number;
  logLevel: LogLevelName;
  strict: boolean;
  recordCalls: boolean;
  recordCallbacks: boolean;
  clusters: Map<string, ClusterBehaviour>;
  upstream: UpstreamBehaviour | null;
  listener: {
    protocol: "http1" | "http2";
    tls: { sni?: string; clientCertificate?: ClientCertificateFacts | null } | null;
    serverCertificate: ClientCertificateFacts;
    jwt: JwtProvider | undefined;
    peerPrincipalFilterState: string | undefined;
    localAddress: string;
  };
  hcm: HcmSettings;
  xds: XdsFacts;
  bufferLimitBytes: number;
  foreignFunctions: Map<string, ForeignFunction>;
  filterStateFactories: Set<string>;
  dns: Map<string, string[]>;
  randomSeed: number | "crypto";
  wallStartMs: number;
  routeTimeoutMs: number;
  maxRequestMs: number;
  echoLogs: boolean;
  upstreamAddress: string;
  upstreamLocalAddress: string;
  jwtSigner: ((claims: Record<string, unknown>, badSignature: boolean) => string) | undefined;
}

function fail(field: string, message: string): never {
  throw new TypeError(`harness option ${field}: ${message}`);
}

function nonNegativeInt(field: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) fail(field, `expected a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

function bool(field: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") fail(field, `expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

const metadataMap = (m: Record<string, StructObject> | undefined): Map<string, StructObject> => new Map(Object.entries(m ?? {}));

export function resolveProxyOptions(o: ProxyOptions): ResolvedProxyOptions {
  const workers = nonNegativeInt("workers", o.workers, 1);
  if (workers < 1) fail("workers", "at least one worker is needed");
  const logLevel = o.logLevel ?? "info";
  if (!LOG_LEVEL_NAMES.includes(logLevel)) fail("logLevel", `expected one of ${LOG_LEVEL_NAMES.join(", ")}, got ${JSON.stringify(logLevel)}`);
  const l = o.listener ?? {};
  if (l.protocol !== undefined && l.protocol !== "http1" && l.protocol !== "http2") {
    fail("listener.protocol", `expected "http1" or "http2", got ${JSON.stringify(l.protocol)}`);
  }
  const action = l.pathWithEscapedSlashesAction ?? "KEEP_UNCHANGED";
  if (!["KEEP_UNCHANGED", "REJECT_REQUEST", "UNESCAPE_AND_REDIRECT", "UNESCAPE_AND_FORWARD"].includes(action)) {
    fail("listener.pathWithEscapedSlashesAction", `unknown action ${JSON.stringify(action)}`);
  }
  const localAddress = l.localAddress ?? "127.0.0.1:10000";
  if (!/:\d+$/.test(localAddress)) fail("listener.localAddress", `expected ip:port, got ${JSON.stringify(localAddress)}`);
  const x = o.xds ?? {};
  const clusters = new Map<string, ClusterBehaviour>();
  for (const [name, c] of Object.entries(o.clusters ?? {})) {
    if (c === null || typeof c !== "object") fail(`clusters.${name}`, "expected an object ({ respond }, { handler }, { grpc }, { down })");
    clusters.set(Buffer.from(name, "utf8").toString("latin1"), c);
  }
  const seed = o.randomSeed ?? 1;
  if (seed !== "crypto" && (typeof seed !== "number" || !Number.isInteger(seed))) fail("randomSeed", "expected an integer or \"crypto\"");
  return {
    workers,
    logLevel,
    strict: bool("strict", o.strict, false),
    recordCalls: bool("recordCalls", o.recordCalls, false),
    recordCallbacks: bool("recordCallbacks", o.recordCallbacks, false),
    clusters,
    upstream: o.upstream ?? null,
    listener: {
      protocol: l.protocol ?? "http1",
      tls: l.tls ?? null,
      serverCertificate: l.serverCertificate ?? {},
      jwt: l.jwt,
      peerPrincipalFilterState: l.peerPrincipalFilterState,
      localAddress,
    },
    hcm: {
      useRemoteAddress: bool("listener.useRemoteAddress", l.useRemoteAddress, false),
      xffNumTrustedHops: nonNegativeInt("listener.xffNumTrustedHops", l.xffNumTrustedHops, 0),
      normalizePath: bool("listener.normalizePath", l.normalizePath, false),
      mergeSlashes: bool("listener.mergeSlashes", l.mergeSlashes, false),
      pathWithEscapedSlashesAction: action,
    },
    xds: {
      node: {
        id: x.node?.id ?? "as-proxy-runtime-e2e",
        cluster: x.node?.cluster ?? "as-proxy-runtime",
        metadata: x.node?.metadata ?? {},
        ...(x.node?.locality ? { locality: x.node.locality } : {}),
      },
      clusterName: x.clusterName ?? "upstream",
      clusterMetadata: metadataMap(x.clusterMetadata),
      routeName: x.routeName ?? "default",
      routeMetadata: metadataMap(x.routeMetadata),
      virtualHostName: x.virtualHostName ?? "local_service",
      virtualHostMetadata: metadataMap(x.virtualHostMetadata),
      listenerMetadata: metadataMap(x.listenerMetadata),
      listenerDirection: nonNegativeInt("xds.listenerDirection", x.listenerDirection, 0),
      upstreamHostMetadata: metadataMap(x.upstreamHostMetadata),
      upstreamLocality: {},
      upstreamEndpoints: 1,
    },
    bufferLimitBytes: nonNegativeInt("listener.bufferLimitBytes", l.bufferLimitBytes, 1024 * 1024),
    foreignFunctions: new Map(Object.entries(o.foreignFunctions ?? {})),
    filterStateFactories: new Set([...ENVOY_FILTER_STATE_FACTORIES, ...(o.filterStateFactories ?? [])]),
    dns: new Map(Object.entries(o.dns ?? {})),
    randomSeed: seed,
    wallStartMs: nonNegativeInt("wallStartMs", o.wallStartMs, Date.UTC(2025, 0, 1)),
    routeTimeoutMs: nonNegativeInt("routeTimeoutMs", o.routeTimeoutMs, 15000),
    maxRequestMs: nonNegativeInt("maxRequestMs", o.maxRequestMs, 60000),
    echoLogs: bool("echoLogs", o.echoLogs, false),
    upstreamAddress: "127.0.0.1:8080",
    upstreamLocalAddress: "127.0.0.1:40000",
    jwtSigner: o.jwtSigner,
  };
}

export function validatePluginOptions(o: PluginOptions, where: string): void {
  for (const key of ["name", "rootId", "vmId"] as const) {
    if (o[key] !== undefined && typeof o[key] !== "string") fail(`${where}.${key}`, "expected a string");
  }
  if (o.failurePolicy !== undefined && !["FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"].includes(o.failurePolicy)) {
    fail(`${where}.failurePolicy`, `expected FAIL_CLOSED, FAIL_OPEN or FAIL_RELOAD, got ${JSON.stringify(o.failurePolicy)}`);
  }
  if (o.vmConfiguration !== undefined && typeof o.vmConfiguration !== "string" && !(o.vmConfiguration instanceof Uint8Array)) {
    fail(`${where}.vmConfiguration`, "expected a string or bytes");
  }
  if (o.environment !== undefined) {
    for (const [k, v] of Object.entries(o.environment)) {
      if (typeof v !== "string") fail(`${where}.environment.${k}`, "expected a string");
    }
  }
  bool(`${where}.allowOnHeadersStopIteration`, o.allowOnHeadersStopIteration, false);
  nonNegativeInt(`${where}.reloadBackoffMs`, o.reloadBackoffMs, 1000);
}
