/**
 * Static Envoy bootstraps for local runs: one HTTP listener on 127.0.0.1 with the given HTTP filters before the
 * router, routes to one upstream cluster, an admin listener, and optional extra clusters (e.g. the server a
 * remote Wasm module is fetched from). Used by `as-proxy run`, the examples and the control-plane reproductions.
 */

export interface RouteSpec {
  prefix: string;
  /** `typed_per_filter_config` of this route (Envoy Gateway enables its Wasm filters here). */
  typedPerFilterConfig?: Record<string, unknown>;
}

export interface UpstreamSpec {
  host: string;
  port: number;
  /** TLS to the upstream (SNI = host); no certificate verification — a development loop only. */
  tls?: boolean;
}

export interface LocalBootstrapOptions {
  adminPort: number;
  listenerPort: number;
  upstream: UpstreamSpec;
  httpFilters: Array<Record<string, unknown>>;
  routes?: RouteSpec[];
  extraClusters?: Array<Record<string, unknown>>;
  /** Access log file (one line per request with the response code details). */
  accessLogPath?: string;
  /** Node identity; required by xDS subscriptions (ECDS from a file included). */
  node?: { id: string; cluster: string };
}

const IP_V4 = /^\d+\.\d+\.\d+\.\d+$/;

/** A cluster with one endpoint (STATIC for an IP, STRICT_DNS for a name). */
export function singleHostCluster(name: string, host: string, port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    type: IP_V4.test(host) ? "STATIC" : "STRICT_DNS",
    connect_timeout: "5s",
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }],
    },
    ...extra,
  };
}

export function localBootstrap(o: LocalBootstrapOptions): Record<string, unknown> {
  const routes = (o.routes ?? [{ prefix: "/" }]).map((r) => ({
    match: { prefix: r.prefix },
    route: { cluster: "upstream", timeout: "30s" },
    ...(r.typedPerFilterConfig ? { typed_per_filter_config: r.typedPerFilterConfig } : {}),
  }));
  const hcm: Record<string, unknown> = {
    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    stat_prefix: "local",
    route_config: { name: "local", virtual_hosts: [{ name: "all", domains: ["*"], routes }] },
    http_filters: [
      ...o.httpFilters,
      { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
    ],
  };
  if (o.accessLogPath) {
    hcm.access_log = [
      {
        name: "envoy.access_loggers.file",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
          path: o.accessLogPath,
          log_format: { text_format_source: { inline_string: "%RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %REQ(:PATH)%\n" } },
        },
      },
    ];
  }
  const upstreamTls = o.upstream.tls
    ? {
        transport_socket: {
          name: "envoy.transport_sockets.tls",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
            sni: o.upstream.host,
          },
        },
      }
    : {};
  return {
    node: o.node ?? { id: "as-proxy-local", cluster: "as-proxy" },
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: o.adminPort } } },
    static_resources: {
      listeners: [
        {
          name: "local",
          address: { socket_address: { address: "127.0.0.1", port_value: o.listenerPort } },
          filter_chains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: hcm }] }],
        },
      ],
      clusters: [singleHostCluster("upstream", o.upstream.host, o.upstream.port, upstreamTls), ...(o.extraClusters ?? [])],
    },
  };
}

export interface LocalPluginOptions {
  name: string;
  rootId?: string;
  /** The exact configuration string the plugin receives ("" = none). */
  configuration: string;
  filename: string;
  failurePolicy?: "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";
  vmId?: string;
  environment?: Record<string, string>;
}

/** A Wasm HTTP filter with a local module (deployment.md §D.2). */
export function localWasmFilter(o: LocalPluginOptions): Record<string, unknown> {
  const config: Record<string, unknown> = { name: o.name, root_id: o.rootId ?? "" };
  if (o.configuration !== "") {
    config.configuration = { "@type": "type.googleapis.com/google.protobuf.StringValue", value: o.configuration };
  }
  config.failure_policy = o.failurePolicy ?? "FAIL_CLOSED";
  const vm: Record<string, unknown> = { vm_id: o.vmId ?? "", runtime: "envoy.wasm.runtime.v8", code: { local: { filename: o.filename } } };
  if (o.environment && Object.keys(o.environment).length > 0) vm.environment_variables = { key_values: o.environment };
  config.vm_config = vm;
  return { name: "envoy.filters.http.wasm", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm", config } };
}
