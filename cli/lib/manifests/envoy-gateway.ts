/**
 * Generates an Envoy Gateway `EnvoyExtensionPolicy` (gateway.envoyproxy.io/v1alpha1) pinned to an image's
 * manifest digest, plus the Gateway API `HTTPRoute` it targets (deployment.md §C). EG enables Wasm per route:
 * only requests matching a targeted route reach the plugin, so the policy and its route ship together.
 */

export interface HttpRouteOptions {
  name: string;
  /** The Gateway the route attaches to (`parentRefs`). */
  gateway: string;
  gatewayNamespace?: string;
  hostnames?: string[];
  /** Path prefix matched by the single rule (default `/`). */
  pathPrefix?: string;
  backend: { name: string; port: number };
}

export interface EnvoyExtensionPolicyOptions {
  name: string;
  namespace: string;
  /** Image URL without scheme, `registry/repository:tag`. */
  imageUrl: string;
  /** Hex manifest digest. */
  sha256?: string;
  /** Envoy `PluginConfig.name` (default EG's generated name). */
  wasmName?: string;
  rootId?: string;
  config?: unknown;
  failOpen?: boolean;
  hostEnvKeys?: string[];
  pullPolicy?: "IfNotPresent" | "Always";
  pullSecret?: string;
  /** Generate this HTTPRoute and target it. */
  route?: HttpRouteOptions;
  /** Or target existing resources (`Gateway/eg`, `HTTPRoute/backend`). */
  targetRefs?: Array<{ kind: string; name: string; sectionName?: string }>;
}

const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

export function httpRoute(namespace: string, o: HttpRouteOptions): Record<string, unknown> {
  const parentRef: Record<string, unknown> = { group: GATEWAY_API_GROUP, kind: "Gateway", name: o.gateway };
  if (o.gatewayNamespace) parentRef.namespace = o.gatewayNamespace;
  const spec: Record<string, unknown> = { parentRefs: [parentRef] };
  if (o.hostnames?.length) spec.hostnames = o.hostnames;
  spec.rules = [
    {
      matches: [{ path: { type: "PathPrefix", value: o.pathPrefix ?? "/" } }],
      backendRefs: [{ group: "", kind: "Service", name: o.backend.name, port: o.backend.port }],
    },
  ];
  return { apiVersion: `${GATEWAY_API_GROUP}/v1`, kind: "HTTPRoute", metadata: { name: o.name, namespace }, spec };
}

/** Returns the documents to apply, in order: the HTTPRoute (when requested), then the policy. */
export function envoyGatewayManifests(o: EnvoyExtensionPolicyOptions): Array<Record<string, unknown>> {
  if (o.route && o.targetRefs?.length) throw new Error("give either a route to generate or --target-ref, not both");
  const targetRefs = o.route
    ? [{ group: GATEWAY_API_GROUP, kind: "HTTPRoute", name: o.route.name }]
    : (o.targetRefs ?? []).map((t) => ({ group: GATEWAY_API_GROUP, kind: t.kind, name: t.name, ...(t.sectionName ? { sectionName: t.sectionName } : {}) }));
  if (targetRefs.length === 0) throw new Error("the policy needs a target: generate a route (--gateway/--backend) or pass --target-ref");
  if (/^[a-z]+:\/\//.test(o.imageUrl) && !o.imageUrl.startsWith("oci://")) {
    throw new Error(`image url "${o.imageUrl}": EG images are registry/repository:tag (oci:// optional)`);
  }
  const image: Record<string, unknown> = { url: o.imageUrl };
  if (o.sha256) image.sha256 = o.sha256;
  if (o.pullSecret) image.pullSecretRef = { group: "", kind: "Secret", name: o.pullSecret };
  const code: Record<string, unknown> = { type: "Image", image };
  if (o.pullPolicy) code.pullPolicy = o.pullPolicy;
  const wasm: Record<string, unknown> = {};
  if (o.wasmName) wasm.name = o.wasmName;
  if (o.rootId) wasm.rootID = o.rootId;
  wasm.code = code;
  if (o.config !== undefined) wasm.config = o.config;
  if (o.failOpen !== undefined) wasm.failOpen = o.failOpen;
  if (o.hostEnvKeys?.length) wasm.env = { hostKeys: o.hostEnvKeys };
  const policy = {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "EnvoyExtensionPolicy",
    metadata: { name: o.name, namespace: o.namespace },
    spec: { targetRefs, wasm: [wasm] },
  };
  return o.route ? [httpRoute(o.namespace, o.route), policy] : [policy];
}
