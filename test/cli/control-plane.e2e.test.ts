// What istiod + istio-agent (deployment.md §B.2–§B.6) and Envoy Gateway (§C.2) hand to Envoy, reproduced by
// cli/lib/istio-envoy-config.ts and cli/lib/eg-envoy-config.ts and run in real Envoy 1.40 with the ABAC filter
// (AUTHZ) and the L7 metadata recorder (STATS). The recorder reports the plugin_name / plugin_root_id properties
// Envoy gives it in response headers, so the names are checked as the plugin sees them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EnvoyProcess } from "../../harness/envoy/envoy-process";
import { freePort } from "../../harness/envoy/ports";
import { e2eTools } from "../../harness/envoy/tools";
import { startEchoServer, type EchoServer } from "../../cli/lib/echo-server";
import { localBootstrap, singleHostCluster } from "../../cli/lib/envoy-bootstrap";
import { egHttpFilters, egRoutePerFilterConfig, type EnvoyExtensionPolicyObject } from "../../cli/lib/eg-envoy-config";
import {
  ecdsDiscoveryResponse,
  istioAgentConvert,
  istioHttpFilterReference,
  istiodEcdsResource,
  istioPluginName,
  type AgentFetchResult,
  type IstioNaming,
  type WasmPluginObject,
} from "../../cli/lib/istio-envoy-config";
import { envoyGatewayManifests } from "../../cli/lib/manifests/envoy-gateway";
import { istioWasmPlugin } from "../../cli/lib/manifests/istio";
import { sha256Hex } from "../../cli/lib/oci/image";
import { repoRoot } from "./support/cli";

const tools = e2eTools();
const abacModule = join(repoRoot, "build", "abac.wasm");
const recorderModule = join(repoRoot, "build", "l7-metadata.wasm");

/**
 * ABAC: `/api/*` needs `x-tag: a<b&c>` — `<`, `&`, `>` arrive as `\u003c` `\u0026` `\u003e` in Istio's encoding,
 * so a match proves the filter decoded the control plane's JSON; `/deny/*` is denied outright.
 */
