/**
 * The Envoy side of the benchmark: the variants and the bootstrap that serves them.
 *
 * One Envoy process, one listener per variant, each with its own HTTP connection manager (stat prefix = the
 * variant id, no access log) and the same route to the cluster `upstream`. The upstream is a listener of the
 * *same* process that answers every request with a `direct_response` 200 and no body: no third process competes
 * for the two cores, and every variant pays the same upstream cost (measured on its own as the `upstream`
 * reference, so that the proxy's share can be derived). The recorder exports its batches to the cluster
 * `collector`, which points at the same listener.
 *
 * Wasm filters are configured as istiod configures a WasmPlugin (deployment.md §B.3): V8, no `vm_id`, the
 * configuration as a `StringValue` holding the JSON, FAIL_CLOSED. Each Wasm filter of each listener loads its own
 * copy of the module (a unique custom section, see harness/envoy/wasm-module.ts), so every listener has VMs of
 * its own — as separate workloads would — and the 500-policy configuration's garbage is not traced while the
 * 10-policy listener runs.
 */
import { translateToRbac } from "../../filters/abac/node/rbac";
import { pluginConfigurationText } from "../../harness/envoy/bootstrap";
import { COLLECTOR_CLUSTER, RECORDER_CONFIG, abacPolicies } from "./workload";

const TYPE = {
  hcm: "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  router: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
  wasm: "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
  stringValue: "type.googleapis.com/google.protobuf.StringValue",
} as const;

type Json = Record<string, unknown>;

export type FilterSpec =
  | { kind: "wasm"; filter: string; configuration?: unknown }
  | { kind: "native"; name: string; typedConfig: Json };

export interface EnvoyVariant {
  /** Listener name and HCM stat prefix (`http.<id>.*`). */
  id: string;
  label: string;
  /** HTTP filters before the router, in chain order. */
  filters: FilterSpec[];
  /** ABAC/RBAC: a request outside the policies must get 403 (sanity check before measuring). */
  enforces: boolean;
}

/** The variants of issue #8, in report order. `none` must be first: every ratio is against it. */
export function envoyVariants(): EnvoyVariant[] {
  const abac = (n: number): FilterSpec => ({ kind: "wasm", filter: "abac", configuration: abacPolicies(n) });
  const recorder: FilterSpec = { kind: "wasm", filter: "l7-metadata", configuration: RECORDER_CONFIG };
  const rbac: FilterSpec[] = translateToRbac(abacPolicies(50)).map((f) => ({
    kind: "native" as const,
    name: f.name,
    typedConfig: f.typedConfig,
  }));
  return [
    { id: "none", label: "no filter (router only)", filters: [], enforces: false },
    { id: "noop", label: "no-op Wasm (`noop`)", filters: [{ kind: "wasm", filter: "noop" }], enforces: false },
    { id: "abac10", label: "ABAC, 10 policies", filters: [abac(10)], enforces: true },
    { id: "abac50", label: "ABAC, 50 policies", filters: [abac(50)], enforces: true },
    { id: "abac500", label: "ABAC, 500 policies", filters: [abac(500)], enforces: true },
    { id: "rbac50", label: "native RBAC, 50 policies (istiod translation)", filters: rbac, enforces: true },
    { id: "recorder", label: "recorder (`l7-metadata`)", filters: [recorder], enforces: false },
    { id: "abac50_recorder", label: "ABAC 50 + recorder", filters: [abac(50), recorder], enforces: true },
  ];
}

/** Id of the upstream listener, measured directly as the `upstream` reference. */
export const UPSTREAM_ID = "upstream";
const UPSTREAM_CLUSTER = "upstream";

function socketAddress(port: number): Json {
  return { socket_address: { address: "127.0.0.1", port_value: port } };
}

function httpListener(id: string, port: number, httpFilters: Json[], route: Json): Json {
  return {
    name: id,
    address: socketAddress(port),
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": TYPE.hcm,
              stat_prefix: id,
              codec_type: "HTTP1",
              route_config: {
                name: id,
                virtual_hosts: [{ name: id, domains: ["*"], routes: [{ match: { prefix: "/" }, ...route }] }],
              },
              http_filters: [...httpFilters, { name: "envoy.filters.http.router", typed_config: { "@type": TYPE.router } }],
            },
          },
        ],
      },
    ],
  };
}

function staticCluster(name: string, port: number): Json {
  return {
    name,
    type: "STATIC",
    connect_timeout: "1s",
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(port) } }] }] },
  };
}

function wasmFilter(variant: string, index: number, spec: Extract<FilterSpec, { kind: "wasm" }>, modulePath: string): Json {
  const name = `bench.${spec.filter}`;
  const config: Json = {
    name,
    root_id: "",
    vm_config: { runtime: "envoy.wasm.runtime.v8", code: { local: { filename: modulePath } } },
    failure_policy: "FAIL_CLOSED",
  };
  const configuration = pluginConfigurationText(spec.configuration);
  if (configuration !== undefined) config.configuration = { "@type": TYPE.stringValue, value: configuration };
  return { name: `extensions.istio.io/wasmplugin/${name}.${variant}.${index}`, typed_config: { "@type": TYPE.wasm, config } };
}

export interface BootstrapInput {
  adminPort: number;
  upstreamPort: number;
  listeners: Array<{ variant: EnvoyVariant; port: number }>;
  /** The module file for filter `index` of `variant` (a per-listener copy). */
  modulePath: (variant: EnvoyVariant, index: number) => string;
}

export function buildBenchBootstrap(input: BootstrapInput): Json {
  const listeners = input.listeners.map(({ variant, port }) =>
    httpListener(
      variant.id,
      port,
      variant.filters.map((spec, index) =>
        spec.kind === "wasm"
          ? wasmFilter(variant.id, index, spec, input.modulePath(variant, index))
          : { name: spec.name, typed_config: spec.typedConfig },
      ),
      { route: { cluster: UPSTREAM_CLUSTER } },
    ),
  );
  listeners.push(httpListener(UPSTREAM_ID, input.upstreamPort, [], { direct_response: { status: 200 } }));
  return {
    node: { id: "as-proxy-runtime-bench", cluster: "as-proxy-runtime" },
    admin: { address: socketAddress(input.adminPort) },
    static_resources: {
      listeners,
      clusters: [staticCluster(UPSTREAM_CLUSTER, input.upstreamPort), staticCluster(COLLECTOR_CLUSTER, input.upstreamPort)],
    },
  };
}
