// The commands end to end through the real binary (no registry, no Envoy): build, package, manifest.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildWasmImage } from "../../cli/lib/oci/image";
import { errorLines, repoRoot, runCli } from "./support/cli";
import { expectGolden } from "./support/golden";
import { paddedModule } from "./support/wasm";

let work: string;
let moduleFile: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "as-proxy-commands-"));
  moduleFile = join(work, "demo.wasm");
  writeFileSync(moduleFile, paddedModule(20_000));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("build", () => {
  test("reports release and debug modules with size and sha256 (--json)", async () => {
    const result = await runCli(["--json", "build", "hello"]);
    expect(result.stderr).not.toMatch(/^as-proxy:/m);
    expect(result.status).toBe(0);
    const { modules } = JSON.parse(result.stdout) as { modules: Array<{ filter: string; variant: string; file: string; size: number; sha256: string }> };
    expect(modules.map((m) => [m.filter, m.variant])).toEqual([["hello", "release"], ["hello", "debug"]]);
    for (const m of modules) {
      expect(m.size).toBe(readFileSync(m.file).length);
      expect(m.sha256).toMatch(/^[a-f0-9]{64}$/);
    }
    expect(modules[0]!.file).toBe(join(repoRoot, "build", "hello.wasm"));
  });
});

describe("validate", () => {
  test("a configuration the filter accepts", async () => {
    const file = join(work, "ok.yaml");
    writeFileSync(file, "policies:\n  - name: a/b\n    spec: {action: DENY, rules: [{to: [{operation: {paths: ['/x']}}]}]}\n");
    const result = await runCli(["--json", "validate", "abac", file, "--root-id", "abac"]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, filter: "abac" });
  });

  test("the filter's own rejection, with its JSON path, is the error line", async () => {
    const file = join(work, "bad-cidr.yaml");
    writeFileSync(file, "policies:\n  - name: a/b\n    spec: {rules: [{from: [{source: {ipBlocks: ['10.0.0.0/8', '10.0.0.0/33']}}]}]}\n");
    const result = await runCli(["validate", "abac", file]);
    expect(result.status).toBe(1);
    expect(errorLines(result)).toEqual([
      `as-proxy: ${file}: abac rejects the configuration: abac: invalid configuration: policies[0].spec.rules[0].from[0].source.ipBlocks[1]: "10.0.0.0/33" is not a CIDR (prefix length above 32)`,
    ]);
  });

  test("the filter's JSON Schema catches structural mistakes first", async () => {
    const file = join(work, "l7.yaml");
    writeFileSync(file, "fields: []\nprefix: L7\n");
    const result = await runCli(["validate", "l7-metadata", file]);
    expect(result.status).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^as-proxy: .*l7\.yaml: invalid l7-metadata configuration: (prefix|fields): /)]);
  });

  test("an unknown encoding is refused", async () => {
    const result = await runCli(["validate", "abac", join(work, "ok.yaml"), "--encoding", "json"]);
    expect(errorLines(result)).toEqual(['as-proxy: --encoding "json": expected istio or envoy-gateway']);
  });
});

describe("package", () => {
  test("prints the digest of the reproducible image; twice gives the same", async () => {
    const first = await runCli(["--json", "package", moduleFile]);
    const second = await runCli(["--json", "package", moduleFile, "--quiet"]);
    expect(first.status).toBe(0);
    const a = JSON.parse(first.stdout) as { manifestDigest: string; moduleSha256: string; layout: string };
    expect(a.manifestDigest).toBe(buildWasmImage(paddedModule(20_000)).manifestDigest);
    expect(a.layout).toBe("compat");
    expect(JSON.parse(second.stdout)).toEqual(a);
  });

  test("writes an OCI image layout directory", async () => {
    const dir = join(work, "layout");
    const result = await runCli(["package", moduleFile, "--output", dir, "--tag", "v1"]);
    expect(result.status).toBe(0);
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
    expect(JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.annotations["org.opencontainers.image.ref.name"]).toBe("v1");
    const manifest = readFileSync(join(dir, "blobs", "sha256", index.manifests[0]!.digest.slice(7)));
    expect(manifest.equals(buildWasmImage(paddedModule(20_000)).manifestBytes)).toBe(true);
    // A second tag is added, not replacing the first.
    await runCli(["package", moduleFile, "--output", dir, "--tag", "v2", "--layout", "solo"]);
    const tags = (JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as typeof index).manifests.map((m) => m.annotations["org.opencontainers.image.ref.name"]);
    expect(tags).toEqual(["v1", "v2"]);
  });
});

