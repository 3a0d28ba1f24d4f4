/**
 * Envoy configuration generated from scenarios.
 *
 * One Envoy serves a whole test file. Its bootstrap is static except for two filesystem xDS sources:
 *
 *   admin               127.0.0.1:<free>
 *   static listener     "marker" — HTTP with a Lua filter that logs `as-proxy-marker <id>` and answers 200;
 *                       the runner sends a marker request around every scenario request, so log lines can
 *                       be attributed to requests (see runner.ts)
 *   static cluster      "upstream" — the echo upstream (h2c)
 *   LDS (file)          the listener of the scenario being run, one at a time
 *   CDS (file)          that scenario's callout clusters (h2c to the collector; "down" = a closed port)
 *
 * Each scenario listener is built the way istiod + istio-agent configure a WasmPlugin (deployment.md §B.3,
 * §B.4): plugin name `<namespace>.<name>`, `root_id` = pluginName, configuration as a
 * `google.protobuf.StringValue` holding the JSON (absent → no configuration, the plugin sees 0 bytes),
 * runtime `envoy.wasm.runtime.v8`, no `vm_id` unless the scenario sets one, `failure_policy` always set.
 * HTTP filter order: jwt_authn (Istio RequestAuthentication) → set_filter_state (waypoint peer principal)
 * → native filters (e.g. RBAC) → Wasm plugins in scenario order → router.
 *
 * The builders are pure: they take resolved ports and file paths and return plain objects serialised as
 * JSON. Names that a plugin can observe (cluster, route, virtual host, node) are constants exported here and
 * documented in docs/E2E.md, so the harness can model them.
 */
import type { FailurePolicy, ListenerSpec, PluginSpec, Scenario } from "../scenario/types";

export const NODE_ID = "as-proxy-runtime-e2e";
export const NODE_CLUSTER = "as-proxy-runtime";
export const UPSTREAM_CLUSTER = "upstream";
export const ROUTE_CONFIG_NAME = "local_route";
export const VIRTUAL_HOST_NAME = "local_service";
export const ROUTE_NAME = "default";
export const JWT_PROVIDER_NAME = "origins-0";
export const JWT_PAYLOAD_METADATA_KEY = "payload";
export const MARKER_HEADER = "x-as-proxy-marker";
export const MARKER_LOG_PREFIX = "as-proxy-marker ";

const TYPE = {
  hcm: "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  router: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
  lua: "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
  wasm: "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
  stringValue: "type.googleapis.com/google.protobuf.StringValue",
  jwt: "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
  setFilterState: "type.googleapis.com/envoy.extensions.filters.http.set_filter_state.v3.Config",
  fileAccessLog: "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
  downstreamTls: "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
  tlsInspector: "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
  httpProtocolOptions: "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
  listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
  cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
} as const;

type Json = Record<string, unknown>;

function socketAddress(port: number): Json {
  return { socket_address: { address: "127.0.0.1", port_value: port } };
}

/** A STATIC h2c cluster with one endpoint on 127.0.0.1. */
export function h2cCluster(name: string, port: number): Json {
  return {
    "@type": TYPE.cluster,
    name,
    type: "STATIC",
    connect_timeout: "1s",
    typed_extension_protocol_options: {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": TYPE.httpProtocolOptions,
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(port) } }] }],
    },
  };
}

const MARKER_LUA = `
function envoy_on_request(handle)
  handle:logInfo("${MARKER_LOG_PREFIX}" .. (handle:headers():get("${MARKER_HEADER}") or "?"))
  handle:respond({[":status"] = "200"}, "")
end
`;

export interface BootstrapPorts {
  admin: number;
  marker: number;
  upstream: number;
}

export interface BootstrapPaths {
  lds: string;
  cds: string;
}

export function buildBootstrap(ports: BootstrapPorts, paths: BootstrapPaths): Json {
  const { ["@type"]: _listenerType, ...markerListener } = {
    "@type": TYPE.listener,
    name: "marker",
    address: socketAddress(ports.marker),
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": TYPE.hcm,
              stat_prefix: "marker",
              route_config: {
                name: "marker",
                virtual_hosts: [
                  { name: "marker", domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200 } }] },
                ],
              },
              http_filters: [
                { name: "envoy.filters.http.lua", typed_config: { "@type": TYPE.lua, default_source_code: { inline_string: MARKER_LUA } } },
                { name: "envoy.filters.http.router", typed_config: { "@type": TYPE.router } },
              ],
            },
          },
        ],
      },
    ],
  };
  const { ["@type"]: _clusterType, ...upstreamCluster } = h2cCluster(UPSTREAM_CLUSTER, ports.upstream);
  return {
    node: { id: NODE_ID, cluster: NODE_CLUSTER },
    admin: { address: socketAddress(ports.admin) },
    static_resources: { listeners: [markerListener], clusters: [upstreamCluster] },
    dynamic_resources: {
      lds_config: { path_config_source: { path: paths.lds }, resource_api_version: "V3" },
      cds_config: { path_config_source: { path: paths.cds }, resource_api_version: "V3" },
    },
  };
}

