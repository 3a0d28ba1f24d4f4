/**
 * Builds an OCI image holding one Wasm module, byte-reproducibly, in one of the two layouts that both Istio
 * and Envoy Gateway accept (deployment.md §E):
 *
 *  - `compat` (default): OCI manifest, one `tar+gzip` layer containing `plugin.wasm`, an image config with the
 *    layer's diff_id, annotation `module.wasm.image/variant: compat`. Works with every registry and tool.
 *  - `solo`: the two-layer "oci" variant: layer 0 is the runtime config
 *    (`application/vnd.module.wasm.config.v1+json`), layer 1 the raw module
 *    (`application/vnd.module.wasm.content.layer.v1+wasm`). No tar or gzip involved.
 *
 * Every blob and the manifest are serialized with a fixed key order and no whitespace, so the manifest digest
 * (the value Istio `spec.sha256` and EG `image.sha256` compare with) is a pure function of (module bytes, layout,
 * root ids).
 */
import { createHash } from "node:crypto";
import { COMPAT_VARIANT_ANNOTATION, MediaType, PLUGIN_FILE_NAME } from "./media-types.js";
import { gzipStored, tarSingleFile } from "./tar.js";

export type ImageLayout = "compat" | "solo";
export const IMAGE_LAYOUTS: readonly ImageLayout[] = ["compat", "solo"];

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface WasmImage {
  layout: ImageLayout;
  /** The exact manifest bytes to upload; their sha256 is the image digest. */
  manifestBytes: Buffer;
  manifestMediaType: string;
  /** `sha256:<hex>` of {@link manifestBytes}. */
  manifestDigest: string;
  config: Blob;
  layers: Blob[];
  /** sha256 of the module itself (what an `http(s)` WasmPlugin URL is checked against). */
  moduleSha256: string;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function blob(mediaType: string, bytes: Buffer, annotations?: Record<string, string>): Blob {
  const descriptor: Descriptor = { mediaType, digest: `sha256:${sha256Hex(bytes)}`, size: bytes.length };
  if (annotations) descriptor.annotations = annotations;
  return { descriptor, bytes };
}

/** Compact JSON with the key order of the literal (objects are built in a fixed order below). */
function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

export function isWasmBinary(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && WASM_MAGIC.every((b, i) => bytes[i] === b);
}

export interface BuildImageOptions {
  layout?: ImageLayout;
  /** Root ids the module registers; written into the solo runtime config (`config.root_ids`). */
  rootIds?: string[];
}

export function buildWasmImage(module: Uint8Array, options: BuildImageOptions = {}): WasmImage {
  if (!isWasmBinary(module)) throw new Error("the module does not start with the Wasm magic bytes \\0asm");
  const layout = options.layout ?? "compat";
  const moduleBytes = Buffer.from(module);
  let config: Blob;
  let layers: Blob[];
  if (layout === "compat") {
    const tar = tarSingleFile(PLUGIN_FILE_NAME, moduleBytes);
    const layer = blob(MediaType.OciLayerTarGzip, gzipStored(tar));
    // Platform fields are required by the image-spec config; go-containerregistry checks them only when
    // resolving an index, which we never push (deployment.md §E.4 "index trap").
    config = blob(
      MediaType.OciConfig,
      json({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [`sha256:${sha256Hex(tar)}`] },
        config: {},
      }),
    );
    layers = [layer];
  } else if (layout === "solo") {
    // solo-io/wasm spec/spec.md: `type`, `abiVersions` (property table), `config.root_ids` ("Envoy WASM Filter
    // Specification"). Informational only: neither Istio nor EG reads it.
    const runtimeConfig = json({
      type: "envoy_proxy",
      abiVersions: ["proxy_abi_version_0_2_1"],
      config: { root_ids: options.rootIds ?? [] },
    });
    config = blob(MediaType.WasmConfig, runtimeConfig);
    layers = [
      blob(MediaType.WasmConfig, runtimeConfig, { "org.opencontainers.image.title": "runtime-config.json" }),
      blob(MediaType.WasmContentLayer, moduleBytes, { "org.opencontainers.image.title": PLUGIN_FILE_NAME }),
    ];
  } else {
    throw new Error(`unknown image layout "${String(layout)}" (expected one of: ${IMAGE_LAYOUTS.join(", ")})`);
  }
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
  };
  if (layout === "compat") manifest.annotations = { [COMPAT_VARIANT_ANNOTATION]: "compat" };
  const manifestBytes = json(manifest);
  return {
    layout,
    manifestBytes,
    manifestMediaType: MediaType.OciManifest,
    manifestDigest: `sha256:${sha256Hex(manifestBytes)}`,
    config,
    layers,
    moduleSha256: sha256Hex(moduleBytes),
  };
}

/** Every distinct blob of the image (config first), for upload or for an image-layout directory. */
export function imageBlobs(image: WasmImage): Blob[] {
  const seen = new Set<string>();
  const out: Blob[] = [];
  for (const b of [image.config, ...image.layers]) {
    if (seen.has(b.descriptor.digest)) continue;
    seen.add(b.descriptor.digest);
    out.push(b);
  }
  return out;
}
