// The harness runs the plugins built with this project's SDK (build/*.wasm from `npm run build`) exactly as it
// runs hand-written WAT: the `hello` filter end to end, and its configuration rejection.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { createHost, PluginConfigRejected } from "../../harness";

const built = (name: string): string => {
  const path = fileURLToPath(new URL(`../../build/${name}.wasm`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\``);
  return path;
};

describe("hello (filters/hello)", () => {
  test("sets its configured response header on upstream responses and local replies alike", () => {
    const host = createHost(built("hello"), { configuration: { header: "x-hello", value: "world" } });
    expect(host.http()).toHaveHeader("x-hello", "world");
    expect(host.http({}, { status: 500, headers: { "x-hello": "upstream" } })).toHaveHeader("x-hello", "world");
    expect(host.vm().failState).toBe("Ok");
  });

  test("a bad configuration is rejected at the canary, with the plugin's critical line in the details", () => {
    let error: unknown;
    try {
      createHost(built("hello"), { configuration: { header: "x hello" } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PluginConfigRejected);
    expect((error as PluginConfigRejected).failState).toBe("ConfigureFailed");
    expect((error as PluginConfigRejected).details.join("\n")).toMatch(/invalid configuration/);
  });

  test("memory does not grow over many requests (no per-request leak through the harness)", () => {
    const host = createHost(built("hello"), { configuration: { header: "x-hello", value: "world" } });
    for (let i = 0; i < 200; i++) host.http();
    const before = host.vm().memoryBytes;
    // The guest's GC may take one more page once; a leak of even 16 bytes per request would take three.
    for (let i = 0; i < 10_000; i++) host.http();
    expect(host.vm().memoryBytes - before).toBeLessThanOrEqual(64 * 1024);
    expect(host.vm().contextIds).toEqual([host.vm().rootContextId]);
  });
});
