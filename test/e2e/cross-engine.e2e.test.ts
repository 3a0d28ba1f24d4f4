// Issue #4 item 7: every module in build/ compiles with wasmtime (the other engine Envoy can be built with)
// and loads in Envoy 1.40's V8. "Loads" means V8 compiled and linked it: a configuration the module rejects
// (e.g. a filter given no configuration) is fine, a missing import or an invalid module is not.
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ENVOY_LOAD_FAILURE, EnvoyRunner } from "../../harness/envoy/runner";
import { e2eTools, projectRoot } from "../../harness/envoy/tools";

const run = promisify(execFile);
const tools = e2eTools();
const buildDirectory = path.join(projectRoot, "build");
const modules = existsSync(buildDirectory) ? readdirSync(buildDirectory).filter((file) => file.endsWith(".wasm")).sort() : [];
const filters = readdirSync(path.join(projectRoot, "filters"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(projectRoot, "filters", entry.name, "index.ts")))
  .map((entry) => entry.name);


describe.runIf(tools.ok)("cross-engine check of build/*.wasm", () => {
  test("every filter has a release and a debug module in build/", () => {
    expect(filters.length).toBeGreaterThan(0);
    for (const filter of filters) {
      expect(modules).toContain(`${filter}.wasm`);
      expect(modules).toContain(`${filter}.debug.wasm`);
    }
  });

  describe("wasmtime compile", () => {
    let output: string;
    beforeAll(async () => (output = await mkdtemp(path.join(tmpdir(), "as-proxy-cwasm-"))));
    afterAll(async () => rm(output, { recursive: true, force: true }));

    test.each(modules)("%s", async (module) => {
      if (!tools.ok) return;
      const target = path.join(output, module.replace(/\.wasm$/, ".cwasm"));
      await run(tools.tools.wasmtime, ["compile", "-o", target, path.join(buildDirectory, module)]);
      expect(existsSync(target)).toBe(true);
    });
  });

  describe("loads in Envoy (V8)", () => {
    let runner: EnvoyRunner;
    beforeAll(async () => {
      if (tools.ok) runner = await EnvoyRunner.start({ envoyBinary: tools.tools.envoy, moduleDirectory: buildDirectory });
    });
    afterAll(async () => runner?.close());

    test.each(modules)("%s", async (module) => {
      const filter = module.replace(/\.wasm$/, "");
      // expectRejected: load the configuration, send no request; we only look at how the load went.
      const result = await runner.run({ name: `load ${module}`, plugins: [{ filter }], requests: [], expectRejected: true }, `build/${module}`);
      const failure = result.envoyLog.find((line) => ENVOY_LOAD_FAILURE.test(line));
      expect(failure, `Envoy could not load ${module}`).toBeUndefined();
      if (!result.load.rejected) expect(result.runtimeStats["wasm.envoy.wasm.runtime.v8.created"]).toBeGreaterThan(0);
    });
  });
});
