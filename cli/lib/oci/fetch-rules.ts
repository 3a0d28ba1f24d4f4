/**
 * The rules Istio's agent and Envoy Gateway apply when they pull a Wasm module from an OCI registry
 * (identical code: `istio/istio pkg/wasm/imagefetcher.go` + `cache.go`, `envoyproxy/gateway internal/wasm/`;
 * deployment.md §B.5, §E.1), re-implemented so that `as-proxy verify` and the tests can tell, before a
 * deployment, whether a pushed image will load:
 *
 *  1. an index / manifest list is resolved to its linux/amd64 child and the *child's* digest is what `sha256`
 *     is compared with — almost never what the user pinned, so it is reported as an error here;
 *  2. Docker v2 manifest → the **last** layer must be `application/vnd.docker.image.rootfs.diff.tar.gzip`;
 *  3. otherwise ("compat") → the **last** layer must be `application/vnd.oci.image.layer.v1.tar+gzip`;
 *     in both, the first tar entry whose basename is `plugin.wasm` is the module;
 *  4. otherwise (Solo "oci" variant) → exactly 2 layers, one of type
 *     `application/vnd.module.wasm.content.layer.v1+wasm`, whose raw bytes are the module;
 *  5. the module must start with `\0asm`; the manifest digest must equal `sha256` when one is given.
 */
import { gunzipSync } from "node:zlib";
import { isWasmBinary, sha256Hex, type Descriptor } from "./image.js";
import { MediaType, PLUGIN_FILE_NAME } from "./media-types.js";
import { readTar } from "./tar.js";

export type AcceptedLayout = "docker" | "compat" | "solo";

export interface FetchRulesResult {
  layout: AcceptedLayout;
  /** The module bytes Envoy would load. */
  module: Buffer;
  /** Hex sha256 of the manifest bytes (the value to pin as `sha256`). */
  manifestDigestHex: string;
}

export class FetchRuleViolation extends Error {
  override readonly name = "FetchRuleViolation";
}

interface ManifestJson {
  schemaVersion?: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Array<Descriptor & { platform?: { os?: string; architecture?: string } }>;
}

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Go's `extractWasmPluginBinary`: gunzip, walk the tar, first entry with basename plugin.wasm. */
function extractPluginFromTarGzip(layer: Buffer): Buffer {
  let tar: Buffer;
  try {
    tar = gunzipSync(layer);
  } catch (error) {
    throw new FetchRuleViolation(`failed to parse layer as tar.gz: ${(error as Error).message}`);
  }
  const entry = readTar(tar).find((e) => basename(e.name) === PLUGIN_FILE_NAME);
  if (!entry) throw new FetchRuleViolation(`${PLUGIN_FILE_NAME} not found in the archive`);
  return entry.data;
}

/**
 * Applies the fetch rules to a manifest and its blobs. `getBlob` must return verified blob bytes
 * (the registry client hashes every download). Throws {@link FetchRuleViolation} with the fetchers' reason.
 */
export async function applyFetchRules(
  manifestBytes: Buffer,
  getBlob: (descriptor: Descriptor) => Promise<Buffer>,
  expectedSha256?: string,
): Promise<FetchRulesResult> {
  let manifest: ManifestJson;
  try {
    manifest = JSON.parse(manifestBytes.toString("utf8")) as ManifestJson;
  } catch {
    throw new FetchRuleViolation("could not fetch manifest: the manifest is not JSON");
  }
  const manifestDigestHex = sha256Hex(manifestBytes);
  if (manifest.mediaType === MediaType.OciIndex || manifest.mediaType === MediaType.DockerManifestList || manifest.manifests) {
    throw new FetchRuleViolation(
      "the reference is an image index: Istio and Envoy Gateway resolve it to its linux/amd64 manifest and compare " +
        "sha256 with that child's digest, so a pinned index digest never matches; push a single image manifest",
    );
  }
  if (manifest.schemaVersion !== 2) {
    throw new FetchRuleViolation(`unsupported manifest schemaVersion ${String(manifest.schemaVersion)} (expected 2)`);
  }
  if (expectedSha256 !== undefined && expectedSha256 !== "" && expectedSha256 !== manifestDigestHex) {
    throw new FetchRuleViolation(
      `module downloaded has checksum ${manifestDigestHex}, which does not match the expected sha256 ${expectedSha256}`,
    );
  }
  const layers = manifest.layers ?? [];
  const last = layers[layers.length - 1];
  let result: { layout: AcceptedLayout; module: Buffer };
  if (manifest.mediaType === MediaType.DockerManifest) {
    if (!last) throw new FetchRuleViolation("could not extract Wasm file from the image as Docker container: number of layers must be greater than zero");
    if (last.mediaType !== MediaType.DockerLayerTarGzip) {
      throw new FetchRuleViolation(
        `could not extract Wasm file from the image as Docker container: invalid media type ${last.mediaType} (expect ${MediaType.DockerLayerTarGzip})`,
      );
    }
    result = { layout: "docker", module: extractPluginFromTarGzip(await getBlob(last)) };
  } else {
    let compatError: string;
    if (!last) compatError = "number of layers must be greater than zero";
    else if (last.mediaType !== MediaType.OciLayerTarGzip) {
      compatError = `invalid media type ${last.mediaType} (expect ${MediaType.OciLayerTarGzip})`;
    } else {
      try {
        return finish({ layout: "compat", module: extractPluginFromTarGzip(await getBlob(last)) }, manifestDigestHex);
      } catch (error) {
        if (!(error instanceof FetchRuleViolation)) throw error;
        compatError = `could not extract wasm binary: ${error.message}`;
      }
    }
    let soloError: string | undefined;
    if (layers.length !== 2) soloError = `number of layers must be 2 but got ${layers.length}`;
    else {
      const wasmLayer = layers.find((l) => l.mediaType === MediaType.WasmContentLayer);
      if (!wasmLayer) soloError = `could not find the layer of type ${MediaType.WasmContentLayer}`;
      else result = { layout: "solo", module: await getBlob(wasmLayer) };
    }
    if (soloError !== undefined) {
      throw new FetchRuleViolation(
        `the given image is in invalid format as an OCI image: could not parse as compat variant: ${compatError}; ` +
          `could not parse as oci variant: ${soloError}`,
      );
    }
  }
  return finish(result!, manifestDigestHex);
}

function finish(result: { layout: AcceptedLayout; module: Buffer }, manifestDigestHex: string): FetchRulesResult {
  if (!isWasmBinary(result.module)) {
    throw new FetchRuleViolation(`fetched Wasm binary is invalid (no \\0asm magic; layout ${result.layout})`);
  }
  return { ...result, manifestDigestHex };
}
