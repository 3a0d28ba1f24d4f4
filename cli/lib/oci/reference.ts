/**
 * Image references as Istio (`url: oci://…`), Envoy Gateway (`image.url`), docker and skopeo write them:
 * `[oci://]registry[:port]/repository[:tag][@sha256:<hex>]`, with Docker Hub shorthand (`name` →
 * `docker.io/library/name`) as go-containerregistry's `name.ParseReference` applies it.
 */

export interface ImageReference {
  /** Host and optional port, as written (`127.0.0.1:5000`, `ghcr.io`, `docker.io`). */
  registry: string;
  /** Repository path (`filters/abac`). */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>`. */
  digest?: string;
}

const REPOSITORY_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parses an image reference; throws an Error naming the bad part. */
export function parseImageReference(input: string): ImageReference {
  let rest = input.trim();
  if (rest.startsWith("oci://")) rest = rest.slice("oci://".length);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) {
    throw new Error(`image reference "${input}": only oci:// or no scheme is allowed`);
  }
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new Error(`image reference "${input}": digest must be sha256:<64 lowercase hex>`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw new Error(`image reference "${input}": invalid tag "${tag}"`);
  }
  const parts = rest.split("/");
  let registry: string;
  let repoParts: string[];
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    repoParts = parts.slice(1);
  } else {
    registry = "docker.io";
    repoParts = parts.length === 1 ? ["library", ...parts] : parts;
  }
  if (registry.length === 0) throw new Error(`image reference "${input}": missing registry`);
  for (const part of repoParts) {
    if (!REPOSITORY_COMPONENT.test(part)) {
      throw new Error(`image reference "${input}": invalid repository component "${part}" (lowercase letters, digits, . _ -)`);
    }
  }
  const ref: ImageReference = { registry, repository: repoParts.join("/") };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** `registry/repository[:tag][@digest]` (no scheme). */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** The tag or digest to address the manifest with (`latest` when neither is given, as docker does). */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? "latest";
}

/** Loopback registries are spoken to over plain HTTP by default (Istio/EG also fall back to HTTP). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith("[") ? registry.slice(0, registry.indexOf("]") + 1) : registry.split(":")[0]!;
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The host the registry API lives on (Docker Hub's API is not at docker.io). */
export function registryApiHost(registry: string): string {
  return registry === "docker.io" || registry === "index.docker.io" ? "registry-1.docker.io" : registry;
}
