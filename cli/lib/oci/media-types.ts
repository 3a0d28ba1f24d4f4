/**
 * Media types of the image layouts Istio and Envoy Gateway accept (deployment.md §E.1; `istio/istio
 * pkg/wasm/imagefetcher.go`, `envoyproxy/gateway internal/wasm/imagefetcher.go`).
 */
export const MediaType = {
  OciManifest: "application/vnd.oci.image.manifest.v1+json",
  OciIndex: "application/vnd.oci.image.index.v1+json",
  OciConfig: "application/vnd.oci.image.config.v1+json",
  OciLayerTarGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  DockerLayerTarGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  /** Solo "oci" variant (solo-io/wasm spec/spec.md): runtime config and raw module layers. */
  WasmConfig: "application/vnd.module.wasm.config.v1+json",
  WasmContentLayer: "application/vnd.module.wasm.content.layer.v1+wasm",
} as const;

/** The file name Istio/EG look for (basename match) inside the last tar+gzip layer. */
export const PLUGIN_FILE_NAME = "plugin.wasm";

/** Annotation of the compat layout (solo-io/wasm spec/spec-compat.md); written, not checked by the fetchers. */
export const COMPAT_VARIANT_ANNOTATION = "module.wasm.image/variant";
