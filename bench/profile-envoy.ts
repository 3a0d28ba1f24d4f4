/**
 * Where Envoy spends its CPU for one benchmark variant: the variant alone in a pinned Envoy, fortio at a fixed
 * rate, `perf record -g` on the Envoy process meanwhile, then the top shared objects and symbols by self time.
 *
 *   npx tsx bench/profile-envoy.ts abac50 [--rate 2000] [--seconds 10] [--top 40]
 *
 * V8's generated code (the Wasm module and its trampolines) has no symbols for perf: it shows as unknown
 * addresses in an anonymous mapping — that line is "time in JIT code", everything else is Envoy/V8 C++ and the
 * kernel. Variants: none, noop, abac10, abac50, abac500, rbac50, recorder, abac50_recorder. Needs `perf`.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { provisionTools } from "../harness/envoy/tools";
import { envoyVariants } from "./lib/envoy-config";
import { deploy, loadRequest } from "./lib/envoy-bench";
import { runFortio, runWrk } from "./lib/loadgen";
import { loadModules } from "./lib/modules";
import { cpuTimes } from "./lib/proc";
import { installFortio, requireWrk, which } from "./lib/tools";

const root = fileURLToPath(new URL("..", import.meta.url));

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { rate: { type: "string", default: "2000" }, seconds: { type: "string", default: "10" }, top: { type: "string", default: "40" } },
    allowPositionals: true,
  });
  const variant = envoyVariants().find((v) => v.id === positionals[0]);
  if (!variant) {
    console.error(`usage: tsx bench/profile-envoy.ts <${envoyVariants().map((v) => v.id).join("|")}> [--rate R] [--seconds S] [--top N]`);
    process.exit(2);
  }
  const perf = which("perf");
  if (!perf) throw new Error("perf is not installed (Debian: apt-get install -y linux-perf)");
  const tools = provisionTools();
  if (!tools.ok) throw new Error(`Envoy is not available: ${tools.skipReason}`);
  const wrk = requireWrk();
  const fortio = installFortio();
  const pin = os.cpus().length >= 2 && which("taskset") !== undefined;
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const directory = await mkdtemp(path.join(tmpdir(), "as-proxy-profile-envoy-"));
  const deployment = await deploy(
    [variant],
    { envoyBinary: tools.tools.envoy, modules: loadModules(root, path.join(root, "build")), envoyCpu: pin ? 1 : undefined },
    directory,
    "profile",
  );
  try {
    const request = loadRequest(deployment.ports.get(variant.id)!);
    const pid = deployment.envoy.pid!;
    await runWrk(wrk, request, { connections: 16, seconds: 2, cpu: pin ? 0 : undefined }); // warm-up
    const data = path.join(directory, "perf.data");
    const recorder = spawn(perf, ["record", "-F", "1999", "-g", "-p", String(pid), "-o", data, "--", "sleep", String(seconds)], { stdio: "ignore" });
    const recorded = new Promise<void>((resolve) => recorder.once("close", () => resolve()));
    const cpuBefore = cpuTimes(pid).self;
    const load = await runFortio(fortio, request, { rate, connections: 16, seconds, cpu: pin ? 0 : undefined });
    const cpuAfter = cpuTimes(pid).self;
    await recorded;
    console.log(
      `${variant.id}: ${load.requests} requests at ${load.rps.toFixed(0)}/s, ` +
        `Envoy ${(((cpuAfter - cpuBefore) / load.requests) * 1e6).toFixed(1)} µs CPU per request (approx.; perf adds overhead)`,
    );
    const report = (sort: string) =>
      spawnSync(perf, ["report", "-i", data, "--stdio", "--no-children", "--sort", sort, "--percent-limit", "0.5"], { encoding: "utf8" }).stdout
        .split("\n")
        .filter((line) => /^\s+\d+\.\d+%/.test(line))
        .slice(0, Number(values.top))
        .join("\n");
    console.log("self time by shared object:");
    console.log(report("dso"));
    console.log("self time by symbol:");
    console.log(report("dso,symbol"));
  } finally {
    await deployment.envoy.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`profile-envoy: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
