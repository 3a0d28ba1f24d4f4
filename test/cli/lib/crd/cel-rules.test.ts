// Kubernetes CEL x-kubernetes-validations of the CRDs in shared/crds (deployment.md §G), as TypeScript predicates.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, test } from "vitest";
import { celDuration, celPredicate, normalizeRule } from "../../../../cli/lib/crd/cel-rules";
import { isUrl, parseRequestUri } from "../../../../cli/lib/crd/go-url";
import { crdDir } from "../../support/cli";

function rulesIn(node: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => rulesIn(n, out));
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "x-kubernetes-validations") for (const r of value as Array<{ rule: string }>) out.add(normalizeRule(r.rule));
      else rulesIn(value, out);
    }
  }
  return out;
}

const allRules = new Set<string>();
for (const file of readdirSync(crdDir).filter((f) => f.endsWith(".yaml"))) {
  for (const doc of parseAllDocuments(readFileSync(join(crdDir, file), "utf8"))) rulesIn(doc.toJS(), allRules);
}

const rule = (text: string) => {
  const predicate = celPredicate(text);
  if (!predicate) throw new Error(`no predicate for ${text}`);
  return predicate;
};

describe("CEL rule coverage", () => {
  test("every rule of every CRD in shared/crds has an implementation", () => {
    expect(allRules.size).toBeGreaterThan(40);
    expect([...allRules].filter((r) => !celPredicate(r))).toEqual([]);
  });
});

describe("Istio rules", () => {
  test("only one of selector / targetRef / targetRefs", () => {
    const p = rule("(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1");
    expect(p({ url: "x" })).toBe(true);
    expect(p({ selector: {}, url: "x" })).toBe(true);
    expect(p({ selector: {}, targetRefs: [] })).toBe(false);
    expect(p({ targetRef: {}, targetRefs: [] })).toBe(false);
  });

  test("label keys and values", () => {
    expect(rule('self.all(key, !key.contains("*"))')({ "a*": "x" })).toBe(false);
    expect(rule("self.all(key, key.size() != 0)")({ "": "x" })).toBe(false);
    expect(rule('!self.contains("*")')("v*")).toBe(false);
    expect(rule('!self.contains("*")')("v")).toBe(true);
  });

  test("no cross-namespace targetRef", () => {
    expect(rule("self.size() == 0")("")).toBe(true);
    expect(rule("self.size() == 0")("other")).toBe(false);
  });

  test("env value only with INLINE", () => {
    const p = rule('(has(self.valueFrom) ? self.valueFrom : "") != "HOST" || !has(self.value)');
    expect(p({ name: "A", value: "1" })).toBe(true);
    expect(p({ name: "A", valueFrom: "INLINE", value: "1" })).toBe(true);
    expect(p({ name: "A", valueFrom: "HOST" })).toBe(true);
    expect(p({ name: "A", valueFrom: "HOST", value: "1" })).toBe(false);
  });

  // Expected values: Go 1.26 net/url.ParseRequestURI through the same CEL expression (not this code).
  test.each([
    ["oci://registry.local:5000/filters/x:1.0", true],
    ["https://example.com/f.wasm", true],
    ["file:///var/lib/f.wasm", true],
    ["registry.local/filters/x:1.0", true], // no scheme: retried as http://…
    ["/var/lib/f.wasm", true],
    ["registry.local:5000/filters/x:1.0", false], // parses with scheme "registry.local"
    ["localhost:5000/x", false],
    ["ftp://example.com/f.wasm", false],
    ["oci://exa mple/x", true], // invalid host, but "http://oci://exa mple/x" parses (host "oci:")
    ["OCI://r/x", true],
    ["oci://r/x%zz", false],
    ["http://a\tb/", false],
    ["oci://[::1]:5000/x", true],
    ["oci://user:p@r/x", true],
    ["oci://r:5000x/y", true],
  ])("url scheme rule: %s → %s", (url, ok) => {
    const p = rule('isURL(self) ? (url(self).getScheme() in ["", "http", "https", "oci", "file"]) : (isURL("http://" + self) && url("http://" + self).getScheme() in ["", "http", "https", "oci", "file"])');
    expect(p(url)).toBe(ok);
  });
});

