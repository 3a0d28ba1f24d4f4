/**
 * Where a harness request lifecycle spends its time: runs one benchmark module (the `npm run bench` workload)
 * under V8's sampling profiler (`node --cpu-prof`) and prints the functions with the most self time, grouped
 * as guest Wasm, harness JavaScript, and V8 (GC, runtime).
 *
 *   npx tsx bench/profile.ts abac50 [--requests 50000] [--module build/abac.wasm] [--top 25]
 *
 * Guest functions are named only when the module has a name section: build a release module with names for
 * this, e.g. `npx asc filters/abac/index.ts --config asconfig.json --target release --debug -o /tmp/abac.wasm`,
 * and pass it with --module. Variants: noop, hello, abac10, abac50, abac500, recorder.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createHost } from "../harness";
import { harnessVariants } from "./lib/harness-bench";
import { BENCH_REQUEST, COLLECTOR_CLUSTER } from "./lib/workload";

const root = fileURLToPath(new URL("..", import.meta.url));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

function category(url: string, name: string): string {
  if (url.startsWith("wasm://")) return "guest Wasm";
  if (name.startsWith("(")) return "V8";
  if (url.includes("/harness/")) return "harness";
  if (url.includes("node_modules") || url.startsWith("node:")) return "Node";
  return "other JS";
}

/** Self-time share per function and per category, from a .cpuprofile. */
export function summarizeProfile(profile: Profile, top: number): string {
  const total = profile.nodes.reduce((sum, n) => sum + n.hitCount, 0);
  const byFunction = new Map<string, { hits: number; category: string }>();
  const byCategory = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url } = node.callFrame;
    const name = functionName || "(anonymous)";
    const cat = category(url, name);
    const key = `${name}  ${url.replace(`file://${root}`, "").replace(/^wasm:\/\/wasm\/.*$/, "wasm")}`;
    const entry = byFunction.get(key) ?? { hits: 0, category: cat };
    entry.hits += node.hitCount;
    byFunction.set(key, entry);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + node.hitCount);
  }
  const pct = (hits: number) => `${((hits / total) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`${total} samples`, "by category (self time):"];
  for (const [cat, hits] of [...byCategory].sort((a, b) => b[1] - a[1])) lines.push(`  ${pct(hits)}  ${cat}`);
  lines.push(`top ${top} functions (self time):`);
  for (const [key, e] of [...byFunction].sort((a, b) => b[1].hits - a[1].hits).slice(0, top)) {
    lines.push(`  ${pct(e.hits)}  [${e.category}] ${key}`);
  }
  return lines.join("\n");
}

function runChild(variantId: string, requests: number, modulePath: string | undefined): void {
  const variant = harnessVariants().find((v) => v.id === variantId);
  if (!variant) throw new Error(`unknown variant ${variantId}`);
  const bytes = readFileSync(modulePath ?? path.join(root, "build", `${variant.filter}.wasm`));
  const host = createHost(bytes, {
    ...(variant.configuration !== undefined ? { configuration: variant.configuration } : {}),
    clusters: { [COLLECTOR_CLUSTER]: { respond: { status: 200 } } },
  });
  const request = {
    method: BENCH_REQUEST.method,
    path: BENCH_REQUEST.path,
    authority: BENCH_REQUEST.authority,
    headers: BENCH_REQUEST.headers.map(([n, v]) => [n, v] as [string, string]),
  };
  for (let i = 0; i < requests; i++) host.http(request, { status: 200 });
  host.shutdown();
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: {
      child: { type: "boolean", default: false },
      requests: { type: "string", default: "50000" },
      module: { type: "string" },
      top: { type: "string", default: "25" },
    },
    allowPositionals: true,
  });
  const variant = positionals[0];
  if (!variant) {
    console.error("usage: tsx bench/profile.ts <noop|hello|abac10|abac50|abac500|recorder> [--requests N] [--module file.wasm] [--top N]");
    process.exit(2);
  }
  const requests = Number(values.requests);
  if (values.child) {
    runChild(variant, requests, values.module);
    return;
  }
  const directory = mkdtempSync(path.join(tmpdir(), "as-proxy-profile-"));
  try {
    const args = ["--cpu-prof", "--cpu-prof-dir", directory, "--import", "tsx", fileURLToPath(import.meta.url), variant, "--child", "--requests", String(requests)];
    if (values.module) args.push("--module", path.resolve(values.module));
    const run = spawnSync(process.execPath, args, { stdio: "inherit", cwd: root });
    if (run.status !== 0) process.exit(run.status ?? 1);
    const file = readdirSync(directory).find((f) => f.endsWith(".cpuprofile"));
    if (!file) throw new Error("node wrote no .cpuprofile");
    const profile = JSON.parse(readFileSync(path.join(directory, file), "utf8")) as Profile;
    console.log(`${variant}: ${requests} lifecycles, ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s profiled`);
    console.log(summarizeProfile(profile, Number(values.top)));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

main();
