/**
 * Writes an OCI image layout directory (image-spec `image-layout.md`): `oci-layout`, `index.json`,
 * `blobs/sha256/<hex>`. Tools that push from a directory (`skopeo copy oci:<dir>:<tag> docker://…`) read it;
 * the entry for `tag` carries the `org.opencontainers.image.ref.name` annotation skopeo looks up.
 * Writing into an existing layout keeps its other entries and replaces the one with the same tag.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { imageBlobs, type WasmImage } from "./image.js";
import { MediaType } from "./media-types.js";

const REF_NAME = "org.opencontainers.image.ref.name";

interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export async function writeImageLayout(dir: string, image: WasmImage, tag: string): Promise<void> {
  const blobsDir = join(dir, "blobs", "sha256");
  await mkdir(blobsDir, { recursive: true });
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  for (const blob of [...imageBlobs(image), { descriptor: { digest: image.manifestDigest }, bytes: image.manifestBytes }]) {
    await writeFile(join(blobsDir, blob.descriptor.digest.slice("sha256:".length)), blob.bytes);
  }
  const indexPath = join(dir, "index.json");
  let manifests: IndexEntry[] = [];
  if (existsSync(indexPath)) {
    try {
      const existing = JSON.parse(await readFile(indexPath, "utf8")) as { manifests?: IndexEntry[] };
      manifests = (existing.manifests ?? []).filter((m) => m.annotations?.[REF_NAME] !== tag);
    } catch {
      throw new Error(`${indexPath}: not a valid OCI index (remove it or choose another --output directory)`);
    }
  }
  manifests.push({
    mediaType: image.manifestMediaType,
    digest: image.manifestDigest,
    size: image.manifestBytes.length,
    annotations: { [REF_NAME]: tag },
  });
  await writeFile(indexPath, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
}
