/**
 * The allocator exports (assembly/abi/memory.ts), called directly as the host calls them: `malloc` and
 * `proxy_on_memory_allocate` return distinct, writable, 16-byte-aligned blocks, and a request too large for the
 * VM gets 0 (the hostcall then fails with INVALID_MEMORY_ACCESS) instead of a trap. Sources: host-behaviour.md B
 * (malloc first, then proxy_on_memory_allocate; 0 = failure), F.39; cpp-host wasm.h allocMemory.
 */

import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

const bytes = readFileSync(new URL("../../../build/noop.wasm", import.meta.url));

function instantiate() {
  const module = new WebAssembly.Module(bytes);
  // Every import answers 0 (OK / SUCCESS); the allocator needs none of them.
  const imports: Record<string, Record<string, () => number>> = {};
  for (const entry of WebAssembly.Module.imports(module)) (imports[entry.module] ??= {})[entry.name] = () => 0;
  const instance = new WebAssembly.Instance(module, imports);
  const exports = instance.exports as {
    memory: WebAssembly.Memory;
    _initialize(): void;
    malloc(size: number): number;
    proxy_on_memory_allocate(size: number): number;
  };
  exports._initialize();
  return exports;
}

test("malloc and proxy_on_memory_allocate hand out distinct, aligned, writable blocks", () => {
  const wasm = instantiate();
  const blocks = [wasm.malloc(1), wasm.malloc(100), wasm.proxy_on_memory_allocate(4096), wasm.proxy_on_memory_allocate(70_000)];
  expect(blocks.every((ptr) => ptr > 0 && ptr % 16 === 0)).toBe(true);
  expect(new Set(blocks).size).toBe(4);
  const view = new Uint8Array(wasm.memory.buffer);
  view.fill(0xab, blocks[3]!, blocks[3]! + 70_000); // the block is inside memory, which grew as needed
  expect(view[blocks[3]! + 69_999]).toBe(0xab);
});

test("a request beyond what the VM can hold gets 0, not a trap", () => {
  const wasm = instantiate();
  expect(wasm.malloc(0x7fffffff)).toBe(0);
  expect(wasm.proxy_on_memory_allocate(1 << 30)).toBe(0);
  expect(wasm.malloc(16)).toBeGreaterThan(0);
});
