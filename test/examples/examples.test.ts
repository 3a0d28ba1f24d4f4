// Every example is checked (style.md P13; issue #7 item 5): its YAML validates against the CRDs, the manifests are
// what the README's `as-proxy manifest` command generates, its configuration is accepted by the filter, and the
// plain-Envoy bootstrap runs in real Envoy with the behaviour its README promises.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EnvoyProcess } from "../../harness/envoy/envoy-process";
import { freePort } from "../../harness/envoy/ports";
import { e2eTools } from "../../harness/envoy/tools";
import { CrdRegistry } from "../../cli/lib/crd/validator";
import { startEchoServer, type EchoServer } from "../../cli/lib/echo-server";
import { crdDir, repoRoot, runCli } from "../cli/support/cli";

const examplesDir = join(repoRoot, "examples");
const registry = CrdRegistry.fromDirectory(crdDir);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const exampleDirs = walk(examplesDir)
  .filter((f) => f.endsWith("README.md"))
  .map((f) => relative(examplesDir, f).replace(/\/?README\.md$/, ""));
const manifestFiles = walk(examplesDir).filter((f) => f.endsWith(".yaml") && !f.endsWith("abac-config.yaml") && !f.endsWith("envoy.yaml"));

test("the five examples exist, each with a README in the fixed template", () => {
  expect(exampleDirs.sort()).toEqual(["envoy", "envoy-gateway", "istio/jwt", "istio/sidecar", "istio/waypoint"]);
  for (const dir of exampleDirs) {
    const readme = readFileSync(join(examplesDir, dir, "README.md"), "utf8");
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings, dir).toEqual(["What it does", "Build", dir === "envoy" ? "Run in Envoy" : "Deploy", "What you should see"]);
  }
});

describe.each(manifestFiles.map((f) => [relative(examplesDir, f), f]))("%s", (_name, file) => {
  const text = readFileSync(file, "utf8");

  test("validates against the CRD schemas and their CEL rules", () => {
    const reports = registry.validateYaml(text, file);
    expect(reports.length).toBeGreaterThan(0);
    for (const report of reports) {
      expect(report.errors, `${report.kind} ${report.name}`).toEqual([]);
      expect(report.uncheckedRules).toEqual([]);
      // Only Gateway API HTTPRoute and Istio RequestAuthentication have no CRD in shared/crds (see docs/DEPLOY.md).
      if (!report.schemaFound) expect(["HTTPRoute", "RequestAuthentication"]).toContain(report.kind);
    }
  });
});

