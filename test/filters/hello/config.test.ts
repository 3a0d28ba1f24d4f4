/**
 * filters/hello configuration: valid, invalid and empty configurations. A rejected configuration makes Envoy
 * refuse the plugin (host-behaviour.md F.25), with one critical line naming the field.
 */

import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { createHost, PluginConfigRejected } from "../../../harness/index.js";

const wasm = fileURLToPath(new URL("../../../build/hello.wasm", import.meta.url));

function rejection(configuration: unknown): string[] {
  const host = createHost(wasm, { configuration, allowRejection: true });
  expect(host.rejection?.failState, "the configuration should have been rejected").toBe("ConfigureFailed");
  return host.logs({ level: "critical" }).map((record) => record.message);
}

const EXPECTED = '; expected {"header": "<header name>", "value": "<header value>"}';

describe("valid configurations", () => {
  test.each([
    [{ header: "x-hello", value: "world" }],
    [{ header: "X-Upper-Case", value: "" }],
    [{ header: "x-tab", value: "a\tb c" }],
    ['{"header":"x-raw","value":"json text"}'],
  ])("%j is accepted", (configuration) => {
    expect(() => createHost(wasm, { configuration })).not.toThrow();
  });
});

describe("invalid configurations fail closed with one critical line naming the field", () => {
  test.each([
    ["no configuration at all (Istio sends 0 bytes)", undefined, "header: "],
    ["an empty object", {}, "header: "],
    ["a missing value", { header: "x-hello" }, "value: "],
    ["a header that is not a string", { header: 5, value: "v" }, "header: "],
    ["a header name with a space", { header: "x hello", value: "v" }, 'header: "x hello" is not a valid header name'],
    ["an empty header name", { header: "", value: "v" }, "header: must not be empty"],
    ["a pseudo-header", { header: ":path", value: "v" }, 'header: ":path" is not a valid header name'],
    ["a value with CRLF (response splitting)", { header: "x-a", value: "v\r\nset-cookie: x=1" }, "value: "],
    ["a value with trailing whitespace", { header: "x-a", value: "v " }, "value: "],
    ["an unknown key (a typo must not pass)", { header: "x-a", value: "v", valeu: "w" }, "valeu: unknown key"],
    ["invalid JSON", '{"header": "x-a", "value": tru}', "invalid JSON"],
    ["a JSON array", '["x-a", "v"]', "expected a JSON object"],
  ])("%s", (_name, configuration, fragment) => {
    const lines = rejection(configuration);
    expect(lines).toHaveLength(1); // the canary rejects the configuration; no worker VM is started (F.9)
    expect(lines[0]).toMatch(/^hello: invalid configuration: /);
    expect(lines[0]).toContain(fragment);
    expect(lines[0]!.endsWith(EXPECTED)).toBe(true);
  });

  test("createHost without allowRejection throws PluginConfigRejected", () => {
    expect(() => createHost(wasm, { configuration: { header: "x-a" } })).toThrow(PluginConfigRejected);
  });
});
