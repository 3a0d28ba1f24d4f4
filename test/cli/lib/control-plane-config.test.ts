// What istiod + istio-agent (deployment.md §B.2–§B.6) and Envoy Gateway (§C.2) hand to Envoy, as golden files.
import { describe, expect, test } from "vitest";
import { egConfigJson, egHttpFilterName, egHttpFilters, egRoutePerFilterConfig } from "../../../cli/lib/eg-envoy-config";
import {
  ecdsDiscoveryResponse,
  istioAgentConvert,
  istioHttpFilterReference,
  istiodEcdsResource,
  istioPluginName,
  istioResourceName,
  type WasmPluginObject,
} from "../../../cli/lib/istio-envoy-config";
import { expectGolden, toYaml } from "../support/golden";

const plugin: WasmPluginObject = {
  metadata: { name: "abac", namespace: "shop", resourceVersion: "4242" },
  spec: {
    url: "registry.example.com/filters/abac:1.0.0", // no scheme: istiod adds oci://
    sha256: "5b381cddb9d92a5f5274314139423ba5f8ee5f46b3553e3f10847a5b72bb423d",
    pluginName: "abac",
    pluginConfig: { b: 2, a: "<x>" },
    failStrategy: "FAIL_CLOSE",
    imagePullPolicy: "IfNotPresent",
    vmConfig: { env: [{ name: "MODE", value: "strict" }, { name: "POD_NAME", valueFrom: "HOST" }] },
  },
};

describe("istiod + istio-agent", () => {
  test("names: Istio >= 1.30 translated form and Istio <= 1.29 form", () => {
    expect(istioPluginName(plugin, "istio-1.30")).toBe("shop.abac~istio-translated-wasmplugin");
    expect(istioResourceName(plugin, "istio-1.30")).toBe("extensions.istio.io/trafficextension/shop.abac~istio-translated-wasmplugin");
    expect(istioPluginName(plugin, "istio-1.29")).toBe("shop.abac");
    expect(istioResourceName(plugin, "istio-1.29")).toBe("extensions.istio.io/wasmplugin/shop.abac");
  });

  test("golden: listener reference, ECDS from istiod, ECDS after the agent", () => {
    const istiod = istiodEcdsResource(plugin, "istio-1.30");
    const agent = istioAgentConvert(istiod, { localFile: "/var/lib/istio/data/abc/def.wasm" });
    expectGolden("istio-envoy-config.yaml", toYaml([istioHttpFilterReference(plugin, "istio-1.30"), istiod, agent]));
  });

  test("the agent removes every ISTIO_META_* key and drops an empty environment", () => {
    const bare: WasmPluginObject = { metadata: { name: "p", namespace: "d" }, spec: { url: "oci://r/x:1" } };
    const converted = istioAgentConvert(istiodEcdsResource(bare, "istio-1.29"), { localFile: "/f.wasm" }) as { typed_config: { config: Record<string, unknown> } };
    expect(converted.typed_config.config).toEqual({
      name: "d.p",
      root_id: "",
      failure_policy: "FAIL_CLOSED",
      vm_config: { runtime: "envoy.wasm.runtime.v8", code: { local: { filename: "/f.wasm" } } },
    });
  });

  test("fetch failure: deny-all RBAC (allow-all only for FAIL_OPEN; FAIL_RELOAD denies)", () => {
    for (const [failStrategy, expected] of [
      ["FAIL_CLOSE", { rules: {}, rules_stat_prefix: "wasm-default-deny" }],
      ["FAIL_RELOAD", { rules: {}, rules_stat_prefix: "wasm-default-deny" }],
      ["FAIL_OPEN", { rules_stat_prefix: "wasm-default-allow" }],
    ] as const) {
      const resource = istiodEcdsResource({ ...plugin, spec: { ...plugin.spec, failStrategy } }, "istio-1.30");
      expect(istioAgentConvert(resource, { error: "could not fetch" })).toEqual({
        name: istioResourceName(plugin, "istio-1.30"),
        typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC", ...expected },
      });
    }
  });

  test("an empty pluginConfig is no configuration at all", () => {
    const resource = istiodEcdsResource({ ...plugin, spec: { ...plugin.spec, pluginConfig: {} } }, "istio-1.30") as { typed_config: { config: Record<string, unknown> } };
    expect(resource.typed_config.config).not.toHaveProperty("configuration");
  });

  test("ECDS file for path_config_source", () => {
    expect(ecdsDiscoveryResponse([{ name: "n", typed_config: {} }])).toEqual({
      version_info: "1",
      resources: [{ "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig", name: "n", typed_config: {} }],
    });
  });
});

describe("Envoy Gateway", () => {
  const policy = {
    metadata: { name: "abac", namespace: "shop" },
    spec: {
      wasm: [
        { rootID: "abac", config: { b: 2, a: "&" }, env: { hostKeys: ["HOSTNAME"] }, code: {} },
        { name: "recorder", failOpen: true, code: {} },
      ],
    },
  };
  const modules = [
    { uri: "https://envoy-gateway.envoy-gateway-system.svc.cluster.local:18002/a.wasm", cluster: "wasm_cluster", sha256: "a".repeat(64) },
    { uri: "https://envoy-gateway.envoy-gateway-system.svc.cluster.local:18002/b.wasm", cluster: "wasm_cluster", sha256: "b".repeat(64) },
  ];

  test("golden: disabled HCM filters + per-route enablement", () => {
    expectGolden("eg-envoy-config.yaml", toYaml([{ http_filters: egHttpFilters(policy, modules) }, { typed_per_filter_config: egRoutePerFilterConfig(policy) }]));
  });

  test("names and configuration encoding", () => {
    expect(egHttpFilterName(policy, 1)).toBe("envoy.filters.http.wasm/envoyextensionpolicy/shop/abac/wasm/1");
    expect(egConfigJson(undefined)).toBe("");
    expect(egConfigJson({ z: 1, a: [1.5, "<"] })).toBe('{"a":[1.5,"\\u003c"],"z":1}');
    expect(() => egHttpFilters(policy, modules.slice(0, 1))).toThrow(/no module source for wasm\[1\]/);
  });
});
