// The fetch rules of istio/istio pkg/wasm/imagefetcher.go (= envoyproxy/gateway internal/wasm/imagefetcher.go),
// deployment.md §B.5 and §E.1.
import { describe, expect, test } from "vitest";
import { applyFetchRules, FetchRuleViolation } from "../../../../cli/lib/oci/fetch-rules";
import { buildWasmImage, imageBlobs, sha256Hex, type Descriptor } from "../../../../cli/lib/oci/image";
import { gzipStored, tarSingleFile } from "../../../../cli/lib/oci/tar";
import { EMPTY_MODULE, paddedModule } from "../../support/wasm";

function store(blobs: Buffer[]) {
  const byDigest = new Map(blobs.map((b) => [`sha256:${sha256Hex(b)}`, b]));
  return async (d: Descriptor) => {
    const b = byDigest.get(d.digest);
    if (!b) throw new Error(`no blob ${d.digest}`);
    return b;
  };
}

function descriptor(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: `sha256:${sha256Hex(bytes)}`, size: bytes.length };
}

function manifest(mediaType: string | undefined, layers: Descriptor[]): Buffer {
  const config = Buffer.from("{}");
  return Buffer.from(
    JSON.stringify({ schemaVersion: 2, ...(mediaType ? { mediaType } : {}), config: descriptor("application/vnd.oci.image.config.v1+json", config), layers }),
  );
}

describe("applyFetchRules", () => {
  test("accepts our compat and solo images and returns the module", async () => {
    for (const layout of ["compat", "solo"] as const) {
      const module = paddedModule(80_000);
      const image = buildWasmImage(module, { layout });
      const result = await applyFetchRules(image.manifestBytes, store(imageBlobs(image).map((b) => b.bytes)), image.manifestDigest.slice(7));
      expect(result.layout).toBe(layout);
      expect(result.module.equals(module)).toBe(true);
      expect(`sha256:${result.manifestDigestHex}`).toBe(image.manifestDigest);
    }
  });

  test("Docker v2 manifest: the last layer must be the Docker tar.gzip type; plugin.wasm found by basename", async () => {
    const layer = gzipStored(tarSingleFile("some/dir/plugin.wasm", EMPTY_MODULE));
    const other = gzipStored(tarSingleFile("README", Buffer.from("x")));
    const docker = "application/vnd.docker.distribution.manifest.v2+json";
    const ok = manifest(docker, [descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", other), descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", layer)]);
    expect((await applyFetchRules(ok, store([layer, other]))).layout).toBe("docker");
    const wrongType = manifest(docker, [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer)]);
    await expect(applyFetchRules(wrongType, store([layer]))).rejects.toThrow(/invalid media type application\/vnd.oci.image.layer.v1.tar\+gzip/);
  });

  test("compat: only the last layer counts", async () => {
    const withPlugin = gzipStored(tarSingleFile("plugin.wasm", EMPTY_MODULE));
    const without = gzipStored(tarSingleFile("other.wasm", EMPTY_MODULE));
    const layer = (b: Buffer) => descriptor("application/vnd.oci.image.layer.v1.tar+gzip", b);
    await expect(applyFetchRules(manifest(undefined, [layer(without), layer(withPlugin)]), store([withPlugin, without]))).resolves.toMatchObject({ layout: "compat" });
    await expect(applyFetchRules(manifest(undefined, [layer(withPlugin), layer(without)]), store([withPlugin, without]))).rejects.toThrow(
      /plugin.wasm not found in the archive/,
    );
  });

  test("rejects the CNCF application/wasm artifact and wasm-to-oci's single layer", async () => {
    for (const mediaType of ["application/wasm", "application/vnd.wasm.content.layer.v1+wasm"]) {
      const bad = manifest(undefined, [descriptor(mediaType, EMPTY_MODULE)]);
      const error = await applyFetchRules(bad, store([EMPTY_MODULE])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FetchRuleViolation);
      expect((error as Error).message).toMatch(/invalid format as an OCI image.*number of layers must be 2 but got 1/);
    }
  });

  test("solo variant needs exactly two layers, one of the module type", async () => {
    const cfg = Buffer.from("{}");
    const two = manifest(undefined, [descriptor("application/vnd.module.wasm.config.v1+json", cfg), descriptor("application/octet-stream", EMPTY_MODULE)]);
    await expect(applyFetchRules(two, store([cfg, EMPTY_MODULE]))).rejects.toThrow(/could not find the layer of type application\/vnd.module.wasm.content.layer.v1\+wasm/);
  });

  test("an image index is reported (its digest is never the one Istio/EG compare)", async () => {
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] }));
    await expect(applyFetchRules(index, store([]))).rejects.toThrow(/image index/);
  });

  test("the module must start with the Wasm magic", async () => {
    const notWasm = Buffer.from("#!/bin/sh\n");
    const layer = gzipStored(tarSingleFile("plugin.wasm", notWasm));
    const m = manifest(undefined, [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", layer)]);
    await expect(applyFetchRules(m, store([layer]))).rejects.toThrow(/fetched Wasm binary is invalid/);
  });

  test("sha256 is the manifest digest: the module's own sha256 does not match", async () => {
    const image = buildWasmImage(EMPTY_MODULE);
    const blobs = store(imageBlobs(image).map((b) => b.bytes));
    await expect(applyFetchRules(image.manifestBytes, blobs, image.moduleSha256)).rejects.toThrow(/does not match the expected sha256/);
  });
});
