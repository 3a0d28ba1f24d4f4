/**
 * The CEL `x-kubernetes-validations` rules of the WasmPlugin, TrafficExtension and EnvoyExtensionPolicy CRDs,
 * implemented as TypeScript predicates. A JSON Schema validator ignores these rules; the apiserver enforces them.
 *
 * Lookup is by the rule's exact text (whitespace collapsed), so a CRD update that adds or changes a rule shows up
 * as "not checked" (reported by the validator and by `as-proxy manifest check`) instead of being silently
 * mis-evaluated. `docs/DEPLOY.md` lists every rule and its status; `test/cli/crd/cel-rules.test.ts` fails when a
 * rule in `shared/crds` has no implementation here.
 *
 * Semantics follow Kubernetes CEL: `has(self.f)` is true when the field is present (not null); `self.size()` on a
 * string counts code points; rules run on the object after schema defaults are applied (the apiserver defaults
 * before it validates), so `self.kind == 'Secret'` holds for a `pullSecretRef` without `kind`.
 * A predicate returns `true` when the rule holds. On values of the wrong type (already reported by the schema
 * check) predicates return `true`, to report a problem once.
 */
import { isUrl, parseRequestUri } from "./go-url.js";

type Obj = Record<string, unknown>;
export type CelPredicate = (self: unknown) => boolean;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
/** CEL `has(o.f)`. */
const has = (o: unknown, field: string): boolean => isObj(o) && o[field] !== undefined && o[field] !== null;
const get = (o: unknown, field: string): unknown => (isObj(o) ? o[field] : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const codePoints = (s: string): number => [...s].length;

/** CEL `duration(string)`: Go-style `1h2m3.5s`, units h, m, s, ms, us, µs, ns; returns seconds. */
export function celDuration(text: string): number {
  const match = /^(-)?((?:\d+(?:\.\d*)?|\.\d+)(?:h|m|s|ms|us|µs|ns))+$/.exec(text);
  if (!match) throw new Error(`invalid duration "${text}"`);
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  let total = 0;
  for (const part of text.replace(/^-/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/g)) {
    total += Number(part[1]) * unit[part[2]!]!;
  }
  return match[1] ? -total : total;
}

const ISTIO_URL_SCHEMES = ["", "http", "https", "oci", "file"];
/** `isURL(self) ? url(self).getScheme() in [...] : (isURL("http://" + self) && url("http://" + self).getScheme() in [...])` */
const istioUrlScheme: CelPredicate = (self) => {
  const s = str(self);
  if (s === undefined) return true;
  if (isUrl(s)) return ISTIO_URL_SCHEMES.includes(parseRequestUri(s).scheme);
  const prefixed = `http://${s}`;
  return isUrl(prefixed) && ISTIO_URL_SCHEMES.includes(parseRequestUri(prefixed).scheme);
};

const GATEWAY_GROUP = "gateway.networking.k8s.io";
const EEP_TARGET_KINDS = ["Gateway", "ListenerSet", "HTTPRoute", "GRPCRoute", "UDPRoute", "TCPRoute", "TLSRoute"];
const X_ROUTE_KINDS = ["HTTPRoute", "GRPCRoute", "UDPRoute", "TCPRoute", "TLSRoute"];

const bodyMode = (processingMode: unknown, direction: "request" | "response"): unknown =>
  get(get(processingMode, direction), "body");

/** Every rule text (whitespace-collapsed) with its predicate. */
const RULES: Record<string, CelPredicate> = {
  // --- Istio WasmPlugin / TrafficExtension ---
  '(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1': (self) =>
    [has(self, "selector"), has(self, "targetRef"), has(self, "targetRefs")].filter(Boolean).length <= 1,
  '(has(self.selector) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1': (self) =>
    !(has(self, "selector") && has(self, "targetRefs")),
  "has(self.wasm) != has(self.lua)": (self) => has(self, "wasm") !== has(self, "lua"),
  'self.all(key, !key.contains("*"))': (self) => !isObj(self) || Object.keys(self).every((k) => !k.includes("*")),
  "self.all(key, key.size() != 0)": (self) => !isObj(self) || Object.keys(self).every((k) => k.length !== 0),
  '!self.contains("*")': (self) => !(str(self) ?? "").includes("*"),
  "self.size() == 0": (self) => typeof self !== "string" || codePoints(self) === 0,
  'isURL(self) ? (url(self).getScheme() in ["", "http", "https", "oci", "file"]) : (isURL("http://" + self) && url("http://" + self).getScheme() in ["", "http", "https", "oci", "file"])':
    istioUrlScheme,
  'isURL(self) ? (url(self).getScheme() in ["", "http", "https", "file", "oci"]) : (isURL("http://" + self) && url("http://" + self).getScheme() in ["", "http", "https", "file", "oci"])':
    istioUrlScheme,
  '(has(self.valueFrom) ? self.valueFrom : "") != "HOST" || !has(self.value)': (self) =>
    (has(self, "valueFrom") ? get(self, "valueFrom") : "") !== "HOST" || !has(self, "value"),

  // --- Envoy Gateway EnvoyExtensionPolicy: targets ---
  "(has(self.targetRef) && !has(self.targetRefs)) || (!has(self.targetRef) && has(self.targetRefs)) || (has(self.targetSelectors) && self.targetSelectors.size() > 0)":
    (self) =>
      (has(self, "targetRef") && !has(self, "targetRefs")) ||
      (!has(self, "targetRef") && has(self, "targetRefs")) ||
      (has(self, "targetSelectors") && list(get(self, "targetSelectors")).length > 0),
  "has(self.targetRef) ? self.targetRef.group == 'gateway.networking.k8s.io' : true": (self) =>
    !has(self, "targetRef") || get(get(self, "targetRef"), "group") === GATEWAY_GROUP,
  "has(self.targetRef) ? self.targetRef.kind in ['Gateway', 'ListenerSet', 'HTTPRoute', 'GRPCRoute', 'UDPRoute', 'TCPRoute', 'TLSRoute'] : true":
    (self) => !has(self, "targetRef") || EEP_TARGET_KINDS.includes(str(get(get(self, "targetRef"), "kind")) ?? ""),
  "has(self.targetRefs) ? self.targetRefs.all(ref, ref.group == 'gateway.networking.k8s.io') : true": (self) =>
    !has(self, "targetRefs") || list(get(self, "targetRefs")).every((ref) => get(ref, "group") === GATEWAY_GROUP),
  "has(self.targetRefs) ? self.targetRefs.all(ref, ref.kind in ['Gateway', 'ListenerSet', 'HTTPRoute', 'GRPCRoute', 'UDPRoute', 'TCPRoute', 'TLSRoute']) : true":
    (self) =>
      !has(self, "targetRefs") ||
      list(get(self, "targetRefs")).every((ref) => EEP_TARGET_KINDS.includes(str(get(ref, "kind")) ?? "")),
  "!has(self.mergeType) || ((!has(self.targetRef) || self.targetRef.kind in ['HTTPRoute', 'GRPCRoute', 'UDPRoute', 'TCPRoute', 'TLSRoute']) && (!has(self.targetRefs) || self.targetRefs.all(ref, ref.kind in ['HTTPRoute', 'GRPCRoute', 'UDPRoute', 'TCPRoute', 'TLSRoute'])) && (!has(self.targetSelectors) || self.targetSelectors.all(sel, sel.kind in ['HTTPRoute', 'GRPCRoute', 'UDPRoute', 'TCPRoute', 'TLSRoute'])))":
    (self) => {
      if (!has(self, "mergeType")) return true;
      const routeKind = (o: unknown) => X_ROUTE_KINDS.includes(str(get(o, "kind")) ?? "");
      return (
        (!has(self, "targetRef") || routeKind(get(self, "targetRef"))) &&
        (!has(self, "targetRefs") || list(get(self, "targetRefs")).every(routeKind)) &&
        (!has(self, "targetSelectors") || list(get(self, "targetSelectors")).every(routeKind))
      );
    },
  "self != 'Replace'": (self) => self !== "Replace",
  "has(self.group) ? self.group == 'gateway.networking.k8s.io' : true": (self) =>
    !has(self, "group") || get(self, "group") === GATEWAY_GROUP,
  "self.from != 'Selector' || has(self.selector)": (self) => get(self, "from") !== "Selector" || has(self, "selector"),

  // --- EnvoyExtensionPolicy: wasm ---
  "self.kind == 'Secret'": (self) => get(self, "kind") === "Secret",

  // --- EnvoyExtensionPolicy: lua ---
  "(self.type == 'Inline' && has(self.inline) && !has(self.valueRef)) || (self.type == 'ValueRef' && !has(self.inline) && has(self.valueRef))":
    (self) =>
      (get(self, "type") === "Inline" && has(self, "inline") && !has(self, "valueRef")) ||
      (get(self, "type") === "ValueRef" && !has(self, "inline") && has(self, "valueRef")),
  "self.kind == 'ConfigMap' && (self.group == 'v1' || self.group == '')": (self) =>
    get(self, "kind") === "ConfigMap" && (get(self, "group") === "v1" || get(self, "group") === ""),

  // --- EnvoyExtensionPolicy: extProc ---
  "!has(self.backendRef)": (self) => !has(self, "backendRef"),
  "has(self.backendRefs) ? self.backendRefs.all(f, f.kind == 'Service' || f.kind == 'ServiceImport' || f.kind == 'Backend') : true":
    (self) =>
      !has(self, "backendRefs") ||
      list(get(self, "backendRefs")).every((f) => ["Service", "ServiceImport", "Backend"].includes(str(get(f, "kind")) ?? "")),
  "has(self.backendRefs) ? (self.backendRefs.all(f, f.group == \"\" || f.group == 'multicluster.x-k8s.io' || f.group == 'gateway.envoyproxy.io')) : true":
    (self) =>
      !has(self, "backendRefs") ||
      list(get(self, "backendRefs")).every((f) =>
        ["", "multicluster.x-k8s.io", "gateway.envoyproxy.io"].includes(str(get(f, "group")) ?? "\0"),
      ),
  "!(has(self.failOpen) && self.failOpen == true && has(self.processingMode) && ((has(self.processingMode.request) && has(self.processingMode.request.body) && self.processingMode.request.body == 'FullDuplexStreamed') || (has(self.processingMode.response) && has(self.processingMode.response.body) && self.processingMode.response.body == 'FullDuplexStreamed')))":
    (self) => {
      if (!(get(self, "failOpen") === true && has(self, "processingMode"))) return true;
      const pm = get(self, "processingMode");
      return bodyMode(pm, "request") !== "FullDuplexStreamed" && bodyMode(pm, "response") !== "FullDuplexStreamed";
    },
  "!(has(self.shadowMode) && self.shadowMode == true && has(self.processingMode) && ((has(self.processingMode.request) && has(self.processingMode.request.body) && self.processingMode.request.body != 'Streamed') || (has(self.processingMode.response) && has(self.processingMode.response.body) && self.processingMode.response.body != 'Streamed')))":
    (self) => {
      if (!(get(self, "shadowMode") === true && has(self, "processingMode"))) return true;
      const pm = get(self, "processingMode");
      const ok = (b: unknown) => b === undefined || b === null || b === "Streamed";
      return ok(bodyMode(pm, "request")) && ok(bodyMode(pm, "response"));
    },
  "(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true": (self) =>
    !((str(get(self, "group")) ?? "").length === 0 && get(self, "kind") === "Service") || has(self, "port"),
  "!((has(self.connection) && has(self.connection.preconnect) && has(self.connection.preconnect.predictivePercent)) && !(has(self.loadBalancer) && has(self.loadBalancer.type) && self.loadBalancer.type in ['Random', 'RoundRobin']))":
    (self) => {
      const predictive = has(get(get(self, "connection"), "preconnect"), "predictivePercent");
      const lbType = get(get(self, "loadBalancer"), "type");
      return !(predictive && !(lbType === "Random" || lbType === "RoundRobin"));
    },
  "self.numerator <= self.denominator": (self) => {
    const n = get(self, "numerator");
    const d = get(self, "denominator");
    return typeof n !== "number" || typeof d !== "number" || n <= d;
  },
  "has(self.grpc) ? self.type == 'GRPC' : true": (self) => !has(self, "grpc") || get(self, "type") === "GRPC",
  "self.exists(e, e == 'Failure' || e == 'FailureSeriesStart') == self.exists(e, e == 'Success' || e == 'HealthyTransition')":
    (self) => {
      const items = list(self);
      return (
        items.some((e) => e === "Failure" || e === "FailureSeriesStart") ===
        items.some((e) => e === "Success" || e === "HealthyTransition")
      );
    },
  "!has(self.requestBody) || (has(self.method) && self.method.upperAscii() in ['POST','PUT'])": (self) =>
    !has(self, "requestBody") || ["POST", "PUT"].includes((str(get(self, "method")) ?? "").toUpperCase()),
  "!has(self.timeout) || !has(self.interval) || duration(self.timeout) < duration(self.interval)": (self) => {
    if (!has(self, "timeout") || !has(self, "interval")) return true;
    try {
      return celDuration(String(get(self, "timeout"))) < celDuration(String(get(self, "interval")));
    } catch {
      return false;
    }
  },
  "duration(self) > duration('0s')": (self) => {
    try {
      return celDuration(String(self)) > 0;
    } catch {
      return false;
    }
  },
  "self.type in ['Random', 'ConsistentHash', 'DynamicModule'] ? !has(self.slowStart) : true": (self) =>
    !["Random", "ConsistentHash", "DynamicModule"].includes(str(get(self, "type")) ?? "") || !has(self, "slowStart"),
  "self.type == 'ConsistentHash' && has(self.zoneAware) ? !has(self.zoneAware.preferLocal) : true": (self) =>
    !(get(self, "type") === "ConsistentHash" && has(self, "zoneAware")) || !has(get(self, "zoneAware"), "preferLocal"),
  "self.type == 'BackendUtilization' && has(self.zoneAware) ? !has(self.zoneAware.preferLocal) : true": (self) =>
    !(get(self, "type") === "BackendUtilization" && has(self, "zoneAware")) || !has(get(self, "zoneAware"), "preferLocal"),
  "self.type == 'DynamicModule' ? !has(self.zoneAware) : true": (self) =>
    get(self, "type") !== "DynamicModule" || !has(self, "zoneAware"),
  "has(self.zoneAware) ? !(has(self.zoneAware.preferLocal) && has(self.zoneAware.weightedZones)) : true": (self) =>
    !has(self, "zoneAware") || !(has(get(self, "zoneAware"), "preferLocal") && has(get(self, "zoneAware"), "weightedZones")),
  "self.type == 'DynamicModule' ? !has(self.endpointOverride) : true": (self) =>
    get(self, "type") !== "DynamicModule" || !has(self, "endpointOverride"),
  "self.all(f, !f.startsWith('envoy.filters.http'))": (self) =>
    list(self).every((f) => typeof f !== "string" || !f.startsWith("envoy.filters.http")),
};

/**
 * One family of rules, written once: `self.type == '<T>' ? has(self.<f>) : !has(self.<f>)` ("field f is set
 * exactly when type is T"): EEP wasm code (HTTP/Image), health checks (HTTP/TCP), payloads (Text/Binary), log
 * sinks (File), load balancers (ConsistentHash/BackendUtilization/DynamicModule), hash policies
 * (Header/Headers/Cookie/QueryParams).
 */
const TYPE_SELECTS_FIELD = /^self\.type == '([A-Za-z]+)' \? has\(self\.([A-Za-z]+)\) : !has\(self\.\2\)$/;

export function normalizeRule(rule: string): string {
  return rule.replace(/\s+/g, " ").trim();
}

/** The predicate for a rule text, or undefined when the rule is not implemented. */
export function celPredicate(rule: string): CelPredicate | undefined {
  const text = normalizeRule(rule);
  const exact = RULES[text];
  if (exact) return exact;
  const family = TYPE_SELECTS_FIELD.exec(text);
  if (family) {
    const [, type, field] = family as unknown as [string, string, string];
    return (self) => (get(self, "type") === type ? has(self, field) : !has(self, field));
  }
  return undefined;
}

/** Every rule text implemented exactly (for docs and the coverage test). */
export function implementedRuleTexts(): string[] {
  return Object.keys(RULES);
}
