/**
 * What istiod and istio-agent hand to Envoy for one `WasmPlugin`, reproduced as Envoy configuration
 * (deployment.md §B.2–§B.6; `istio/istio pilot/pkg/config/kube/extensions/translate.go`,
 * `pilot/pkg/model/extensions.go`, `pilot/pkg/networking/core/extension/extensionfilter.go`,
 * `pkg/wasm/convert.go`):
 *
 *  - the listener's HCM gets a filter that only *references* the plugin through ECDS
 *    ({@link istioHttpFilterReference});
 *  - istiod sends the ECDS resource with `code.remote` (the oci:// URL) and `ISTIO_META_*` environment entries
 *    ({@link istiodEcdsResource});
 *  - istio-agent fetches the module, removes the `ISTIO_META_*` keys and rewrites the code to a local file —
 *    or, when the fetch fails, replaces the whole resource with an RBAC filter that denies everything (allows
 *    everything for FAIL_OPEN) ({@link istioAgentConvert}).
 *
 * Names: Istio ≥ 1.30 translates every WasmPlugin into a synthetic TrafficExtension named
 * `<name>~istio-translated-wasmplugin`; Istio ≤ 1.29 used the WasmPlugin name directly. Both forms are produced
 * ({@link IstioNaming}); tests run both.
 */
import { istioPluginConfigJson } from "./istio-plugin-config.js";

export type IstioNaming = "istio-1.30" | "istio-1.29";

/** The WasmPlugin fields the translation reads (a generated manifest's `spec`). */
export interface WasmPluginSpec {
  url: string;
  sha256?: string;
  pluginName?: string;
  pluginConfig?: Record<string, unknown>;
  failStrategy?: "FAIL_CLOSE" | "FAIL_OPEN" | "FAIL_RELOAD";
  imagePullPolicy?: "UNSPECIFIED_POLICY" | "IfNotPresent" | "Always";
  imagePullSecret?: string;
  type?: "UNSPECIFIED_PLUGIN_TYPE" | "HTTP" | "NETWORK";
  vmConfig?: { env?: Array<{ name: string; value?: string; valueFrom?: "INLINE" | "HOST" }> };
}

export interface WasmPluginObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: WasmPluginSpec;
}

const TYPE = {
  httpWasm: "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
  httpRbac: "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
  stringValue: "type.googleapis.com/google.protobuf.StringValue",
} as const;

/** `trafficextension~` marker added by istiod ≥ 1.30 (`translate.go` syntheticMarker). */
export const ISTIO_SYNTHETIC_MARKER = "~istio-translated-wasmplugin";
const ISTIO_META_PREFIX = "ISTIO_META_";

/** `PluginConfig.name` (what `get_property(["plugin_name"])` returns). */
export function istioPluginName(plugin: WasmPluginObject, naming: IstioNaming): string {
  const base = `${plugin.metadata.namespace}.${plugin.metadata.name}`;
  return naming === "istio-1.30" ? `${base}${ISTIO_SYNTHETIC_MARKER}` : base;
}

/** ECDS resource name = HTTP filter name in the HCM. */
export function istioResourceName(plugin: WasmPluginObject, naming: IstioNaming): string {
  return naming === "istio-1.30"
    ? `extensions.istio.io/trafficextension/${istioPluginName(plugin, naming)}`
    : `extensions.istio.io/wasmplugin/${istioPluginName(plugin, naming)}`;
}

const FAILURE_POLICY = { FAIL_CLOSE: "FAIL_CLOSED", FAIL_OPEN: "FAIL_OPEN", FAIL_RELOAD: "FAIL_RELOAD" } as const;

/**
 * The HCM `http_filters` entry istiod writes (`toEnvoyHTTPTrafficExtension`). `configSource` defaults to ADS as
 * istiod sends it; a local run passes a `path_config_source` instead (same resource, delivered from a file).
 */
export function istioHttpFilterReference(
  plugin: WasmPluginObject,
  naming: IstioNaming,
  configSource: Record<string, unknown> = { ads: {} },
): Record<string, unknown> {
  return {
    name: istioResourceName(plugin, naming),
    config_discovery: {
      config_source: { ...configSource, resource_api_version: "V3", initial_fetch_timeout: "0s" },
      type_urls: [TYPE.httpWasm, TYPE.httpRbac],
    },
  };
}

/** Go `url.Parse` + "no scheme → oci" (`convertToWasmPluginWrapper`). */
function normalizedModuleUrl(url: string): string {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url) ? url : `oci://${url}`;
}

