/**
 * A minimal client of the OCI distribution API (https://github.com/opencontainers/distribution-spec, "push" and
 * "pull" workflows), enough to push one Wasm image and read it back:
 *
 *   HEAD /v2/<name>/blobs/<digest>            blob already there? (skip the upload)
 *   POST /v2/<name>/blobs/uploads/            start an upload → 202 + Location
 *   PUT  <Location>?digest=<digest>           monolithic upload → 201
 *   PUT  /v2/<name>/manifests/<tag>           Content-Type = manifest media type → 201 + Docker-Content-Digest
 *   GET  /v2/<name>/manifests/<ref>, GET /v2/<name>/blobs/<digest>
 *
 * Loopback registries use plain HTTP (as a local `docker-registry` serves); others HTTPS unless `plainHttp`.
 * Authentication: anonymous, or Basic credentials; a `WWW-Authenticate: Bearer` challenge is answered with a
 * token from the realm (Docker token flow), using the credentials if given.
 * Every response is checked: a digest the registry reports must equal the sha256 we computed, every downloaded
 * blob is hashed, and a failure in any step aborts before the manifest is written, so an image is never
 * half-pushed and reported as pushed.
 */
import { CliError, errorMessage } from "../errors.js";
import { imageBlobs, sha256Hex, type Blob, type WasmImage } from "./image.js";
import { MediaType } from "./media-types.js";
import { isLoopbackRegistry, registryApiHost, type ImageReference } from "./reference.js";

export interface RegistryOptions {
  /** Force plain HTTP (default: only for loopback registries). */
  plainHttp?: boolean;
  credentials?: { username: string; password: string };
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Progress lines (one per step). */
  onProgress?: (message: string) => void;
}

/** Every manifest media type we can read back (the fetchers' Accept list, go-containerregistry `remote`). */
const MANIFEST_ACCEPT = [
  MediaType.OciManifest,
  MediaType.DockerManifest,
  MediaType.OciIndex,
  MediaType.DockerManifestList,
].join(", ");

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** `sha256:<hex>` of the bytes (computed here, checked against the registry's header). */
  digest: string;
}

export class RegistryClient {
  readonly baseUrl: string;
  private authorization: string | undefined;

  constructor(
    readonly ref: ImageReference,
    private readonly options: RegistryOptions = {},
  ) {
    const plain = options.plainHttp ?? isLoopbackRegistry(ref.registry);
    this.baseUrl = `${plain ? "http" : "https"}://${registryApiHost(ref.registry)}`;
    if (options.credentials) {
      const { username, password } = options.credentials;
      this.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    }
  }

  private get where(): string {
    return `registry ${this.ref.registry}`;
  }

  private progress(message: string): void {
    this.options.onProgress?.(message);
  }

