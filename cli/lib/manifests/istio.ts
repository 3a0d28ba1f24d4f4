/**
 * Generates an Istio `WasmPlugin` (extensions.istio.io/v1alpha1) for a pushed filter image, pinned to the
 * image's manifest digest (deployment.md §A). Fields are emitted in a fixed order and only when set, so a golden
 * file pins the output.
 *
 * Placement rules enforced here (deployment.md §0.10): `selector` targets sidecars and classic gateways;
 * `targetRefs` is mandatory for waypoints (`Service` targets are waypoint-only). A waypoint is SERVER-side, so
 * `match.mode: CLIENT` on a Service target would never apply and is rejected.
 */

export type IstioPhase = "AUTHN" | "AUTHZ" | "STATS";
export type IstioFailStrategy = "FAIL_CLOSE" | "FAIL_OPEN" | "FAIL_RELOAD";
export type IstioMatchMode = "CLIENT" | "SERVER" | "CLIENT_AND_SERVER";
export type PullPolicy = "IfNotPresent" | "Always";

export interface TargetRef {
  kind: string;
  name: string;
  group?: string;
}

export interface IstioWasmPluginOptions {
  name: string;
  namespace: string;
  /** Module location, `oci://registry/repository:tag`. */
  url: string;
  /** Hex manifest digest (no `sha256:` prefix). */
  sha256?: string;
  /** → Envoy root_id. */
  pluginName?: string;
  pluginConfig?: Record<string, unknown>;
  phase?: IstioPhase;
  priority?: number;
  failStrategy?: IstioFailStrategy;
  imagePullPolicy?: PullPolicy;
  imagePullSecret?: string;
  type?: "HTTP" | "NETWORK";
  match?: { mode?: IstioMatchMode; ports?: number[] };
  selector?: Record<string, string>;
  targetRefs?: TargetRef[];
  env?: Array<{ name: string; value?: string; valueFrom?: "INLINE" | "HOST" }>;
  labels?: Record<string, string>;
}

/** API group of each targetRef kind Istio accepts (`pkg/config/validation/validation.go` allowedTargetRefs). */
export const ISTIO_TARGET_GROUPS: Record<string, string> = {
  Gateway: "gateway.networking.k8s.io",
  GatewayClass: "gateway.networking.k8s.io",
  Service: "",
  ServiceEntry: "networking.istio.io",
};

/** Parses `Kind/name` (e.g. `Gateway/waypoint`, `Service/reviews`) into a targetRef with Istio's group. */
export function parseIstioTargetRef(text: string): TargetRef {
  const [kind, name, ...rest] = text.split("/");
  if (!kind || !name || rest.length > 0) throw new Error(`--target-ref "${text}": expected Kind/name, e.g. Gateway/waypoint`);
  const group = ISTIO_TARGET_GROUPS[kind];
  if (group === undefined) {
    throw new Error(`--target-ref "${text}": kind must be one of ${Object.keys(ISTIO_TARGET_GROUPS).join(", ")}`);
  }
  return { kind, name, group };
}

export function istioWasmPlugin(o: IstioWasmPluginOptions): Record<string, unknown> {
  if (o.selector && o.targetRefs?.length) {
    throw new Error("selector and targetRefs are exclusive: use selector for sidecars, targetRefs for waypoints and gateways");
  }
  if (o.match?.mode === "CLIENT" && o.targetRefs?.some((t) => t.kind === "Service")) {
    throw new Error("match mode CLIENT never applies to a waypoint (Service targetRef): waypoints run plugins SERVER-side");
  }
  if (!o.url.startsWith("oci://") && !/^(https?|file):\/\//.test(o.url)) {
    throw new Error(`url "${o.url}" needs an explicit scheme (oci://, https://, http://, file://)`);
  }
  const spec: Record<string, unknown> = {};
  if (o.selector) spec.selector = { matchLabels: o.selector };
  if (o.targetRefs?.length) {
    spec.targetRefs = o.targetRefs.map((t) => ({ group: t.group ?? ISTIO_TARGET_GROUPS[t.kind] ?? "", kind: t.kind, name: t.name }));
  }
  spec.url = o.url;
  if (o.sha256) spec.sha256 = o.sha256;
  if (o.imagePullPolicy) spec.imagePullPolicy = o.imagePullPolicy;
  if (o.imagePullSecret) spec.imagePullSecret = o.imagePullSecret;
  if (o.pluginName) spec.pluginName = o.pluginName;
  if (o.phase) spec.phase = o.phase;
  if (o.priority !== undefined) spec.priority = o.priority;
  if (o.failStrategy) spec.failStrategy = o.failStrategy;
  if (o.type) spec.type = o.type;
  if (o.match && (o.match.mode || o.match.ports?.length)) {
    const entry: Record<string, unknown> = {};
    if (o.match.mode) entry.mode = o.match.mode;
    if (o.match.ports?.length) entry.ports = o.match.ports.map((number) => ({ number }));
    spec.match = [entry];
  }
  if (o.env?.length) spec.vmConfig = { env: o.env };
  if (o.pluginConfig && Object.keys(o.pluginConfig).length > 0) spec.pluginConfig = o.pluginConfig;
  const metadata: Record<string, unknown> = { name: o.name, namespace: o.namespace };
  if (o.labels) metadata.labels = o.labels;
  return { apiVersion: "extensions.istio.io/v1alpha1", kind: "WasmPlugin", metadata, spec };
}