const ABAC_CONFIG = {
  policies: [
    { name: "shop/tagged", spec: { action: "ALLOW", rules: [{ to: [{ operation: { paths: ["/api/*", "/other/*"] } }], when: [{ key: "request.headers[x-tag]", values: ["a<b&c>"] }] }] } },
    { name: "shop/no-deny", spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/deny/*"] } }] }] } },
  ],
};

/** The recorder copies what Envoy tells the plugin into response headers. */
const RECORDER_CONFIG = {
  fields: [
    "method",
    { fact: "property", name: "plugin", path: ["plugin_name"] },
    { fact: "property", name: "root", path: ["plugin_root_id"] },
  ],
  headers: {
    response: [
      { field: "http.request.method", header: "x-l7-method" },
      { field: "plugin", header: "x-l7-plugin" },
      { field: "root", header: "x-l7-root" },
    ],
  },
};

async function get(port: number, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

describe.runIf(tools.ok)("Istio: istiod ECDS + istio-agent rewrite, in Envoy", () => {
  let echo: EchoServer;
  let work: string;
  beforeAll(async () => {
    echo = await startEchoServer();
    work = mkdtempSync(join(tmpdir(), "as-proxy-istio-"));
  });
  afterAll(async () => {
    await echo?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Starts Envoy with the WasmPlugins as Istio would configure them; `fetched` decides the agent's outcome. */
  async function startIstioEnvoy(naming: IstioNaming, plugins: WasmPluginObject[], fetched: (p: WasmPluginObject) => AgentFetchResult) {
    const listenerPort = await freePort();
    const adminPort = await freePort();
    const dir = mkdtempSync(join(work, `${naming}-`));
    const httpFilters = plugins.map((plugin, i) => {
      const ecdsFile = join(dir, `ecds-${i}.json`);
      const converted = istioAgentConvert(istiodEcdsResource(plugin, naming), fetched(plugin));
      writeFileSync(ecdsFile, JSON.stringify(ecdsDiscoveryResponse([converted])));
      // Same reference as istiod's, delivered from a file instead of ADS.
      return istioHttpFilterReference(plugin, naming, { path_config_source: { path: ecdsFile } });
    });
    const bootstrapPath = join(dir, "envoy.json");
    writeFileSync(bootstrapPath, JSON.stringify(localBootstrap({ adminPort, listenerPort, upstream: { host: "127.0.0.1", port: echo.port }, httpFilters })));
    const envoy = await EnvoyProcess.start({ envoyBinary: tools.ok ? tools.tools.envoy : "", bootstrapPath, adminPort });
    return { envoy, listenerPort };
  }

  const wasmPlugins = () =>
    [
      istioWasmPlugin({ name: "abac", namespace: "shop", url: "oci://registry.example.com/filters/abac:1", pluginName: "abac", phase: "AUTHZ", pluginConfig: ABAC_CONFIG }),
      istioWasmPlugin({ name: "recorder", namespace: "shop", url: "oci://registry.example.com/filters/l7-metadata:1", phase: "STATS", failStrategy: "FAIL_OPEN", pluginConfig: RECORDER_CONFIG }),
    ] as unknown as WasmPluginObject[];
  const localFile = (p: WasmPluginObject): AgentFetchResult => ({ localFile: p.metadata.name === "abac" ? abacModule : recorderModule });

  describe.each(["istio-1.30", "istio-1.29"] as const)("%s", (naming) => {
    let envoy: EnvoyProcess;
    let port: number;
    beforeAll(async () => {
      ({ envoy, listenerPort: port } = await startIstioEnvoy(naming, wasmPlugins(), localFile));
    });
    afterAll(async () => envoy?.stop());

    test("the plugin sees Istio's plugin name and root id", async () => {
      const response = await get(port, "/api/cart", { "x-tag": "a<b&c>" });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-l7-method")).toBe("GET");
      const expected = { "istio-1.30": "shop.recorder~istio-translated-wasmplugin", "istio-1.29": "shop.recorder" }[naming];
      expect(response.headers.get("x-l7-plugin")).toBe(expected);
      expect(istioPluginName(wasmPlugins()[1]!, naming)).toBe(expected);
      expect(response.headers.get("x-l7-root")).toBe("");
    });

    test("ABAC (AUTHZ) decides on the configuration decoded from istiod's encoding", async () => {
      expect((await get(port, "/api/cart", { "x-tag": "a<b&c>" })).status).toBe(200);
      const denied = await get(port, "/api/cart", { "x-tag": "a<b" });
      expect(denied.status).toBe(403);
      expect(denied.body).toBe("RBAC: access denied");
      expect((await get(port, "/deny/x", { "x-tag": "a<b&c>" })).status).toBe(403);
    });
  });

  test("module fetch failure: the agent's RBAC fallback denies everything (FAIL_CLOSE), allows for FAIL_OPEN", async () => {
    const plugins = wasmPlugins();
    const failed = (p: WasmPluginObject): AgentFetchResult => (p.metadata.name === "abac" ? { error: "could not fetch" } : localFile(p));
    const closed = await startIstioEnvoy("istio-1.30", plugins, failed);
    try {
      const response = await get(closed.listenerPort, "/api/cart", { "x-tag": "a<b&c>" });
      expect(response.status).toBe(403);
      expect(response.body).toBe("RBAC: access denied");
      // The RBAC stand-in's rules_stat_prefix, under the HCM's stat prefix ("local").
      const stats = await closed.envoy.stats("wasm-default-deny");
      expect(stats.get("http.local.rbac.wasm-default-deny.denied")).toBe(1);
    } finally {
      await closed.envoy.stop();
    }
    (plugins[0]!.spec as { failStrategy?: string }).failStrategy = "FAIL_OPEN";
    const open = await startIstioEnvoy("istio-1.30", plugins, failed);
    try {
      expect((await get(open.listenerPort, "/deny/x")).status).toBe(200); // no ABAC at all
    } finally {
      await open.envoy.stop();
    }
  });
});

describe.runIf(tools.ok)("Envoy Gateway: disabled HCM filters enabled per route, in Envoy", () => {
  let echo: EchoServer;
  let moduleServer: http.Server;
  let envoy: EnvoyProcess;
  let port: number;
  let work: string;
  let policy: EnvoyExtensionPolicyObject;

  beforeAll(async () => {
    echo = await startEchoServer();
    work = mkdtempSync(join(tmpdir(), "as-proxy-eg-"));
    // Stands in for EG's wasm cache server: Envoy fetches the modules over HTTP and checks their sha256.
    const modules: Record<string, Buffer> = { "/abac.wasm": readFileSync(abacModule), "/recorder.wasm": readFileSync(recorderModule) };
    moduleServer = http.createServer((req, res) => {
      const body = modules[req.url ?? ""];
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/wasm", "content-length": body.length }).end(body);
    });
    await new Promise<void>((resolve) => moduleServer.listen(0, "127.0.0.1", resolve));
    const modulePort = (moduleServer.address() as AddressInfo).port;
    const [, eep] = envoyGatewayManifests({
      name: "abac",
      namespace: "shop",
      imageUrl: "registry.example.com/filters/abac:1",
      rootId: "abac",
      config: ABAC_CONFIG,
      route: { name: "api", gateway: "eg", pathPrefix: "/api", backend: { name: "api", port: 8080 } },
    });
    // A second Wasm entry (the recorder) in the same policy, as EG allows up to 16.
    policy = eep as unknown as EnvoyExtensionPolicyObject;
    policy.spec.wasm!.push({ name: "recorder", config: RECORDER_CONFIG, code: { type: "Image", image: { url: "registry.example.com/filters/l7-metadata:1" } } });
    const sources = ["/abac.wasm", "/recorder.wasm"].map((path) => ({
      uri: `http://127.0.0.1:${modulePort}${path}`,
      cluster: "wasm_cluster",
      sha256: sha256Hex(modules[path]!),
    }));
    port = await freePort();
    const adminPort = await freePort();
    const bootstrapPath = join(work, "envoy.json");
    writeFileSync(
      bootstrapPath,
      JSON.stringify(
        localBootstrap({
          adminPort,
          listenerPort: port,
          upstream: { host: "127.0.0.1", port: echo.port },
          httpFilters: egHttpFilters(policy, sources),
          // The targeted HTTPRoute's route gets the per-route enablement; another route does not.
          routes: [{ prefix: "/api", typedPerFilterConfig: egRoutePerFilterConfig(policy) }, { prefix: "/" }],
          extraClusters: [singleHostCluster("wasm_cluster", "127.0.0.1", modulePort)],
        }),
      ),
    );
    envoy = await EnvoyProcess.start({ envoyBinary: tools.ok ? tools.tools.envoy : "", bootstrapPath, adminPort });
  });
  afterAll(async () => {
    await envoy?.stop();
    await echo?.close();
    await new Promise((resolve) => moduleServer?.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  test("on the targeted route both plugins run, with EG's names", async () => {
    const allowed = await get(port, "/api/cart", { "x-tag": "a<b&c>" });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("x-l7-plugin")).toBe("recorder");
    expect(allowed.headers.get("x-l7-root")).toBe("");
    const denied = await get(port, "/api/cart");
    expect(denied.status).toBe(403);
    expect(denied.body).toBe("RBAC: access denied");
  });

  test("on any other route the plugins never run", async () => {
    const other = await get(port, "/other/cart");
    expect(other.status).toBe(200);
    expect(other.headers.get("x-l7-plugin")).toBeNull();
  });
});
