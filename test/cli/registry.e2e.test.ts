// The registry round trip against a real registry (Debian docker-registry 2.8, deployment.md §E.3): push through
// the OCI distribution API, pull back, check the digest and the Istio/EG fetch rules (§B.5, §E.1).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../../harness/envoy/ports";
import { applyFetchRules } from "../../cli/lib/oci/fetch-rules";
import { buildWasmImage, sha256Hex } from "../../cli/lib/oci/image";
import { parseImageReference } from "../../cli/lib/oci/reference";
import { RegistryClient } from "../../cli/lib/oci/registry";
import { errorLines, runCli } from "./support/cli";
import { LocalRegistry, REGISTRY_BINARY, requireTool, SKOPEO_BINARY } from "./support/registry";
import { EMPTY_MODULE, paddedModule } from "./support/wasm";

const available = requireTool(REGISTRY_BINARY, "docker-registry") && requireTool(SKOPEO_BINARY, "skopeo");

describe.runIf(available)("push to a real registry", () => {
  let registry: LocalRegistry;
  let work: string;
  let moduleFile: string;
  let otherModuleFile: string;

  beforeAll(async () => {
    registry = await LocalRegistry.start();
    work = mkdtempSync(join(tmpdir(), "as-proxy-push-"));
    moduleFile = join(work, "demo.wasm");
    writeFileSync(moduleFile, paddedModule(90_000));
    otherModuleFile = join(work, "other.wasm");
    writeFileSync(otherModuleFile, EMPTY_MODULE);
  });
  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("compat image: the pushed manifest digest is the local one, and the pulled image passes the fetch rules", async () => {
    const pushed = await runCli(["--json", "push", moduleFile, `${registry.host}/filters/demo:1.0.0`]);
    expect(pushed.stderr).not.toMatch(/^as-proxy:/m);
    expect(pushed.status).toBe(0);
    const result = JSON.parse(pushed.stdout) as { manifestDigest: string; pinned: string };
    const local = buildWasmImage(paddedModule(90_000));
    expect(result.manifestDigest).toBe(local.manifestDigest);
    expect(result.pinned).toBe(`${registry.host}/filters/demo:1.0.0@${local.manifestDigest}`);

    // Pull back through the plain registry API, as go-containerregistry does.
    const response = await fetch(`http://${registry.host}/v2/filters/demo/manifests/1.0.0`, {
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/vnd.oci.image.manifest.v1+json");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(response.headers.get("docker-content-digest")).toBe(local.manifestDigest);
    expect(`sha256:${sha256Hex(bytes)}`).toBe(local.manifestDigest);
    const client = new RegistryClient(parseImageReference(`${registry.host}/filters/demo`));
    const rules = await applyFetchRules(bytes, (d) => client.getBlob(d.digest), local.manifestDigest.slice(7));
    expect(rules.layout).toBe("compat");
    expect(rules.module.equals(paddedModule(90_000))).toBe(true);
  });

  test("pushing the same module again uploads nothing and gives the same digest", async () => {
    const again = await runCli(["push", moduleFile, `${registry.host}/filters/demo:1.0.1`]);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/already present/);
    expect(again.stderr).not.toMatch(/uploading blob/);
    expect(again.stdout).toContain(buildWasmImage(paddedModule(90_000)).manifestDigest);
  });

  test("solo two-layer image round-trips and verifies", async () => {
    const pushed = await runCli(["--json", "push", moduleFile, `${registry.host}/filters/demo:solo`, "--layout", "solo"]);
    expect(pushed.status).toBe(0);
    const digest = (JSON.parse(pushed.stdout) as { sha256: string }).sha256;
    const verified = await runCli(["--json", "verify", `${registry.host}/filters/demo:solo`, "--sha256", digest]);
    expect(verified.status).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ layout: "solo", sha256: digest, moduleSize: 90_000 });
  });

  test("an OCI layout directory pushed with skopeo keeps the digest", async () => {
    const layout = join(work, "layout");
    const packaged = await runCli(["--json", "package", moduleFile, "--output", layout, "--tag", "v1"]);
    expect(packaged.status).toBe(0);
    const digest = (JSON.parse(packaged.stdout) as { manifestDigest: string }).manifestDigest;
    const copy = spawnSync(SKOPEO_BINARY, ["copy", "--dest-tls-verify=false", `oci:${layout}:v1`, `docker://${registry.host}/filters/skopeo:v1`], {
      encoding: "utf8",
    });
    expect(copy.stderr).toBe("");
    expect(copy.status).toBe(0);
    const verified = await runCli(["--json", "verify", `${registry.host}/filters/skopeo@${digest}`]);
    expect(verified.status).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ layout: "compat", sha256: digest.slice(7) });
  });

  test("verify: a wrong sha256 is one error line and exit 1", async () => {
    const result = await runCli(["verify", `${registry.host}/filters/demo:1.0.0`, "--sha256", "0".repeat(64)]);
    expect(result.status).toBe(1);
    expect(errorLines(result)).toHaveLength(1);
    expect(errorLines(result)[0]).toMatch(/would reject this image: .*does not match the expected sha256 0{64}/);
  });

  test("verify: a CNCF application/wasm artifact is reported as rejected by Istio/EG", async () => {
    const config = Buffer.from("{}");
    const layerDescriptor = { mediaType: "application/wasm", digest: `sha256:${sha256Hex(EMPTY_MODULE)}`, size: EMPTY_MODULE.length };
    const configDescriptor = { mediaType: "application/vnd.wasm.config.v0+json", digest: `sha256:${sha256Hex(config)}`, size: config.length };
    const client = new RegistryClient(parseImageReference(`${registry.host}/filters/cncf`));
    await client.uploadBlob({ descriptor: configDescriptor, bytes: config });
    await client.uploadBlob({ descriptor: layerDescriptor, bytes: EMPTY_MODULE });
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", artifactType: "application/wasm", config: configDescriptor, layers: [layerDescriptor] }),
    );
    await client.putManifest("1", manifest, "application/vnd.oci.image.manifest.v1+json");
    const result = await runCli(["verify", `${registry.host}/filters/cncf:1`]);
    expect(result.status).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(/would reject this image: the given image is in invalid format as an OCI image/)]);
  });

  test("manifest --resolve: a tag that points at another build is a digest mismatch", async () => {
    const pushedOther = await runCli(["push", otherModuleFile, `${registry.host}/filters/demo:moved`]);
    expect(pushedOther.status).toBe(0);
    const result = await runCli(["manifest", "istio", moduleFile, "--image", `${registry.host}/filters/demo:moved`, "--resolve"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(errorLines(result)).toEqual([expect.stringMatching(/^as-proxy: digest mismatch: .*filters\/demo:moved is sha256:[0-9a-f]{64} in the registry, expected sha256:[0-9a-f]{64}/)]);
    const ok = await runCli(["manifest", "istio", moduleFile, "--image", `${registry.host}/filters/demo:1.0.0`, "--resolve"]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`sha256: ${buildWasmImage(paddedModule(90_000)).manifestDigest.slice(7)}`);
  });
});

