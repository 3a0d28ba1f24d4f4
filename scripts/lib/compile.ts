/**
 * Compiles one AssemblyScript entry in-process with the `asc` JS API, recording every source file the
 * compiler asked for (and which of them did not exist) so the build cache can tell exactly when an output is
 * stale.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BuildJob } from "./build-entries.js";

export interface CompileResult {
  /** The module, or null when compilation failed. */
  binary: Uint8Array | null;
  /** Compiler output (diagnostics), possibly empty. */
  diagnostics: string;
  /** Every file the compiler read, relative to the root → sha256, or null when it probed a missing file. */
  inputs: Record<string, string | null>;
}

export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The asc command line for `job` (the flags themselves live in asconfig.json). */
export function ascArguments(job: BuildJob): string[] {
  return [job.entry, "--config", "asconfig.json", "--target", job.target, "--outFile", job.outFile];
}

export async function compile(root: string, job: BuildJob): Promise<CompileResult> {
  // Loaded on first use: the compiler and Binaryen take seconds to load, and a fully cached build needs neither.
  const { default: asc } = await import("assemblyscript/asc");
  const inputs: Record<string, string | null> = {};
  let binary: Uint8Array | null = null;
  const chunks: string[] = [];
  const stderr = asc.createMemoryStream((chunk) => chunks.push(typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk)));
  const stdout = asc.createMemoryStream();
  // Paths are relative to `root`, whatever the current directory (the cache key leaves `root` out).
  const result = await asc.main([...ascArguments(job), "--baseDir", root], {
    stdout,
    stderr,
    readFile(filename, baseDir) {
      const path = join(baseDir, filename);
      const key = pathKey(root, path);
      try {
        const text = readFileSync(path, "utf8");
        inputs[key] = sha256(text);
        return text;
      } catch {
        inputs[key] = null;
        return null;
      }
    },
    writeFile(filename, contents) {
      if (filename.endsWith(".wasm")) binary = typeof contents === "string" ? new TextEncoder().encode(contents) : contents;
    },
    listFiles() {
      return [];
    },
  });
  const diagnostics = chunks.join("");
  if (result.error) return { binary: null, diagnostics: diagnostics || String(result.error), inputs };
  return { binary, diagnostics, inputs };
}

function pathKey(root: string, path: string): string {
  const normalized = path.split("\\").join("/");
  const prefix = root.split("\\").join("/").replace(/\/?$/, "/");
  return normalized.startsWith(prefix) ? normalized.slice(prefix.length) : normalized;
}