/** Manifests whose header names the `as-proxy manifest` command that generates them. */
const generatedManifests = manifestFiles
  .map((file) => [relative(examplesDir, file), file, /^#\s+npx as-proxy (manifest .+)$/m.exec(readFileSync(file, "utf8"))?.[1]] as const)
  .filter((entry): entry is readonly [string, string, string] => entry[2] !== undefined);

test("every Istio / Envoy Gateway example manifest names its generating command", () => {
  expect(generatedManifests.map(([name]) => name).sort()).toEqual([
    "envoy-gateway/policy.yaml",
    "istio/jwt/wasmplugin.yaml",
    "istio/sidecar/wasmplugin.yaml",
    "istio/waypoint/wasmplugin.yaml",
  ]);
});

describe.each(generatedManifests)("%s", (_name, file, command) => {
  test("is what its README's `as-proxy manifest` command generates (plus the pinned sha256)", async () => {
    const text = readFileSync(file, "utf8");
    const readme = readFileSync(join(file, "..", "README.md"), "utf8");
    expect(readme).toContain(`npx as-proxy ${command}`);
    const result = await runCli(command.split(" "));
    expect(result.stderr).not.toMatch(/^as-proxy:/m);
    expect(result.status).toBe(0);
    const generated = parseAllDocuments(result.stdout).map((d) => d.toJS() as Record<string, any>);
    for (const doc of generated) {
      if (doc.kind === "WasmPlugin") {
        expect(doc.spec.sha256).toMatch(/^[a-f0-9]{64}$/);
        delete doc.spec.sha256;
      }
      if (doc.kind === "EnvoyExtensionPolicy") {
        expect(doc.spec.wasm[0].code.image.sha256).toMatch(/^[a-f0-9]{64}$/);
        delete doc.spec.wasm[0].code.image.sha256;
      }
    }
    expect(generated).toEqual(parseAllDocuments(text).map((d) => d.toJS()));
  });
});

describe.each(exampleDirs.map((d) => [d]))("examples/%s configuration", (dir) => {
  const configFile = join(examplesDir, dir, "abac-config.yaml");

  test("is accepted by the abac filter (`as-proxy validate`)", async () => {
    const result = await runCli(["--json", "validate", "abac", configFile]);
    expect(result.stderr).not.toMatch(/^as-proxy:/m);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, filter: "abac" });
  });

  test("is the one the manifests / bootstrap carry", () => {
    const config = parse(readFileSync(configFile, "utf8")) as unknown;
    const carried = readdirSync(join(examplesDir, dir))
      .filter((f) => f.endsWith(".yaml") && f !== "abac-config.yaml" && f !== "requestauthentication.yaml")
      .flatMap((f) => parseAllDocuments(readFileSync(join(examplesDir, dir, f), "utf8")).map((d) => d.toJS() as Record<string, any>))
      .map((doc) => {
        if (doc.kind === "WasmPlugin") return doc.spec.pluginConfig;
        if (doc.kind === "EnvoyExtensionPolicy") return doc.spec.wasm[0].config;
        if (doc.static_resources) {
          const wasm = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config;
          return JSON.parse(wasm.configuration.value);
        }
        return undefined;
      })
      .filter((c) => c !== undefined);
    expect(carried).toHaveLength(1);
    expect(carried[0]).toEqual(config);
  });
});

describe("examples/envoy/envoy.yaml in real Envoy", () => {
  const tools = e2eTools();
  const bootstrap = parse(readFileSync(join(examplesDir, "envoy", "envoy.yaml"), "utf8")) as Record<string, any>;
  const wasm = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config;

  test("references the built module, runs on V8, fails closed", () => {
    expect(wasm.vm_config.runtime).toBe("envoy.wasm.runtime.v8");
    expect(wasm.vm_config.code.local.filename).toBe("build/abac.wasm");
    expect(existsSync(join(repoRoot, "build", "abac.wasm"))).toBe(true);
    expect(wasm.failure_policy).toBe("FAIL_CLOSED");
  });

  describe.runIf(tools.ok)("serves the README's requests", () => {
    let envoy: EnvoyProcess;
    let echo: EchoServer;
    let work: string;
    let listenerPort: number;

    beforeAll(async () => {
      if (!tools.ok) return;
      echo = await startEchoServer();
      listenerPort = await freePort();
      const adminPort = await freePort();
      // The example as written, with free ports instead of 10000/9901/8080 and an absolute module path.
      const config = structuredClone(bootstrap);
      config.static_resources.listeners[0].address.socket_address.port_value = listenerPort;
      config.admin.address.socket_address.port_value = adminPort;
      config.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = echo.port;
      const filterConfig = config.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config;
      filterConfig.vm_config.code.local.filename = join(repoRoot, "build", "abac.wasm");
      work = mkdtempSync(join(tmpdir(), "as-proxy-example-envoy-"));
      writeFileSync(join(work, "envoy.json"), JSON.stringify(config));
      envoy = await EnvoyProcess.start({ envoyBinary: tools.tools.envoy, bootstrapPath: join(work, "envoy.json"), adminPort });
    });
    afterAll(async () => {
      await envoy?.stop();
      await echo?.close();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test.each([
      ["GET", "/public/index.html", {}, 200],
      ["GET", "/admin/users", {}, 403],
      ["GET", "/admin/users", { "x-role": "admin" }, 200],
      ["POST", "/public/x", {}, 403],
    ] as const)("%s %s %j → %i", async (method, path, headers, status) => {
      const response = await fetch(`http://127.0.0.1:${listenerPort}${path}`, { method, headers });
      const body = await response.text();
      expect(response.status).toBe(status);
      if (status === 403) expect(body).toBe("RBAC: access denied");
      else expect(JSON.parse(body)).toMatchObject({ method, path });
    });
  });
});