/** A registry double that fails on purpose, to prove nothing half-pushed is reported as pushed. */
async function fakeRegistry(onManifest: (res: http.ServerResponse) => void): Promise<{ host: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url === "/v2/") return void res.writeHead(200).end("{}");
      if (req.method === "HEAD") return void res.writeHead(404).end();
      if (req.method === "POST") return void res.writeHead(202, { location: "/v2/x/blobs/uploads/1" }).end();
      if (req.method === "PUT" && req.url!.includes("/blobs/uploads/")) return void res.writeHead(201).end();
      if (req.method === "PUT" && req.url!.includes("/manifests/")) return onManifest(res);
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("push failures are never reported as success", () => {
  let work: string;
  let moduleFile: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "as-proxy-push-fail-"));
    moduleFile = join(work, "demo.wasm");
    writeFileSync(moduleFile, EMPTY_MODULE);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("unreachable registry: one line, exit 1", async () => {
    const port = await freePort(); // nothing listens there
    const result = await runCli(["push", moduleFile, `127.0.0.1:${port}/filters/x:1`]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(errorLines(result)).toEqual([expect.stringMatching(new RegExp(`^as-proxy: registry 127\\.0\\.0\\.1:${port} unreachable .*ECONNREFUSED`))]);
  });

  test("manifest rejected after the blobs went up: exit 1, no digest printed", async () => {
    const fake = await fakeRegistry((res) => res.writeHead(500).end('{"errors":[{"code":"UNKNOWN","message":"disk full"}]}'));
    try {
      const result = await runCli(["push", moduleFile, `${fake.host}/x:1`]);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe("");
      expect(errorLines(result)).toEqual([`as-proxy: registry ${fake.host}: PUT manifest 1 failed: HTTP 500 (UNKNOWN disk full)`]);
    } finally {
      await fake.close();
    }
  });

  test("registry reports another digest: digest mismatch, exit 1", async () => {
    const fake = await fakeRegistry((res) => res.writeHead(201, { "docker-content-digest": `sha256:${"b".repeat(64)}` }).end());
    try {
      const result = await runCli(["push", moduleFile, `${fake.host}/x:1`]);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe("");
      expect(errorLines(result)).toEqual([expect.stringMatching(/digest mismatch: registry reports sha256:b{64} for the manifest/)]);
    } finally {
      await fake.close();
    }
  });
});