  /** One HTTP exchange, with one retry after an authentication challenge. */
  private async request(method: string, url: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<Response> {
    const send = async () => {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (this.authorization) headers.authorization = this.authorization;
      try {
        return await fetch(url, {
          method,
          headers,
          ...(init.body ? { body: init.body } : {}),
          redirect: "follow",
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        });
      } catch (error) {
        throw new CliError(`${this.where} unreachable (${method} ${url}): ${errorMessage(error)}`);
      }
    };
    let response = await send();
    if (response.status === 401) {
      const challenge = response.headers.get("www-authenticate") ?? "";
      await response.body?.cancel();
      if (await this.answerChallenge(challenge)) response = await send();
    }
    return response;
  }

  private async answerChallenge(challenge: string): Promise<boolean> {
    const scheme = challenge.split(" ")[0]?.toLowerCase();
    if (scheme === "basic") return this.options.credentials !== undefined && this.authorization !== undefined;
    if (scheme !== "bearer") return false;
    const params = Object.fromEntries(
      [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!] as const),
    );
    if (!params.realm) return false;
    const tokenUrl = new URL(params.realm);
    if (params.service) tokenUrl.searchParams.set("service", params.service);
    tokenUrl.searchParams.set("scope", params.scope ?? `repository:${this.ref.repository}:pull,push`);
    const headers: Record<string, string> = {};
    if (this.options.credentials) {
      const { username, password } = this.options.credentials;
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    }
    let response: Response;
    try {
      response = await fetch(tokenUrl, { headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
    } catch (error) {
      throw new CliError(`${this.where}: token endpoint ${tokenUrl.origin} unreachable: ${errorMessage(error)}`);
    }
    if (!response.ok) throw new CliError(`${this.where}: token endpoint answered ${response.status}`);
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new CliError(`${this.where}: token endpoint returned no token`);
    this.authorization = `Bearer ${token}`;
    return true;
  }

  private async fail(response: Response, what: string): Promise<never> {
    let detail = "";
    try {
      const text = await response.text();
      const parsed = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
      detail = parsed.errors?.map((e) => `${e.code ?? ""} ${e.message ?? ""}`.trim()).join("; ") ?? text;
    } catch {
      // Not a distribution-spec error body; the status says enough.
    }
    throw new CliError(`${this.where}: ${what} failed: HTTP ${response.status}${detail ? ` (${detail})` : ""}`);
  }

  private url(path: string): string {
    return `${this.baseUrl}/v2/${this.ref.repository}/${path}`;
  }

  /** `GET /v2/` — checks the registry speaks the API (200, or 401 when it wants credentials). */
  async ping(): Promise<void> {
    const response = await this.request("GET", `${this.baseUrl}/v2/`);
    if (response.status !== 200) await this.fail(response, "API check GET /v2/");
    await response.body?.cancel();
  }

  async blobExists(digest: string): Promise<boolean> {
    const response = await this.request("HEAD", this.url(`blobs/${digest}`));
    await response.body?.cancel();
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    return this.fail(response, `HEAD blob ${digest}`);
  }

  async uploadBlob(blob: Blob): Promise<void> {
    const { digest } = blob.descriptor;
    const start = await this.request("POST", this.url("blobs/uploads/"), { headers: { "content-length": "0" } });
    if (start.status !== 202) await this.fail(start, `starting the upload of ${digest}`);
    await start.body?.cancel();
    const location = start.headers.get("location");
    if (!location) throw new CliError(`${this.where}: upload of ${digest} returned no Location header`);
    const target = new URL(location, this.baseUrl);
    target.searchParams.set("digest", digest);
    const put = await this.request("PUT", target.toString(), {
      headers: { "content-type": "application/octet-stream", "content-length": String(blob.bytes.length) },
      body: blob.bytes,
    });
    if (put.status !== 201) await this.fail(put, `uploading blob ${digest}`);
    await put.body?.cancel();
    const reported = put.headers.get("docker-content-digest");
    if (reported && reported !== digest) {
      throw new CliError(`${this.where}: digest mismatch for blob: registry stored ${reported}, expected ${digest}`);
    }
  }

  /** Uploads the manifest under `reference` (a tag) and returns the digest the registry confirmed. */
  async putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const expected = `sha256:${sha256Hex(bytes)}`;
    const response = await this.request("PUT", this.url(`manifests/${reference}`), {
      headers: { "content-type": mediaType, "content-length": String(bytes.length) },
      body: bytes,
    });
    if (response.status !== 201) await this.fail(response, `PUT manifest ${reference}`);
    await response.body?.cancel();
    const reported = response.headers.get("docker-content-digest");
    if (reported && reported !== expected) {
      throw new CliError(`${this.where}: digest mismatch: registry reports ${reported} for the manifest, expected ${expected}`);
    }
    // Read it back: the digest we print must be the one the fetchers will compute from what the registry serves.
    const served = await this.getManifest(expected);
    if (served.digest !== expected) {
      throw new CliError(`${this.where}: digest mismatch: registry serves ${served.digest}, expected ${expected}`);
    }
    return expected;
  }

  async getManifest(reference: string): Promise<FetchedManifest> {
    const response = await this.request("GET", this.url(`manifests/${reference}`), { headers: { accept: MANIFEST_ACCEPT } });
    if (response.status === 404) {
      await response.body?.cancel();
      throw new CliError(`${this.where}: manifest ${this.ref.repository}:${reference} not found`);
    }
    if (response.status !== 200) await this.fail(response, `GET manifest ${reference}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = `sha256:${sha256Hex(bytes)}`;
    const reported = response.headers.get("docker-content-digest");
    if (reported && reported !== digest) {
      throw new CliError(`${this.where}: digest mismatch: header says ${reported}, body hashes to ${digest}`);
    }
    if (reference.startsWith("sha256:") && reference !== digest) {
      throw new CliError(`${this.where}: digest mismatch: asked for ${reference}, got ${digest}`);
    }
    let mediaType = response.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
    try {
      const declared = (JSON.parse(bytes.toString("utf8")) as { mediaType?: string }).mediaType;
      if (declared) mediaType = declared;
    } catch {
      throw new CliError(`${this.where}: manifest ${reference} is not JSON`);
    }
    return { bytes, mediaType, digest };
  }

  /** Downloads a blob and checks its sha256. */
  async getBlob(digest: string): Promise<Buffer> {
    const response = await this.request("GET", this.url(`blobs/${digest}`));
    if (response.status !== 200) await this.fail(response, `GET blob ${digest}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const actual = `sha256:${sha256Hex(bytes)}`;
    if (actual !== digest) throw new CliError(`${this.where}: digest mismatch: blob ${digest} hashes to ${actual}`);
    return bytes;
  }

  /**
   * Pushes every blob (skipping those already present), then the manifest under `tag`. Returns the manifest
   * digest the registry confirmed (equal to `image.manifestDigest`, or an error is thrown).
   */
  async pushImage(image: WasmImage, tag: string): Promise<string> {
    this.progress(`checking ${this.baseUrl}/v2/`);
    await this.ping();
    for (const blob of imageBlobs(image)) {
      const short = blob.descriptor.digest.slice(0, 19);
      if (await this.blobExists(blob.descriptor.digest)) {
        this.progress(`blob ${short} already present`);
        continue;
      }
      this.progress(`uploading blob ${short} (${blob.bytes.length} bytes)`);
      await this.uploadBlob(blob);
    }
    this.progress(`writing manifest ${this.ref.repository}:${tag}`);
    const digest = await this.putManifest(tag, image.manifestBytes, image.manifestMediaType);
    if (digest !== image.manifestDigest) {
      throw new CliError(`${this.where}: digest mismatch: pushed ${digest}, built ${image.manifestDigest}`);
    }
    return digest;
  }
}
