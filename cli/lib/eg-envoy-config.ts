/**
 * What Envoy Gateway generates in Envoy for an `EnvoyExtensionPolicy` with Wasm entries (deployment.md §C.2;
 * `envoyproxy/gateway internal/xds/translator/wasm.go` `buildHCMWasmFilter`/`patchRoute`,
 * `internal/gatewayapi/envoyextensionpolicy.go` `buildWasm`; goldens `testdata/out/xds-ir/wasm.*.yaml`):
 *
 *  - one HCM filter per Wasm entry, named `envoy.filters.http.wasm/envoyextensionpolicy/<ns>/<policy>/wasm/<i>`,
 *    **disabled** on the HCM;
 *  - enabled on every targeted route by `typed_per_filter_config: {<filter name>: FilterConfig{config: {}}}`;
 *  - the module served by EG's own HTTPS cache (`wasm_cluster`, port 18002) with its sha256 (of the .wasm,
 *    computed by EG — also for OCI images), `vm_id` unique per entry (no VM sharing), runtime v8,
 *    `fail_open` only when true, `host_env_keys` from `env.hostKeys`;
 *  - the configuration as the raw JSON EG reads back from the apiserver (sorted keys, Go escaping, integers
 *    kept as integers — **inference**, deployment.md §H).
 *
 * A local run serves the module from a plain-HTTP loopback server instead of EG's TLS cache; everything Envoy
 * sees about the plugin (names, per-route enablement, remote fetch with sha256 check) is the same.
 */
import { goJsonEncode, goJsonNumberFromUnstructured } from "./istio-plugin-config.js";

export interface EnvoyExtensionPolicyObject {
  metadata: { name: string; namespace: string };
  spec: {
    wasm?: Array<{
      name?: string;
      rootID?: string;
      config?: unknown;
      failOpen?: boolean;
      env?: { hostKeys?: string[] };
      code: unknown;
    }>;
  };
}

export interface ModuleSource {
  /** Where Envoy fetches the module (EG: `https://envoy-gateway.<ns>.svc.cluster.local:18002/<hash>.wasm`). */
  uri: string;
  cluster: string;
  /** Hex sha256 of the .wasm bytes. */
  sha256: string;
}

const TYPE = {
  httpWasm: "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
  stringValue: "type.googleapis.com/google.protobuf.StringValue",
  filterConfig: "type.googleapis.com/envoy.config.route.v3.FilterConfig",
} as const;

/** `envoyextensionpolicy/<ns>/<policy>/wasm/<index>` (`irConfigNameForWasm`). */
export function egWasmIrName(policy: EnvoyExtensionPolicyObject, index: number): string {
  return `envoyextensionpolicy/${policy.metadata.namespace}/${policy.metadata.name}/wasm/${index}`;
}

export function egHttpFilterName(policy: EnvoyExtensionPolicyObject, index: number): string {
  return `envoy.filters.http.wasm/${egWasmIrName(policy, index)}`;
}

/** The configuration string EG passes to the plugin ("" when `config` is unset). */
export function egConfigJson(config: unknown): string {
  return config === undefined || config === null ? "" : goJsonEncode(config, goJsonNumberFromUnstructured);
}

/** HCM `http_filters` entries (disabled), one per Wasm entry, in policy order. */
export function egHttpFilters(policy: EnvoyExtensionPolicyObject, modules: ModuleSource[]): Array<Record<string, unknown>> {
  return (policy.spec.wasm ?? []).map((wasm, index) => {
    const module = modules[index];
    if (!module) throw new Error(`no module source for wasm[${index}]`);
    const config: Record<string, unknown> = { name: wasm.name ?? egWasmIrName(policy, index) };
    if (wasm.rootID) config.root_id = wasm.rootID;
    config.configuration = { "@type": TYPE.stringValue, value: egConfigJson(wasm.config) };
    if (wasm.failOpen === true) config.fail_open = true;
    const vmConfig: Record<string, unknown> = {
      vm_id: egWasmIrName(policy, index),
      runtime: "envoy.wasm.runtime.v8",
      code: {
        remote: {
          http_uri: { uri: module.uri, cluster: module.cluster, timeout: "10s" },
          sha256: module.sha256,
          retry_policy: { num_retries: 10, retry_back_off: { base_interval: "1s", max_interval: "30s" } },
        },
      },
    };
    if (wasm.env?.hostKeys?.length) vmConfig.environment_variables = { host_env_keys: wasm.env.hostKeys };
    config.vm_config = vmConfig;
    return { name: egHttpFilterName(policy, index), disabled: true, typed_config: { "@type": TYPE.httpWasm, config } };
  });
}

/** `typed_per_filter_config` of a route the policy targets: every Wasm filter of the policy switched on. */
export function egRoutePerFilterConfig(policy: EnvoyExtensionPolicyObject): Record<string, unknown> {
  return Object.fromEntries(
    (policy.spec.wasm ?? []).map((_, index) => [egHttpFilterName(policy, index), { "@type": TYPE.filterConfig, config: {} }]),
  );
}
