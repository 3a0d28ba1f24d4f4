/**
 * Which AssemblyScript entry files the build compiles, and to what.
 *
 * - `filters/<name>/index.ts`      → `build/<name>.wasm` (release) and `build/<name>.debug.wasm`
 * - `test/probes/<name>.ts`        → `build/probe-<name>.wasm` and `build/probe-<name>.debug.wasm`
 * - `test/**\/<name>.loader.ts`     → `build/loader/<name>.wasm` (target `loader`: AS runtime exported, for
 *                                     `@assemblyscript/loader`; not a proxy-wasm module)
 *
 * Targets are the ones in `asconfig.json`.
 */

import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export type BuildTarget = "release" | "debug" | "loader";

export interface BuildJob {
  /** Entry file, relative to the repository root (forward slashes). */
  entry: string;
  target: BuildTarget;
  /** Output file, relative to the repository root. */
  outFile: string;
}

function toPosix(path: string): string {
  return path.split("\\").join("/");
}

function listDirectories(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function walkFiles(dir: string, accept: (name: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walkFiles(path, accept, out);
    else if (accept(entry.name)) out.push(path);
  }
  return out;
}

/** Every build job for the repository at `root`, in a stable order. */
export function discoverJobs(root: string): BuildJob[] {
  const jobs: BuildJob[] = [];
  for (const name of listDirectories(join(root, "filters"))) {
    const entry = join(root, "filters", name, "index.ts");
    if (!existsSync(entry) || !statSync(entry).isFile()) continue;
    const rel = toPosix(relative(root, entry));
    jobs.push({ entry: rel, target: "release", outFile: `build/${name}.wasm` });
    jobs.push({ entry: rel, target: "debug", outFile: `build/${name}.debug.wasm` });
  }
  const probesDir = join(root, "test", "probes");
  if (existsSync(probesDir)) {
    for (const file of readdirSync(probesDir).sort()) {
      if (!file.endsWith(".ts") || file.endsWith(".d.ts")) continue;
      const name = file.slice(0, -3);
      const rel = `test/probes/${file}`;
      jobs.push({ entry: rel, target: "release", outFile: `build/probe-${name}.wasm` });
      jobs.push({ entry: rel, target: "debug", outFile: `build/probe-${name}.debug.wasm` });
    }
  }
  for (const path of walkFiles(join(root, "test"), (name) => name.endsWith(".loader.ts"))) {
    const name = path.slice(path.lastIndexOf("/") + 1, -".loader.ts".length);
    jobs.push({ entry: toPosix(relative(root, path)), target: "loader", outFile: `build/loader/${name}.wasm` });
  }
  const seen = new Map<string, string>();
  for (const job of jobs) {
    const previous = seen.get(job.outFile);
    if (previous !== undefined) {
      throw new Error(`two entries build ${job.outFile}: ${previous} and ${job.entry}; rename one of them`);
    }
    seen.set(job.outFile, job.entry);
  }
  return jobs;
}
