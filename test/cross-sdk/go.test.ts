// Cross-SDK check: a plugin written with the proxy-wasm Go SDK and built by the standard Go toolchain
// (GOOS=wasip1 GOARCH=wasm, -buildmode=c-shared: the Go runtime, its WASI imports, `_initialize`) runs in the
// harness like any ABI 0.2.1 module — and, when Envoy is available, gives the same outcome there.
//
// The module is built into a temporary directory keyed by a hash of the sources and the Go version, so repeated
// runs reuse it. Without a `go` binary the test skips with one loud line, except with CI=true, where it fails.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHost, PluginConfigRejected } from "../../harness";
import { compareRuns, formatDifferences } from "../../harness/envoy/differential";
import type { EnvoyRunner } from "../../harness/envoy/runner";
import { runScenarioInHarness } from "../../harness/scenario/run-harness";
import type { Scenario } from "../../harness/scenario/types";

const SOURCE = fileURLToPath(new URL("./go", import.meta.url));

function findGo(): string | null {
  for (const candidate of ["go", "/usr/local/go/bin/go", path.join(process.env.HOME ?? "/root", "go", "bin", "go")]) {
    const probe = spawnSync(candidate, ["version"], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  return null;
}

const go = findGo();
if (go === null) {
  if (process.env.CI === "true") throw new Error("CI=true: the Go cross-SDK check must not skip, but no `go` binary was found");
  console.warn("\n!!! Go cross-SDK check SKIPPED: no `go` binary (install Go >= 1.24 to run test/cross-sdk/go.test.ts) !!!\n");
}

/** Builds the Go plugin once per source/toolchain hash; returns the directory holding `go-plugin.wasm`. */
function buildGoPlugin(goBinary: string): string {
  const version = spawnSync(goBinary, ["version"], { encoding: "utf8" }).stdout.trim();
  const hash = createHash("sha256");
  for (const file of ["main.go", "go.mod", "go.sum"]) hash.update(readFileSync(path.join(SOURCE, file)));
  hash.update(version);
  const directory = path.join(tmpdir(), "as-proxy-cross-sdk", hash.digest("hex").slice(0, 16));
  const output = path.join(directory, "go-plugin.wasm");
  if (existsSync(output)) return directory;
  mkdirSync(directory, { recursive: true });
  const partial = `${output}.${process.pid}.tmp`;
  const build = spawnSync(goBinary, ["build", "-buildmode=c-shared", "-o", partial, "."], {
    cwd: SOURCE,
    encoding: "utf8",
    env: { ...process.env, GOOS: "wasip1", GOARCH: "wasm", GOFLAGS: "-mod=readonly" },
    timeout: 600_000,
  });
  if (build.status !== 0) throw new Error(`go build failed (exit ${build.status ?? build.signal}):\n${build.stdout}${build.stderr}`);
  renameSync(partial, output);
  return directory;
}

describe.runIf(go !== null)("a Go SDK plugin (proxy-wasm-go-sdk, wasip1 c-shared)", () => {
  let directory: string;
  let wasm: string;
  beforeAll(() => {
    directory = buildGoPlugin(go!);
    wasm = path.join(directory, "go-plugin.wasm");
  });

  test("loads under strict mode (every import it uses is modelled) and starts in the canary, main thread and worker", () => {
    const host = createHost(wasm, { configuration: "x-go=hello", strict: true });
    expect(host.logLines()).toEqual([
      "wasm log: go plugin configured: x-go=hello",
      "wasm log: go plugin configured: x-go=hello",
      "wasm log: go plugin configured: x-go=hello",
    ]);
  });

  test("adds the request header, reads request.path, counts, and adds the response header", () => {
    const host = createHost(wasm, { configuration: "x-go=hello", strict: true });
    const res = host.http({ path: "/go?q=1" });
    expect(res.status).toBe(200);
    expect(res.upstream!.headers).toContainEqual(["x-go", "hello"]);
    expect(res.headers).toContainEqual(["x-go-sdk", "response"]);
    expect(res.logs.map((l) => `${l.level} ${l.message}`)).toEqual(["info go plugin saw path /go?q=1"]);
    host.http();
    expect(host.counter("go_requests_total")).toBe(2);
    expect(host.logLines().slice(-1)).toEqual(["wasm log default.go-plugin: go plugin saw path /"]);
  });

  test("a configuration it refuses is rejected like Envoy rejects it (on_configure false)", () => {
    expect(() => createHost(wasm, { configuration: "no-equals-sign" })).toThrow(PluginConfigRejected);
    const host = createHost(wasm, { configuration: "no-equals-sign", allowRejection: true });
    expect(host.logs({ level: "critical" }).map((l) => l.message)).toEqual(['expected <header>=<value>, got "no-equals-sign"']);
  });

  describe("the same scenario in the harness and in Envoy", () => {
    const scenario: Scenario = {
      name: "go-sdk-plugin",
      plugins: [{ filter: "go-plugin", configuration: "x-go=hello" }],
      requests: [
        { request: { path: "/go?q=1" }, expect: { upstream: { headers: { "x-go": "hello" } }, metrics: { go_requests_total: 1 } } },
        { request: { method: "POST", path: "/b", body: "payload" }, expect: { headers: { "x-go-sdk": "response" } } },
      ],
    };
    let runner: EnvoyRunner | undefined;
    let tools: Awaited<ReturnType<typeof import("../../harness/envoy/tools").e2eTools>> | undefined;

    beforeAll(async () => {
      const { e2eTools } = await import("../../harness/envoy/tools");
      tools = e2eTools();
      if (!tools.ok) return;
      const { EnvoyRunner } = await import("../../harness/envoy/runner");
      runner = await EnvoyRunner.start({ envoyBinary: tools.tools.envoy, moduleDirectory: directory });
    });
    afterAll(async () => runner?.close());

    test("identical outcomes, field by field", async (context) => {
      if (!runner) context.skip();
      const { normalizeOutcome } = await import("../../harness/scenario/normalize");
      const harness = runScenarioInHarness(scenario, { moduleDirectory: directory, where: "cross-sdk/go" });
      const raw = await runner!.run(scenario, "cross-sdk/go");
      const envoy = { load: raw.load, outcomes: raw.outcomes.map(normalizeOutcome) };
      const differences = compareRuns(harness, envoy);
      expect(differences, formatDifferences("cross-sdk/go", differences)).toEqual([]);
      expect(harness.outcomes[0]!.logs).toEqual([{ level: "info", message: "go plugin saw path /go?q=1" }]);
    });
  });
});
