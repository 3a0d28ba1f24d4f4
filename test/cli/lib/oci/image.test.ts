import { gunzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { buildWasmImage, imageBlobs, sha256Hex } from "../../../../cli/lib/oci/image";
import { readTar } from "../../../../cli/lib/oci/tar";
import { EMPTY_MODULE, paddedModule } from "../../support/wasm";

describe("buildWasmImage", () => {
  test("the same module packaged twice gives the same digest (and the same bytes)", () => {
    for (const layout of ["compat", "solo"] as const) {
      const module = paddedModule(100_000);
      const first = buildWasmImage(module, { layout });
      const second = buildWasmImage(Buffer.from(module), { layout });
      expect(second.manifestDigest).toBe(first.manifestDigest);
      expect(second.manifestBytes.equals(first.manifestBytes)).toBe(true);
      expect(imageBlobs(second).map((b) => b.bytes.toString("base64"))).toEqual(imageBlobs(first).map((b) => b.bytes.toString("base64")));
    }
  });

  // Golden digests: a change here changes the sha256 users pinned in their WasmPlugins. Only update them on
  // purpose (and say so in the changelog).
  test.each([
    ["compat", EMPTY_MODULE, "sha256:5b381cddb9d92a5f5274314139423ba5f8ee5f46b3553e3f10847a5b72bb423d"],
    ["solo", EMPTY_MODULE, "sha256:131e4b3a632e77f2f45f9c1e8e0d99f8408ceff2988e8ebcf81b381199e80c1b"],
    ["compat", paddedModule(100_000), "sha256:99d35450e81237ab68c36b09f0fa0f7f372d32ff3adf6e9415fd5454b5ceec06"],
    ["solo", paddedModule(100_000), "sha256:d68ba49205b66dcc3bbda77c5d99bd57c43f877ed9e10b91dc47dc6e93186c33"],
  ] as const)("golden digest: %s layout", (layout, module, digest) => {
    expect(buildWasmImage(module, { layout }).manifestDigest).toBe(digest);
  });

  test("compat: one OCI tar+gzip layer holding plugin.wasm, config diff_id = sha256 of the tar", () => {
    const module = paddedModule(70_000);
    const image = buildWasmImage(module);
    const manifest = JSON.parse(image.manifestBytes.toString()) as Record<string, unknown>;
    expect(Object.keys(manifest)).toEqual(["schemaVersion", "mediaType", "config", "layers", "annotations"]);
    expect(manifest.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(manifest.annotations).toEqual({ "module.wasm.image/variant": "compat" });
    expect(image.layers).toHaveLength(1);
    const layer = image.layers[0]!;
    expect(layer.descriptor.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
    expect(layer.descriptor.digest).toBe(`sha256:${sha256Hex(layer.bytes)}`);
    const tar = gunzipSync(layer.bytes);
    const entries = readTar(tar);
    expect(entries.map((e) => e.name)).toEqual(["plugin.wasm"]);
    expect(entries[0]!.data.equals(module)).toBe(true);
    const config = JSON.parse(image.config.bytes.toString()) as { rootfs: { diff_ids: string[] } };
    expect(config.rootfs.diff_ids).toEqual([`sha256:${sha256Hex(tar)}`]);
    expect(image.manifestDigest).toBe(`sha256:${sha256Hex(image.manifestBytes)}`);
    expect(image.moduleSha256).toBe(sha256Hex(module));
  });

  test("solo: exactly two layers, runtime config then the raw module", () => {
    const image = buildWasmImage(EMPTY_MODULE, { layout: "solo", rootIds: ["abac"] });
    expect(image.layers.map((l) => l.descriptor.mediaType)).toEqual([
      "application/vnd.module.wasm.config.v1+json",
      "application/vnd.module.wasm.content.layer.v1+wasm",
    ]);
    expect(image.layers[1]!.bytes.equals(EMPTY_MODULE)).toBe(true);
    expect(JSON.parse(image.layers[0]!.bytes.toString())).toEqual({
      type: "envoy_proxy",
      abiVersions: ["proxy_abi_version_0_2_1"],
      config: { root_ids: ["abac"] },
    });
    // The config blob and layer 0 are the same bytes: uploaded once.
    expect(imageBlobs(image)).toHaveLength(2);
  });

  test("refuses bytes that are not a Wasm module", () => {
    expect(() => buildWasmImage(Buffer.from("not wasm"))).toThrow(/Wasm magic/);
  });
});
