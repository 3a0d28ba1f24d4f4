/**
 * Release module sizes (issue #8 item 3): every `filters/<name>/index.ts` → `build/<name>.wasm`, with its
 * gzip size (what a registry layer or a ConfigMap carries) and its code and data section sizes.
 */
import { gzipSync } from "node:zlib";
import { SIZE_BUDGETS } from "../size";
import { moduleDigest, type Modules } from "./modules";
import { WasmReader } from "../../scripts/lib/wasm-module";

/**
 * Issue #8 targets: every filter's release module ≤ 64 KB, `hello` ≤ 20 KB (KB = 1,024 bytes). The per-filter
 * budgets are bench/size.ts's (the size report and test/build/size.test.ts enforce them); a filter without a
 * budget there gets the general 64 KB.
 */
export const SIZE_TARGET_BYTES = 64 * 1024;

export function sizeTarget(filter: string): number {
  return SIZE_BUDGETS[filter] ?? SIZE_TARGET_BYTES;
}

export interface ModuleSize {
  filter: string;
  bytes: number;
  /** First 12 hex digits of the module's sha256. */
  sha256: string;
  gzipBytes: number;
  codeBytes: number;
  dataBytes: number;
  targetBytes: number;
}

/** Section payload sizes of a Wasm binary by section id (10 = code, 11 = data). */
export function sectionSizes(bytes: Uint8Array): Map<number, number> {
  const sizes = new Map<number, number>();
  const reader = new WasmReader(bytes, "module");
  reader.offset = 8;
  while (reader.offset < bytes.length) {
    const id = reader.byte();
    const size = reader.u32();
    sizes.set(id, (sizes.get(id) ?? 0) + size);
    reader.offset += size;
  }
  return sizes;
}

export function moduleSizes(modules: Modules): ModuleSize[] {
  return [...modules].map(([filter, bytes]) => {
    const sections = sectionSizes(bytes);
    return {
      filter,
      bytes: bytes.length,
      sha256: moduleDigest(bytes),
      gzipBytes: gzipSync(bytes, { level: 9 }).length,
      codeBytes: sections.get(10) ?? 0,
      dataBytes: sections.get(11) ?? 0,
      targetBytes: sizeTarget(filter),
    };
  });
}
