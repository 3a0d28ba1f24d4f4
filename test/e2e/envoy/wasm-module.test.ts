// Per-scenario module copies: a custom section changes the bytes (hence Envoy's VM key) and nothing else.
import { describe, expect, test } from "vitest";
import { SCENARIO_SECTION, appendCustomSection } from "../../../harness/envoy/wasm-module";

// The part of the WebAssembly JS API used here (tsconfig's ES2023 lib does not declare its values).
interface WasmModule {
  readonly brand?: "WebAssembly.Module";
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: { new (bytes: Uint8Array): WasmModule; customSections(module: WasmModule, name: string): ArrayBuffer[] };
  instantiate(module: WasmModule): Promise<{ exports: Record<string, unknown> }>;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

// (module (func (export "f") (result i32) i32.const 7))
const MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b,
]);

describe("appendCustomSection", () => {
  test("yields a valid module carrying the payload, with unchanged behaviour", async () => {
    const copy = appendCustomSection(MODULE, SCENARIO_SECTION, "42");
    expect(WebAssembly.validate(copy)).toBe(true);
    const module = new WebAssembly.Module(copy);
    const sections = WebAssembly.Module.customSections(module, SCENARIO_SECTION);
    expect(sections.map((section: ArrayBuffer) => Buffer.from(section).toString())).toEqual(["42"]);
    const instance = await WebAssembly.instantiate(module);
    expect((instance.exports.f as () => number)()).toBe(7);
  });

  test("encodes section sizes above 127 bytes (multi-byte LEB128)", () => {
    const payload = "x".repeat(300);
    const module = new WebAssembly.Module(appendCustomSection(MODULE, SCENARIO_SECTION, payload));
    expect(Buffer.from(WebAssembly.Module.customSections(module, SCENARIO_SECTION)[0]!).toString()).toBe(payload);
  });

  test("refuses bytes that are not a Wasm module", () => {
    expect(() => appendCustomSection(Buffer.from("not wasm"), "n", "p")).toThrow("not a WebAssembly binary");
  });
});