/** The ECDS `TypedExtensionConfig` istiod sends, before istio-agent rewrites it. */
export function istiodEcdsResource(plugin: WasmPluginObject, naming: IstioNaming): Record<string, unknown> {
  const { spec } = plugin;
  if (spec.type === "NETWORK") throw new Error("NETWORK plugins are not reproduced (HTTP filters only)");
  const url = normalizedModuleUrl(spec.url);
  const code = url.startsWith("file://")
    ? { local: { filename: url.slice("file://".length) } }
    : { remote: { http_uri: { uri: url, cluster: "_", timeout: "30s" }, sha256: spec.sha256 ?? "" } };
  const keyValues: Record<string, string> = {};
  if (spec.imagePullSecret) keyValues.ISTIO_META_WASM_IMAGE_PULL_SECRET = ""; // dockerconfigjson of the Secret
  if (spec.imagePullPolicy && spec.imagePullPolicy !== "UNSPECIFIED_POLICY") {
    keyValues.ISTIO_META_WASM_IMAGE_PULL_POLICY = spec.imagePullPolicy;
  }
  keyValues.ISTIO_META_WASM_PLUGIN_RESOURCE_VERSION = plugin.metadata.resourceVersion ?? "1";
  const hostEnvKeys: string[] = [];
  for (const env of spec.vmConfig?.env ?? []) {
    if ((env.valueFrom ?? "INLINE") === "INLINE") keyValues[env.name] = env.value ?? "";
    else hostEnvKeys.push(env.name);
  }
  const environmentVariables: Record<string, unknown> = { key_values: keyValues };
  if (hostEnvKeys.length > 0) environmentVariables.host_env_keys = hostEnvKeys;
  const config: Record<string, unknown> = {
    name: istioPluginName(plugin, naming),
    root_id: spec.pluginName ?? "",
  };
  const configuration = istioPluginConfigJson(spec.pluginConfig);
  // Empty pluginConfig → an empty Any (the plugin receives 0 bytes); omitting the field is equivalent in Envoy.
  if (configuration !== "") config.configuration = { "@type": TYPE.stringValue, value: configuration };
  config.failure_policy = FAILURE_POLICY[spec.failStrategy ?? "FAIL_CLOSE"];
  config.vm_config = { runtime: "envoy.wasm.runtime.v8", code, environment_variables: environmentVariables };
  return { name: istioResourceName(plugin, naming), typed_config: { "@type": TYPE.httpWasm, config } };
}

export type AgentFetchResult = { localFile: string } | { error: string };

/**
 * istio-agent's rewrite of an ECDS resource (`MaybeConvertWasmExtensionConfig`): on success, `code.remote` →
 * `code.local.filename` and every `ISTIO_META_*` key removed (the `environment_variables` block dropped when
 * nothing is left); on failure, an RBAC filter with the same name that denies every request (`rules: {}`) —
 * or allows every request for FAIL_OPEN — so an AUTHZ plugin that cannot load never lets traffic through.
 */
export function istioAgentConvert(resource: Record<string, unknown>, fetched: AgentFetchResult): Record<string, unknown> {
  const typed = resource.typed_config as { config: Record<string, unknown> };
  const config = structuredClone(typed.config);
  const vm = config.vm_config as { code: Record<string, unknown>; environment_variables?: { key_values?: Record<string, string>; host_env_keys?: string[] } };
  if (!("remote" in vm.code)) return resource; // file:// modules are not touched by the agent
  if ("error" in fetched) {
    const failOpen = config.failure_policy === "FAIL_OPEN";
    return {
      name: resource.name,
      typed_config: failOpen
        ? { "@type": TYPE.httpRbac, rules_stat_prefix: "wasm-default-allow" }
        : { "@type": TYPE.httpRbac, rules: {}, rules_stat_prefix: "wasm-default-deny" },
    };
  }
  vm.code = { local: { filename: fetched.localFile } };
  const env = vm.environment_variables;
  if (env) {
    const kept = Object.fromEntries(Object.entries(env.key_values ?? {}).filter(([k]) => !k.startsWith(ISTIO_META_PREFIX)));
    const hostKeys = env.host_env_keys ?? [];
    if (Object.keys(kept).length === 0 && hostKeys.length === 0) delete vm.environment_variables;
    else {
      vm.environment_variables = {};
      if (Object.keys(kept).length > 0) vm.environment_variables.key_values = kept;
      if (hostKeys.length > 0) vm.environment_variables.host_env_keys = hostKeys;
    }
  }
  return { name: resource.name, typed_config: { "@type": TYPE.httpWasm, config } };
}

/** An ECDS file for Envoy's `path_config_source` (a DiscoveryResponse holding the resources). */
export function ecdsDiscoveryResponse(resources: Array<Record<string, unknown>>, versionInfo = "1"): Record<string, unknown> {
  return {
    version_info: versionInfo,
    resources: resources.map((r) => ({ "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig", ...r })),
  };
}
