/**
 * Compiles one AssemblyScript entry in-process with the `asc` JS API, recording every source file the
 * compiler asked for (and which of them did not exist) so the build cache can tell exactly when an output is
 * stale.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Transform } from "assemblyscript/asc";
import type { BuildJob } from "./build-entries.js";
import CompactLiterals from "./compact-literals.js";

const COMPACT_LITERALS_SOURCE = fileURLToPath(new URL("./compact-literals.ts", import.meta.url));

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

export interface CompileOptions {
  /**
   * Flags appended to the job's command line (after `asconfig.json`'s, so they win). Used by bench/size.ts to
   * build a release module with a name section (`--debug`); never by the build, whose outputs depend only on
   * asconfig.json.
   */
  extraArgs?: string[];
}

export async function compile(root: string, job: BuildJob, options: CompileOptions = {}): Promise<CompileResult> {
  // Loaded on first use: the compiler and Binaryen take seconds to load, and a fully cached build needs neither.
  const { default: asc } = await import("assemblyscript/asc");
  const inputs: Record<string, string | null> = {};
  let binary: Uint8Array | null = null;
  const chunks: string[] = [];
  const stderr = asc.createMemoryStream((chunk) => chunks.push(typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk)));
  const stdout = asc.createMemoryStream();
  // Paths are relative to `root`, whatever the current directory (the cache key leaves `root` out).
  // Proxy-wasm modules (release, debug) store their string literals compactly; loader modules, which do not
  // link the SDK runtime, keep plain literals.
  const transforms = job.target === "loader" ? [] : [new CompactLiterals() as unknown as Transform];
  const result = await asc.main([...ascArguments(job), ...(options.extraArgs ?? []), "--baseDir", root], {
    stdout,
    stderr,
    transforms,
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
  // The transform is code the compiler runs, not a file it reads: record it too, so that a change to it rebuilds
  // every output it touched.
  // (Only when it is part of the tree being built: a scratch tree elsewhere, as in the tests, cannot change it.)
  const transformKey = pathKey(root, COMPACT_LITERALS_SOURCE);
  if (transforms.length > 0 && !isAbsolute(transformKey)) inputs[transformKey] = sha256(readFileSync(COMPACT_LITERALS_SOURCE, "utf8"));
  const diagnostics = chunks.join("");
  if (result.error) return { binary: null, diagnostics: diagnostics || String(result.error), inputs };
  return { binary, diagnostics, inputs };
}

function pathKey(root: string, path: string): string {
  const normalized = path.split("\\").join("/");
  const prefix = root.split("\\").join("/").replace(/\/?$/, "/");
  return normalized.startsWith(prefix) ? normalized.slice(prefix.length) : normalized;
}
