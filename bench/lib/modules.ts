/**
 * The release modules a run measures, read once at its start: every `filters/<name>/index.ts` →
 * `build/<name>.wasm`. Every part of the run (sizes, harness, each Envoy started) uses these bytes, so a rebuild
 * while the benchmark runs cannot mix two builds in one report.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** Filter name → release module bytes. */
export type Modules = ReadonlyMap<string, Buffer>;

export function filterNames(projectRoot: string): string[] {
  const filters = path.join(projectRoot, "filters");
  return readdirSync(filters, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(filters, entry.name, "index.ts")))
    .map((entry) => entry.name)
    .sort();
}

export function loadModules(projectRoot: string, moduleDirectory: string): Modules {
  const modules = new Map<string, Buffer>();
  for (const filter of filterNames(projectRoot)) {
    const file = path.join(moduleDirectory, `${filter}.wasm`);
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
    modules.set(filter, readFileSync(file));
  }
  return modules;
}

export function moduleBytes(modules: Modules, filter: string): Buffer {
  const bytes = modules.get(filter);
  if (!bytes) throw new Error(`no module for filter ${JSON.stringify(filter)} (known: ${[...modules.keys()].join(", ")})`);
  return bytes;
}

/** First 12 hex digits of the module's sha256 (which build a report measured). */
export function moduleDigest(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 12);
}