/** The plugin name a scenario's plugin gets: `name`, else Istio's `<namespace>.<name>` with namespace `default`. */
export function pluginName(plugin: PluginSpec): string {
  return plugin.name ?? `default.${plugin.filter}`;
}

/** The bytes Envoy hands to `proxy_on_configure`: absent → none; a string verbatim; else JSON. */
export function pluginConfigurationText(configuration: unknown): string | undefined {
  if (configuration === undefined) return undefined;
  return typeof configuration === "string" ? configuration : JSON.stringify(configuration);
}

const FAILURE_POLICIES: readonly FailurePolicy[] = ["FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"];

function wasmFilter(plugin: PluginSpec, modulePath: string, where: string): Json {
  const failurePolicy = plugin.failurePolicy ?? "FAIL_CLOSED";
  if (!FAILURE_POLICIES.includes(failurePolicy)) {
    throw new Error(`${where}.failurePolicy: ${JSON.stringify(failurePolicy)} is not one of ${FAILURE_POLICIES.join(", ")}`);
  }
  const name = pluginName(plugin);
  const vmConfig: Json = {
    runtime: "envoy.wasm.runtime.v8",
    code: { local: { filename: modulePath } },
  };
  if (plugin.vmId) vmConfig.vm_id = plugin.vmId;
  if (plugin.vmConfiguration !== undefined) {
    vmConfig.configuration = { "@type": TYPE.stringValue, value: plugin.vmConfiguration };
  }
  if (plugin.environment && Object.keys(plugin.environment).length > 0) {
    vmConfig.environment_variables = { key_values: plugin.environment };
  }
  const config: Json = { name, root_id: plugin.rootId ?? "", vm_config: vmConfig, failure_policy: failurePolicy };
  const configuration = pluginConfigurationText(plugin.configuration);
  if (configuration !== undefined) config.configuration = { "@type": TYPE.stringValue, value: configuration };
  if (plugin.allowOnHeadersStopIteration !== undefined) {
    config.allow_on_headers_stop_iteration = plugin.allowOnHeadersStopIteration;
  }
  return { name: `extensions.istio.io/wasmplugin/${name}`, typed_config: { "@type": TYPE.wasm, config } };
}

function jwtFilter(jwt: NonNullable<ListenerSpec["jwt"]>, jwks: string): Json {
  const provider: Json = {
    issuer: jwt.issuer,
    local_jwks: { inline_string: jwks },
    forward: true,
    payload_in_metadata: JWT_PAYLOAD_METADATA_KEY,
  };
  if (jwt.audiences && jwt.audiences.length > 0) provider.audiences = jwt.audiences;
  return {
    name: "envoy.filters.http.jwt_authn",
    typed_config: {
      "@type": TYPE.jwt,
      providers: { [JWT_PROVIDER_NAME]: provider },
      // RequestAuthentication: a present token must verify; a missing token is allowed.
      rules: [
        {
          match: { prefix: "/" },
          requires: { requires_any: { requirements: [{ provider_name: JWT_PROVIDER_NAME }, { allow_missing: {} }] } },
        },
      ],
      bypass_cors_preflight: true,
    },
  };
}

function peerPrincipalFilter(principal: string): Json {
  return {
    name: "envoy.filters.http.set_filter_state",
    typed_config: {
      "@type": TYPE.setFilterState,
      on_request_headers: [
        {
          object_key: "io.istio.peer_principal",
          factory_key: "envoy.string",
          // Substitution format string: a literal '%' must be doubled.
          format_string: { text_format_source: { inline_string: principal.replaceAll("%", "%%") } },
        },
      ],
    },
  };
}

const FILTER_STATE_KEY = /^[A-Za-z0-9_.\-/]+$/;

/** The JSON access-log line: one per request, tagged with the listener name. */
export function accessLogFormat(tag: string, filterStateKeys: readonly string[], where: string): Json {
  const filterState: Json = {};
  for (const key of filterStateKeys) {
    if (!FILTER_STATE_KEY.test(key)) {
      throw new Error(`${where}.listener.accessLogFilterState: key ${JSON.stringify(key)} may only use [A-Za-z0-9_.-/]`);
    }
    filterState[key] = `%FILTER_STATE(${key}:PLAIN)%`;
  }
  return {
    tag,
    code: "%RESPONSE_CODE%",
    details: "%RESPONSE_CODE_DETAILS%",
    flags: "%RESPONSE_FLAGS%",
    filter_state: filterState,
  };
}

