// Manifest validation against the real CRD schemas (shared/crds; deployment.md §G) as the apiserver applies them.
import { describe, expect, test } from "vitest";
import { applyDefaults, CrdRegistry, formatProblems, jsonPointerToPath, toJsonSchema } from "../../../../cli/lib/crd/validator";
import { crdDir } from "../../support/cli";

const registry = CrdRegistry.fromDirectory(crdDir);

const wasmPlugin = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: "abac", namespace: "default" }) => ({
  apiVersion: "extensions.istio.io/v1alpha1",
  kind: "WasmPlugin",
  metadata,
  spec,
});

const policy = (spec: Record<string, unknown>) => ({
  apiVersion: "gateway.envoyproxy.io/v1alpha1",
  kind: "EnvoyExtensionPolicy",
  metadata: { name: "abac", namespace: "default" },
  spec,
});

const problems = (doc: unknown) => registry.validate(doc, "t").errors.map((p) => `${p.path}: ${p.message}`);

describe("CrdRegistry", () => {
  test("loads the three CRDs", () => {
    expect(registry.kinds().sort()).toEqual([
      "EnvoyExtensionPolicy.gateway.envoyproxy.io",
      "TrafficExtension.extensions.istio.io",
      "WasmPlugin.extensions.istio.io",
    ]);
  });

  test("a minimal valid WasmPlugin and EnvoyExtensionPolicy pass", () => {
    expect(problems(wasmPlugin({ url: "oci://r.local/x:1", priority: null }))).toEqual([]);
    expect(
      problems(policy({ targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "r" }], wasm: [{ code: { type: "Image", image: { url: "r.local/x:1" } } }] })),
    ).toEqual([]);
  });

  test("schema errors carry JSON paths: unknown field, enum, pattern, type, required", () => {
    expect(
      problems(wasmPlugin({ url: "oci://r/x", phase: "LATE", sha256: "ABC", priority: "high", bogus: 1, match: [{ ports: [{}] }] })).sort(),
    ).toEqual([
      'spec.match[0].ports[0].number: required',
      'spec.phase: must be one of: UNSPECIFIED_PHASE, AUTHN, AUTHZ, STATS',
      'spec.priority: must be integer,null',
      'spec.sha256: must match pattern "(^$|^[a-f0-9]{64}$)"',
      "spec.bogus: unknown field",
    ].sort());
    expect(problems(wasmPlugin({}))).toEqual(["spec.url: required"]);
    expect(problems(wasmPlugin({ url: "oci://r/x", priority: 2 ** 31 }))).toEqual(['spec.priority: must match format "int32"']);
  });

  test("CEL rules are enforced", () => {
    expect(problems(wasmPlugin({ url: "oci://r/x", selector: { matchLabels: { app: "a" } }, targetRefs: [{ kind: "Gateway", name: "g" }] }))).toEqual([
      "spec: only one of targetRefs or selector can be set",
    ]);
    expect(problems(wasmPlugin({ url: "registry.local:5000/x:1" }))).toEqual(["spec.url: url must have schema one of [http, https, file, oci]"]);
    expect(problems(policy({ wasm: [{ code: { type: "HTTP", image: { url: "x" } } }] }))).toEqual([
      "spec: either targetRef or targetRefs must be used",
      "spec.wasm[0].code: If type is HTTP, http field needs to be set.",
      "spec.wasm[0].code: If type is Image, image field needs to be set.",
    ]);
  });

  test("CEL rules see schema defaults (pullSecretRef.kind defaults to Secret)", () => {
    const spec = {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "r" }],
      wasm: [{ code: { type: "Image", image: { url: "r/x:1", pullSecretRef: { name: "s" } } } }],
    };
    expect(problems(policy(spec))).toEqual([]);
    const wrongKind = structuredClone(spec);
    (wrongKind.wasm[0]!.code.image.pullSecretRef as Record<string, string>).kind = "ConfigMap";
    expect(problems(policy(wrongKind))).toEqual(["spec.wasm[0].code.image.pullSecretRef: only support Secret kind."]);
  });

  test("list-type map keys must be unique", () => {
    expect(problems(wasmPlugin({ url: "oci://r/x", vmConfig: { env: [{ name: "A", value: "1" }, { name: "A", value: "2" }] } }))).toEqual([
      "spec.vmConfig.env[1]: duplicate entry: same name as spec.vmConfig.env[0]",
    ]);
  });

  test("metadata: name is a DNS-1123 subdomain, namespace a label", () => {
    expect(problems(wasmPlugin({ url: "oci://r/x" }, { name: "Bad_Name", namespace: "default" }))).toEqual([
      'metadata.name: "Bad_Name" is not a DNS-1123 subdomain (lowercase alphanumerics, \'-\', \'.\')',
    ]);
    expect(problems(wasmPlugin({ url: "oci://r/x" }, { namespace: "a.b" }))).toEqual(["metadata.name: required", 'metadata.namespace: "a.b" is not a DNS-1123 label']);
  });

  test("apiVersion must be served; kinds without a CRD are reported as not checked", () => {
    expect(problems({ ...wasmPlugin({ url: "oci://r/x" }), apiVersion: "extensions.istio.io/v1" })).toEqual([
      'apiVersion: WasmPlugin has no served version "v1" (served: v1alpha1)',
    ]);
    const report = registry.validate({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }, "t");
    expect(report.schemaFound).toBe(false);
    expect(report.errors).toEqual([]);
  });

  test("multi-document YAML: one report per document, YAML errors located", () => {
    const reports = registry.validateYaml("apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: a}\nspec: {url: 'oci://r/x'}\n---\n---\nfoo: [\n", "f.yaml");
    expect(reports.map((r) => r.source)).toEqual(["f.yaml#0", "f.yaml#2"]);
    expect(reports[0]!.errors).toEqual([]);
    expect(reports[1]!.errors[0]!.message).toMatch(/^YAML: /);
    expect(formatProblems(registry.validate(wasmPlugin({}), "x.yaml#0"))).toEqual(["x.yaml#0: WasmPlugin default/abac: spec.url: required"]);
  });
});

describe("conversion helpers", () => {
  test("OpenAPI → JSON Schema: nullable, int-or-string, strict unknown fields, preserve-unknown-fields", () => {
    expect(toJsonSchema({ type: "integer", nullable: true })).toEqual({ type: ["integer", "null"] });
    expect(toJsonSchema({ "x-kubernetes-int-or-string": true })).toEqual({ anyOf: [{ type: "integer" }, { type: "string" }] });
    expect(toJsonSchema({ type: "object", properties: { a: { type: "string" } } })).toMatchObject({ additionalProperties: false });
    expect(toJsonSchema({ type: "object", properties: {}, "x-kubernetes-preserve-unknown-fields": true })).not.toHaveProperty("additionalProperties");
  });

  test("defaults fill absent fields only", () => {
    const schema = { type: "object", properties: { kind: { type: "string", default: "Secret" }, name: { type: "string" } } };
    expect(applyDefaults(schema, { name: "s" })).toEqual({ kind: "Secret", name: "s" });
    expect(applyDefaults(schema, { name: "s", kind: "X" })).toEqual({ kind: "X", name: "s" });
  });

  test("JSON pointer → path", () => {
    expect(jsonPointerToPath("/spec/targetRefs/0/kind")).toBe("spec.targetRefs[0].kind");
    expect(jsonPointerToPath("/metadata/labels/app.kubernetes.io~1name")).toBe('metadata.labels["app.kubernetes.io/name"]');
  });
});
