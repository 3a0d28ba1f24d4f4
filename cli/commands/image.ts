/** `as-proxy package`, `push`, `verify`: reproducible OCI images and the registry round trip. */
import { readFileSync } from "node:fs";
import { CliError } from "../lib/errors.js";
import { buildWasmImage, IMAGE_LAYOUTS, sha256Hex, type ImageLayout, type WasmImage } from "../lib/oci/image.js";
import { applyFetchRules, FetchRuleViolation } from "../lib/oci/fetch-rules.js";
import { writeImageLayout } from "../lib/oci/layout-dir.js";
import { formatImageReference, manifestReference, parseImageReference, type ImageReference } from "../lib/oci/reference.js";
import { RegistryClient, type RegistryOptions } from "../lib/oci/registry.js";
import type { Output } from "../lib/output.js";
import { resolveModule } from "../lib/project.js";

export interface ImageOptions {
  layout?: string;
  rootId?: string[];
}

export function parseLayout(value: string | undefined): ImageLayout {
  const layout = (value ?? "compat") as ImageLayout;
  if (!IMAGE_LAYOUTS.includes(layout)) throw new CliError(`--layout "${value}": expected one of ${IMAGE_LAYOUTS.join(", ")}`);
  return layout;
}

/** Builds the image of a filter (or a .wasm path) exactly as `package` and `push` do. */
export function imageFor(filterOrPath: string, options: ImageOptions): { image: WasmImage; file: string; name: string } {
  const { file, name } = resolveModule(filterOrPath);
  const module = readFileSync(file);
  const layout = parseLayout(options.layout);
  let image: WasmImage;
  try {
    image = buildWasmImage(module, { layout, rootIds: options.rootId ?? [] });
  } catch (error) {
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
  return { image, file, name };
}

function describeImage(image: WasmImage) {
  return {
    layout: image.layout,
    manifestDigest: image.manifestDigest,
    sha256: image.manifestDigest.slice("sha256:".length),
    moduleSha256: image.moduleSha256,
    manifestSize: image.manifestBytes.length,
    layers: image.layers.map((l) => l.descriptor),
  };
}

export async function packageCommand(filter: string, options: ImageOptions & { output?: string; tag?: string }, out: Output): Promise<void> {
  const { image, file } = imageFor(filter, options);
  const tag = options.tag ?? "latest";
  if (options.output) {
    out.progress(`writing OCI image layout ${options.output} (tag ${tag})`);
    await writeImageLayout(options.output, image, tag);
  }
  const info = { module: file, ...describeImage(image), ...(options.output ? { output: options.output, tag } : {}) };
  out.result(
    info,
    [
      `module   ${file} (sha256 ${image.moduleSha256})`,
      `layout   ${image.layout}`,
      `digest   ${image.manifestDigest}`,
      ...(options.output ? [`written  oci:${options.output}:${tag}`] : []),
    ].join("\n"),
  );
}

function registryOptions(options: { plainHttp?: boolean; user?: string }, out: Output): RegistryOptions {
  const result: RegistryOptions = { onProgress: (m) => out.progress(m) };
  if (options.plainHttp) result.plainHttp = true;
  const user = options.user ?? process.env.AS_PROXY_REGISTRY_USER;
  if (user) {
    const colon = user.indexOf(":");
    if (colon <= 0) throw new CliError("--user must be <username>:<password> (or set AS_PROXY_REGISTRY_USER)");
    result.credentials = { username: user.slice(0, colon), password: user.slice(colon + 1) };
  }
  return result;
}

function parseRef(text: string): ImageReference {
  try {
    return parseImageReference(text);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

export async function pushCommand(
  filter: string,
  refText: string,
  options: ImageOptions & { plainHttp?: boolean; user?: string },
  out: Output,
): Promise<void> {
  const ref = parseRef(refText);
  if (ref.digest) throw new CliError(`${refText}: push to a tag, not a digest (the digest is the result)`);
  const { image } = imageFor(filter, options);
  const tag = ref.tag ?? "latest";
  const client = new RegistryClient(ref, registryOptions(options, out));
  const digest = await client.pushImage(image, tag);
  const pinned = formatImageReference({ ...ref, tag, digest });
  out.result(
    { reference: formatImageReference({ ...ref, tag }), pinned, ...describeImage(image), manifestDigest: digest },
    [`pushed   ${formatImageReference({ ...ref, tag })}`, `digest   ${digest}`, `pinned   ${pinned}`].join("\n"),
  );
}

export async function verifyCommand(refText: string, options: { sha256?: string; plainHttp?: boolean; user?: string }, out: Output): Promise<void> {
  const ref = parseRef(refText);
  const client = new RegistryClient(ref, registryOptions(options, out));
  out.progress(`fetching manifest ${formatImageReference(ref)}`);
  const manifest = await client.getManifest(manifestReference(ref));
  const expected = options.sha256 ?? ref.digest?.slice("sha256:".length);
  let result;
  try {
    result = await applyFetchRules(manifest.bytes, (d) => {
      out.progress(`fetching blob ${d.digest.slice(0, 19)} (${d.size} bytes)`);
      return client.getBlob(d.digest);
    }, expected);
  } catch (error) {
    if (error instanceof FetchRuleViolation) {
      throw new CliError(`${formatImageReference(ref)}: Istio/Envoy Gateway would reject this image: ${error.message}`);
    }
    throw error;
  }
  const moduleSha256 = sha256Hex(result.module);
  out.result(
    { reference: formatImageReference(ref), layout: result.layout, sha256: result.manifestDigestHex, moduleSha256, moduleSize: result.module.length },
    [
      `ok       ${formatImageReference(ref)} loads in Istio and Envoy Gateway`,
      `layout   ${result.layout}`,
      `sha256   ${result.manifestDigestHex}   (manifest digest: the value for WasmPlugin/EnvoyExtensionPolicy sha256)`,
      `module   ${result.module.length} bytes, sha256 ${moduleSha256}`,
    ].join("\n"),
  );
}
