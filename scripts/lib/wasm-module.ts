/**
 * A small reader of the WebAssembly binary format: just enough to check what a module imports and exports
 * with full signatures, whether it has a start section and a name section. (`WebAssembly.Module.imports`
 * gives no signatures in Node 20, and cannot see a start section.)
 */

import type { FunctionSignature, ValueType } from "./envoy-abi.js";

export interface ModuleImport {
  module: string;
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
  /** Present for function imports. */
  signature?: FunctionSignature;
}

export interface ModuleExport {
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
  /** Present for function exports. */
  signature?: FunctionSignature;
}

export interface ModuleInfo {
  imports: ModuleImport[];
  exports: ModuleExport[];
  hasStartSection: boolean;
  customSections: string[];
}

const KINDS = ["function", "table", "memory", "global", "tag"] as const;
const VALUE_TYPES: Record<number, ValueType> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64" };

/** A cursor over a module's bytes: LEB128 integers, names, value types; errors name `label` and the offset. */
export class WasmReader {
  offset = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly label: string,
  ) {}

  private fail(message: string): never {
    throw new Error(`${this.label}: ${message} at byte ${this.offset}`);
  }

  byte(): number {
    if (this.offset >= this.bytes.length) this.fail("unexpected end of module");
    return this.bytes[this.offset++]!;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 28) this.fail("LEB128 u32 too long");
    }
  }

  /** A signed LEB128 i32 (`i32.const` operands). */
  i32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return shift < 32 && b & 0x40 ? result | (~0 << shift) : result;
  }

  skipLeb(): void {
    while (this.byte() & 0x80);
  }

  name(): string {
    const length = this.u32();
    const end = this.offset + length;
    if (end > this.bytes.length) this.fail("name runs past the end");
    const text = new TextDecoder().decode(this.bytes.subarray(this.offset, end));
    this.offset = end;
    return text;
  }

  valueType(): ValueType {
    const code = this.byte();
    const type = VALUE_TYPES[code];
    if (type === undefined) this.fail(`unsupported value type 0x${code.toString(16)}`);
    return type;
  }

  limits(): void {
    const flags = this.u32();
    this.u32();
    if (flags & 1) this.u32();
  }
}

/** Parses the sections of a module; throws with `label` in the message when the binary is malformed. */
export function readModule(bytes: Uint8Array, label = "module"): ModuleInfo {
  const reader = new WasmReader(bytes, label);
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  for (const expected of magic) {
    if (reader.byte() !== expected) throw new Error(`${label}: not a WebAssembly 1.0 binary`);
  }
  const types: FunctionSignature[] = [];
  const functionTypes: number[] = []; // imported functions first, then defined ones
  const imports: ModuleImport[] = [];
  const rawExports: Array<{ name: string; kind: ModuleExport["kind"]; index: number }> = [];
  const customSections: string[] = [];
  let hasStartSection = false;

  while (reader.offset < bytes.length) {
    const id = reader.byte();
    const size = reader.u32();
    const end = reader.offset + size;
    if (end > bytes.length) throw new Error(`${label}: section ${id} runs past the end`);
    switch (id) {
      case 0:
        customSections.push(reader.name());
        break;
      case 1: {
        for (let count = reader.u32(); count > 0; count--) {
          if (reader.byte() !== 0x60) throw new Error(`${label}: unsupported type form`);
          const params = Array.from({ length: reader.u32() }, () => reader.valueType());
          const results = Array.from({ length: reader.u32() }, () => reader.valueType());
          types.push({ params, results });
        }
        break;
      }
      case 2: {
        for (let count = reader.u32(); count > 0; count--) {
          const module = reader.name();
          const name = reader.name();
          const kind = KINDS[reader.byte()];
          if (kind === undefined) throw new Error(`${label}: unknown import kind`);
          if (kind === "function") {
            const typeIndex = reader.u32();
            functionTypes.push(typeIndex);
            imports.push({ module, name, kind, signature: types[typeIndex] });
          } else {
            if (kind === "table") {
              reader.byte();
              reader.limits();
            } else if (kind === "memory") reader.limits();
            else if (kind === "global") {
              reader.byte();
              reader.byte();
            } else reader.skipLeb();
            imports.push({ module, name, kind });
          }
        }
        break;
      }
      case 3:
        for (let count = reader.u32(); count > 0; count--) functionTypes.push(reader.u32());
        break;
      case 7:
        for (let count = reader.u32(); count > 0; count--) {
          const name = reader.name();
          const kind = KINDS[reader.byte()];
          if (kind === undefined) throw new Error(`${label}: unknown export kind`);
          rawExports.push({ name, kind, index: reader.u32() });
        }
        break;
      case 8:
        hasStartSection = true;
        break;
      default:
        break;
    }
    reader.offset = end;
  }

  const exports: ModuleExport[] = rawExports.map(({ name, kind, index }) => {
    if (kind !== "function") return { name, kind };
    const typeIndex = functionTypes[index];
    return { name, kind, signature: typeIndex === undefined ? undefined : types[typeIndex] };
  });
  return { imports, exports, hasStartSection, customSections };
}

/** `(i32, i64) -> i32` */
export function formatSignature(signature: FunctionSignature | undefined): string {
  if (signature === undefined) return "(unknown)";
  return `(${signature.params.join(", ")}) -> ${signature.results.length === 0 ? "()" : signature.results.join(", ")}`;
}
