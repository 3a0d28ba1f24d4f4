/**
 * `build/.cache.json`: for each output, the inputs that produced it. An output is reused only if its file
 * still has the recorded sha256, the asc version and command line are unchanged, and every file the compiler
 * read (or probed and did not find) is unchanged.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sha256 } from "./compile.js";

export interface CacheEntry {
  /** sha256 of the asc version, the command line and asconfig.json. */
  key: string;
  /** Source file → sha256 (null: the compiler probed it and it did not exist). */
  inputs: Record<string, string | null>;
  /** sha256 of the output. */
  sha256: string;
  /** Size of the output in bytes. */
  size: number;
}

export type BuildCache = Record<string, CacheEntry>;

export function loadCache(path: string): BuildCache {
  if (!existsSync(path)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    return typeof parsed === "object" && parsed !== null ? (parsed as BuildCache) : {};
  } catch {
    return {}; // a corrupt cache only costs a rebuild
  }
}

function fileHash(path: string): string | null {
  try {
    return sha256(readFileSync(path));
  } catch {
    return null;
  }
}

/** True when `outFile` can be reused for `key`. */
export function isFresh(root: string, outFile: string, key: string, entry: CacheEntry | undefined): boolean {
  if (entry === undefined || entry.key !== key) return false;
  if (fileHash(join(root, outFile)) !== entry.sha256) return false;
  for (const [input, hash] of Object.entries(entry.inputs)) {
    const current = existsSync(join(root, input)) ? sha256(readFileSync(join(root, input), "utf8")) : null;
    if (current !== hash) return false;
  }
  return true;
}