describe("Envoy Gateway rules", () => {
  test("targetRef(s) and selectors", () => {
    const p = rule("(has(self.targetRef) && !has(self.targetRefs)) || (!has(self.targetRef) && has(self.targetRefs)) || (has(self.targetSelectors) && self.targetSelectors.size() > 0)");
    expect(p({ targetRefs: [] })).toBe(true);
    expect(p({ targetRef: {} })).toBe(true);
    expect(p({})).toBe(false);
    expect(p({ targetRef: {}, targetRefs: [] })).toBe(false);
    expect(p({ targetSelectors: [{}] })).toBe(true);
    const kinds = rule("has(self.targetRefs) ? self.targetRefs.all(ref, ref.kind in ['Gateway', 'ListenerSet', 'HTTPRoute', 'GRPCRoute', 'UDPRoute', 'TCPRoute', 'TLSRoute']) : true");
    expect(kinds({ targetRefs: [{ kind: "HTTPRoute" }] })).toBe(true);
    expect(kinds({ targetRefs: [{ kind: "Service" }] })).toBe(false);
    const groups = rule("has(self.targetRefs) ? self.targetRefs.all(ref, ref.group == 'gateway.networking.k8s.io') : true");
    expect(groups({ targetRefs: [{ group: "" }] })).toBe(false);
  });

  test("mergeType only with xRoute targets", () => {
    const text = [...allRules].find((r) => r.startsWith("!has(self.mergeType)"))!;
    expect(rule(text)({ mergeType: "JSONMerge", targetRefs: [{ kind: "HTTPRoute" }] })).toBe(true);
    expect(rule(text)({ mergeType: "JSONMerge", targetRefs: [{ kind: "Gateway" }] })).toBe(false);
    expect(rule(text)({ targetRefs: [{ kind: "Gateway" }] })).toBe(true);
    expect(rule("self != 'Replace'")("Replace")).toBe(false);
  });

  test("wasm code: type selects http or image (the type/field family)", () => {
    const http = rule("self.type == 'HTTP' ? has(self.http) : !has(self.http)");
    const image = rule("self.type == 'Image' ? has(self.image) : !has(self.image)");
    expect(http({ type: "HTTP", http: {} }) && image({ type: "HTTP", http: {} })).toBe(true);
    expect(http({ type: "Image", image: {}, http: {} })).toBe(false);
    expect(image({ type: "HTTP" , image: {} })).toBe(false);
    expect(image({ type: "Image" })).toBe(false);
    expect(rule("self.kind == 'Secret'")({ kind: "ConfigMap" })).toBe(false);
  });

  test("extProc and backend settings samples", () => {
    expect(rule("(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true")({ group: "", kind: "Service", name: "x" })).toBe(false);
    expect(rule("(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true")({ group: "", kind: "Service", port: 80 })).toBe(true);
    expect(rule("!has(self.timeout) || !has(self.interval) || duration(self.timeout) < duration(self.interval)")({ timeout: "10s", interval: "5s" })).toBe(false);
    expect(rule("!has(self.timeout) || !has(self.interval) || duration(self.timeout) < duration(self.interval)")({ timeout: "500ms", interval: "1m" })).toBe(true);
    expect(rule("duration(self) > duration('0s')")("0s")).toBe(false);
    expect(rule("self.numerator <= self.denominator")({ numerator: 3, denominator: 2 })).toBe(false);
    expect(rule("self.all(f, !f.startsWith('envoy.filters.http'))")(["envoy.filters.http.rbac"])).toBe(false);
    const matches = rule("self.exists(e, e == 'Failure' || e == 'FailureSeriesStart') == self.exists(e, e == 'Success' || e == 'HealthyTransition')");
    expect(matches(["Failure"])).toBe(false);
    expect(matches(["Failure", "Success"])).toBe(true);
  });

  test("an unknown rule has no predicate (reported as not checked)", () => {
    expect(celPredicate("self.foo == 'bar'")).toBeUndefined();
  });
});

describe("helpers", () => {
  test("celDuration parses Go-style durations", () => {
    expect(celDuration("1h2m3.5s")).toBeCloseTo(3723.5);
    expect(celDuration("300ms")).toBeCloseTo(0.3);
    expect(celDuration("-1s")).toBe(-1);
    expect(() => celDuration("5 seconds")).toThrow(/invalid duration/);
  });

  test("Go ParseRequestURI: scheme detection as the CEL url library sees it", () => {
    expect(parseRequestUri("registry.local:5000/x").scheme).toBe("registry.local");
    expect(parseRequestUri("OCI://r/x").scheme).toBe("oci");
    expect(isUrl("registry.local/x")).toBe(false); // rootless, no scheme: "invalid URI for request"
    expect(isUrl("http://registry.local/x")).toBe(true);
    expect(isUrl("http://host:port/x")).toBe(false); // non-numeric port
    expect(isUrl("http://a\tb/")).toBe(false);
  });
});
