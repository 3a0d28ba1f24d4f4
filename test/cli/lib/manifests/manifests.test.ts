// Generated manifests: golden output, and every one validates against the real CRD schemas (deployment.md §A, §C).
import { describe, expect, test } from "vitest";
import { CrdRegistry } from "../../../../cli/lib/crd/validator";
import { envoyGatewayManifests } from "../../../../cli/lib/manifests/envoy-gateway";
import { istioWasmPlugin, parseIstioTargetRef } from "../../../../cli/lib/manifests/istio";
import { crdDir } from "../../support/cli";
import { expectGolden, toYaml } from "../../support/golden";

const registry = CrdRegistry.fromDirectory(crdDir);
const SHA = "5b381cddb9d92a5f5274314139423ba5f8ee5f46b3553e3f10847a5b72bb423d";
const CONFIG = { rules: [{ name: "admins", when: [{ key: "request.headers[x-role]", values: ["admin"] }] }] };

function expectValid(documents: Array<Record<string, unknown>>): void {
  for (const doc of documents) {
    const report = registry.validate(doc, "generated");
    if (doc.kind === "HTTPRoute") continue; // no HTTPRoute CRD in shared/crds (see docs/DEPLOY.md)
    expect(report.schemaFound).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.uncheckedRules).toEqual([]);
  }
}

describe("Istio WasmPlugin", () => {
  test("sidecar: selector, phase AUTHZ, match SERVER", () => {
    const doc = istioWasmPlugin({
      name: "abac",
      namespace: "shop",
      url: "oci://registry.example.com/filters/abac:1.0.0",
      sha256: SHA,
      pluginName: "abac",
      pluginConfig: CONFIG,
      phase: "AUTHZ",
      priority: 10,
      failStrategy: "FAIL_CLOSE",
      imagePullPolicy: "IfNotPresent",
      match: { mode: "SERVER", ports: [8080] },
      selector: { app: "checkout" },
      env: [{ name: "MODE", value: "strict" }, { name: "POD_NAME", valueFrom: "HOST" }],
    });
    expectValid([doc]);
    expectGolden("istio-sidecar.yaml", toYaml([doc]));
  });

  test("waypoint: targetRefs to the waypoint Gateway and a Service", () => {
    const doc = istioWasmPlugin({
      name: "abac",
      namespace: "shop",
      url: "oci://registry.example.com/filters/abac:1.0.0",
      sha256: SHA,
      phase: "AUTHZ",
      targetRefs: [parseIstioTargetRef("Gateway/waypoint"), parseIstioTargetRef("Service/reviews")],
    });
    expectValid([doc]);
    expectGolden("istio-waypoint.yaml", toYaml([doc]));
  });

  test("placement mistakes are refused before anything is written", () => {
    const base = { name: "x", namespace: "d", url: "oci://r/x:1" };
    expect(() => istioWasmPlugin({ ...base, selector: { a: "b" }, targetRefs: [parseIstioTargetRef("Gateway/g")] })).toThrow(/exclusive/);
    expect(() => istioWasmPlugin({ ...base, match: { mode: "CLIENT" }, targetRefs: [parseIstioTargetRef("Service/s")] })).toThrow(/never applies to a waypoint/);
    expect(() => istioWasmPlugin({ ...base, url: "registry.local:5000/x:1" })).toThrow(/explicit scheme/);
    expect(() => parseIstioTargetRef("Deployment/x")).toThrow(/kind must be one of Gateway, GatewayClass, Service, ServiceEntry/);
  });
});

describe("Envoy Gateway EnvoyExtensionPolicy", () => {
  test("policy + the HTTPRoute it targets", () => {
    const docs = envoyGatewayManifests({
      name: "abac",
      namespace: "shop",
      imageUrl: "registry.example.com/filters/abac:1.0.0",
      sha256: SHA,
      rootId: "abac",
      config: CONFIG,
      hostEnvKeys: ["HOSTNAME"],
      route: { name: "checkout", gateway: "eg", hostnames: ["shop.example.com"], pathPrefix: "/api", backend: { name: "checkout", port: 8080 } },
    });
    expect(docs.map((d) => d.kind)).toEqual(["HTTPRoute", "EnvoyExtensionPolicy"]);
    expectValid(docs);
    expectGolden("envoy-gateway.yaml", toYaml(docs));
  });

  test("policy on an existing Gateway; errors without a target", () => {
    const docs = envoyGatewayManifests({ name: "abac", namespace: "d", imageUrl: "r/x:1", targetRefs: [{ kind: "Gateway", name: "eg" }], failOpen: true });
    expectValid(docs);
    expect(() => envoyGatewayManifests({ name: "abac", namespace: "d", imageUrl: "r/x:1" })).toThrow(/needs a target/);
    expect(() => envoyGatewayManifests({ name: "abac", namespace: "d", imageUrl: "https://r/x.wasm", targetRefs: [{ kind: "Gateway", name: "eg" }] })).toThrow(/registry\/repository:tag/);
  });
});
