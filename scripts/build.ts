/**
 * `npm run build`: compiles every filter, probe plugin and loader test module (see
 * scripts/lib/build-entries.ts) with the asc JS API, in-process, using the targets in asconfig.json.
 *
 *   npx tsx scripts/build.ts [--force] [name …]
 *
 * - Skips an output whose inputs are unchanged (build/.cache.json records the sha256 of every source file
 *   the compiler read, the asc version, the command line and asconfig.json); `--force` rebuilds everything.
 * - `name …` builds only outputs whose file name contains one of the names (e.g. `hello`, `probe-`).
 * - Writes each output atomically (temporary file + rename) and prints its name, size and sha256.
 * - Exits 1 with the compiler's diagnostics if any entry fails; the other entries are still built.
 * - Removes outputs it built earlier whose entry no longer exists.
 */

import ascPackage from "assemblyscript/package.json" with { type: "json" };
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isFresh, loadCache, type BuildCache } from "./lib/build-cache.js";
import { discoverJobs, type BuildJob } from "./lib/build-entries.js";
import { ascArguments, compile, sha256 } from "./lib/compile.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cachePath = join(root, "build", ".cache.json");

function cacheKey(job: BuildJob): string {
  const config = readFileSync(join(root, "asconfig.json"), "utf8");
  return sha256(JSON.stringify({ asc: ascPackage.version, argv: ascArguments(job), config }));
}

function writeAtomically(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

function formatSize(bytes: number): string {
  return bytes.toLocaleString("en-US").padStart(9) + " B";
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const force = args.includes("--force");
  const names = args.filter((arg) => !arg.startsWith("--"));
  const unknownFlags = args.filter((arg) => arg.startsWith("--") && arg !== "--force");
  if (unknownFlags.length > 0) {
    process.stderr.write(`build: unknown option ${unknownFlags.join(", ")} (usage: tsx scripts/build.ts [--force] [name …])\n`);
    return 2;
  }

  const allJobs = discoverJobs(root);
  const jobs = names.length === 0 ? allJobs : allJobs.filter((job) => names.some((name) => job.outFile.includes(name)));
  if (jobs.length === 0) {
    process.stderr.write(`build: nothing matches ${names.join(", ")}\n`);
    return 2;
  }

  const cache: BuildCache = loadCache(cachePath);
  // Outputs this script produced before whose entry is gone (e.g. a renamed probe) would otherwise be tested.
  if (names.length === 0) {
    const live = new Set(allJobs.map((job) => job.outFile));
    for (const outFile of Object.keys(cache)) {
      if (!live.has(outFile)) {
        rmSync(join(root, outFile), { force: true });
        delete cache[outFile];
        process.stdout.write(`removed   ${outFile} (its entry is gone)\n`);
      }
    }
  }

  let failures = 0;
  for (const job of jobs) {
    const key = cacheKey(job);
    const cached = cache[job.outFile];
    if (!force && cached !== undefined && isFresh(root, job.outFile, key, cached)) {
      process.stdout.write(`cached    ${job.outFile.padEnd(40)} ${formatSize(cached.size)}  sha256:${cached.sha256}\n`);
      continue;
    }
    const result = await compile(root, job);
    if (result.binary === null) {
      failures++;
      delete cache[job.outFile];
      process.stderr.write(`FAILED    ${job.outFile} (${job.entry}, target ${job.target})\n${result.diagnostics}\n`);
      continue;
    }
    // Binaryen's "Last converge was suboptimal." is informational; show everything else.
    const diagnostics = result.diagnostics.replace(/^Last converge was suboptimal\.\n?/gm, "");
    if (diagnostics.trim() !== "" && job.target !== "debug") process.stderr.write(diagnostics);
    writeAtomically(join(root, job.outFile), result.binary);
    const hash = sha256(result.binary);
    cache[job.outFile] = { key, inputs: result.inputs, sha256: hash, size: result.binary.byteLength };
    writeAtomically(cachePath, JSON.stringify(cache, null, 2) + "\n");
    process.stdout.write(`built     ${job.outFile.padEnd(40)} ${formatSize(result.binary.byteLength)}  sha256:${hash}\n`);
  }
  writeAtomically(cachePath, JSON.stringify(cache, null, 2) + "\n");
  if (failures > 0) process.stderr.write(`build: ${failures} output(s) failed\n`);
  return failures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`build: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