export interface ScenarioListenerInput {
  scenario: Scenario;
  /** Where the error messages say the scenario comes from, e.g. `test/scenarios/headers/basic.yaml#add`. */
  where: string;
  listenerName: string;
  port: number;
  /** The module file for each plugin (same order as `scenario.plugins`). */
  modulePaths: string[];
  accessLogPath: string;
  tls?: { certPath: string; keyPath: string; caPath: string };
  jwks?: string;
}

export function buildScenarioListener(input: ScenarioListenerInput): Json {
  const { scenario, where } = input;
  const listener = scenario.listener ?? {};
  if (scenario.plugins.length !== input.modulePaths.length) {
    throw new Error(`${where}: ${scenario.plugins.length} plugins but ${input.modulePaths.length} module paths`);
  }
  const httpFilters: Json[] = [];
  if (listener.jwt) {
    if (!input.jwks) throw new Error(`${where}.listener.jwt: no JWKS was provided to the bootstrap builder`);
    httpFilters.push(jwtFilter(listener.jwt, input.jwks));
  }
  if (listener.peerPrincipalFilterState !== undefined) httpFilters.push(peerPrincipalFilter(listener.peerPrincipalFilterState));
  (listener.nativeFilters ?? []).forEach((filter, index) => {
    if (!filter.name || typeof filter.typedConfig?.["@type"] !== "string") {
      throw new Error(`${where}.listener.nativeFilters[${index}]: needs a name and a typedConfig with "@type"`);
    }
    httpFilters.push({ name: filter.name, typed_config: filter.typedConfig });
  });
  scenario.plugins.forEach((plugin, index) =>
    httpFilters.push(wasmFilter(plugin, input.modulePaths[index]!, `${where}.plugins[${index}]`)),
  );
  httpFilters.push({ name: "envoy.filters.http.router", typed_config: { "@type": TYPE.router } });

  const hcm: Json = {
    "@type": TYPE.hcm,
    stat_prefix: input.listenerName,
    codec_type: "AUTO",
    route_config: {
      name: ROUTE_CONFIG_NAME,
      virtual_hosts: [
        {
          name: VIRTUAL_HOST_NAME,
          domains: ["*"],
          routes: [{ name: ROUTE_NAME, match: { prefix: "/" }, route: { cluster: UPSTREAM_CLUSTER } }],
        },
      ],
    },
    http_filters: httpFilters,
    access_log: [
      {
        name: "envoy.access_loggers.file",
        typed_config: {
          "@type": TYPE.fileAccessLog,
          path: input.accessLogPath,
          log_format: { json_format: accessLogFormat(input.listenerName, listener.accessLogFilterState ?? [], where) },
        },
      },
    ],
  };
  if (listener.useRemoteAddress !== undefined) hcm.use_remote_address = listener.useRemoteAddress;
  if (listener.xffNumTrustedHops !== undefined) hcm.xff_num_trusted_hops = listener.xffNumTrustedHops;
  if (listener.normalizePath !== undefined) hcm.normalize_path = listener.normalizePath;
  if (listener.mergeSlashes !== undefined) hcm.merge_slashes = listener.mergeSlashes;
  if (listener.pathWithEscapedSlashesAction !== undefined) {
    hcm.path_with_escaped_slashes_action = listener.pathWithEscapedSlashesAction;
  }

  const filterChain: Json = {
    filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: hcm }],
  };
  const result: Json = {
    "@type": TYPE.listener,
    name: input.listenerName,
    address: socketAddress(input.port),
    filter_chains: [filterChain],
  };
  if (listener.tls) {
    if (!input.tls) throw new Error(`${where}.listener.tls: no certificates were provided to the bootstrap builder`);
    filterChain.transport_socket = {
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type": TYPE.downstreamTls,
        // "TLS without a client certificate" is a valid scenario; a presented certificate must verify.
        require_client_certificate: false,
        common_tls_context: {
          alpn_protocols: ["h2", "http/1.1"],
          tls_certificates: [
            { certificate_chain: { filename: input.tls.certPath }, private_key: { filename: input.tls.keyPath } },
          ],
          validation_context: { trusted_ca: { filename: input.tls.caPath } },
        },
      },
    };
    // As on Istio inbound listeners: the TLS inspector records SNI (connection.requested_server_name).
    result.listener_filters = [
      { name: "envoy.filters.listener.tls_inspector", typed_config: { "@type": TYPE.tlsInspector } },
    ];
  }
  return result;
}

/** The LDS/CDS file content: a DiscoveryResponse-shaped document. */
export function discoveryDocument(resources: Json[]): Json {
  return { resources };
}