describe("manifest", () => {
  const SHA = "5b381cddb9d92a5f5274314139423ba5f8ee5f46b3553e3f10847a5b72bb423d";

  test("istio: every option lands in its field (golden)", async () => {
    const result = await runCli([
      "manifest", "istio", moduleFile, "--image", "registry.example.com/filters/demo:2.0.0", "--sha256", SHA,
      "--name", "demo", "--namespace", "edge", "--plugin-name", "demo_root", "--phase", "AUTHN", "--priority", "-5",
      "--fail-strategy", "FAIL_RELOAD", "--match-mode", "CLIENT", "--match-port", "443", "--match-port", "8443",
      "--target-ref", "Gateway/ingress", "--type", "HTTP", "--env", "MODE=strict", "--host-env", "POD_NAME",
      "--pull-policy", "Always", "--pull-secret", "regcred",
    ]);
    expect(result.stderr).not.toMatch(/^as-proxy:/m);
    expect(result.status).toBe(0);
    expectGolden("cli-istio-gateway.yaml", result.stdout);
  });

  test("istio: without --sha256 the local image digest is pinned", async () => {
    const result = await runCli(["manifest", "istio", moduleFile, "--image", "r.io/x:1", "--layout", "solo"]);
    expect(result.status).toBe(0);
    const doc = parseAllDocuments(result.stdout)[0]!.toJS() as { spec: { sha256: string; url: string } };
    expect(doc.spec.sha256).toBe(buildWasmImage(paddedModule(20_000), { layout: "solo" }).manifestDigest.slice(7));
    expect(doc.spec.url).toBe("oci://r.io/x:1");
  });

  test("envoy-gateway: HTTPRoute + policy (golden)", async () => {
    const result = await runCli([
      "manifest", "envoy-gateway", moduleFile, "--image", "registry.example.com/filters/demo:2.0.0", "--sha256", SHA,
      "--namespace", "edge", "--root-id", "demo_root", "--fail-open", "--host-env", "HOSTNAME", "--gateway", "eg",
      "--gateway-namespace", "infra", "--hostname", "api.example.com", "--path-prefix", "/v2", "--backend", "api:9000",
    ]);
    expect(result.stderr).not.toMatch(/^as-proxy:/m);
    expect(result.status).toBe(0);
    expectGolden("cli-envoy-gateway.yaml", result.stdout);
  });

  test("an invalid generated manifest is refused with the CRD's reason", async () => {
    const result = await runCli(["manifest", "istio", moduleFile, "--image", "r.io/x:1", "--name", "Bad_Name"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(errorLines(result)).toEqual([expect.stringMatching(/^as-proxy: generated manifest is invalid: .*metadata.name: "Bad_Name" is not a DNS-1123 subdomain/)]);
  });

  test("mismatching --sha256 and @sha256: is a digest mismatch", async () => {
    const result = await runCli(["manifest", "istio", moduleFile, "--image", `r.io/x@sha256:${"a".repeat(64)}`, "--sha256", SHA]);
    expect(result.status).toBe(1);
    expect(errorLines(result)).toEqual([`as-proxy: digest mismatch: --sha256 ${SHA} but --image names @sha256:${"a".repeat(64)}`]);
  });

  test("a waypoint Service target with match mode CLIENT is refused", async () => {
    const result = await runCli(["manifest", "istio", moduleFile, "--image", "r.io/x:1", "--target-ref", "Service/reviews", "--match-mode", "CLIENT"]);
    expect(result.status).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringContaining("never applies to a waypoint")]);
  });
});
