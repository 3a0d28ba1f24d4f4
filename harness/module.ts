/**
 * Reading a `.wasm` the way cpp-host does before it instantiates anything: the ABI-version export
 * (`bytecode_util.cc getAbiVersion`), the import signatures checked against the host's (`v8.cc V8::link`), the
 * exported callbacks' signatures (`v8.cc getModuleFunctionImpl`) and the function names for backtraces
 * (`bytecode_util.cc getFunctionNameIndex`). `WebAssembly.Module.imports()` reports no signatures, so the import,
 * type, function and export sections are parsed here (one pass, no dependency).
 */
import { WasmLoadError } from "./errors";

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export type ImportKind = "function" | "table" | "memory" | "global" | "tag";

export interface ModuleImport {
  module: string;
  name: string;
  kind: ImportKind;
  /** Function imports only. */
  type?: FuncType;
  /** Memory imports only: limits in pages. */
  memory?: { initial: number; maximum?: number; shared: boolean };
  /** Table imports only. */
  table?: { element: "anyfunc" | "externref"; initial: number; maximum?: number };
}

export interface ModuleExport {
  name: string;
  kind: ImportKind;
  /** Function exports only. */
  type?: FuncType;
}

/** The proxy-wasm ABI versions Envoy knows (cpp-host `AbiVersion`). */
export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";

export interface ParsedModule {
  /** The first `proxy_abi_version_*` function export, in export order (cpp-host returns on the first match). */
  abiVersion: AbiVersion | null;
  imports: ModuleImport[];
  exports: Map<string, ModuleExport>;
  /** Function index → name, from the `name` custom section (function-names subsection). */
  functionNames: Map<number, string>;
  byteLength: number;
}

const VAL_TYPES: Record<number, ValType> = {
  0x7f: "i32",
  0x7e: "i64",
  0x7d: "f32",
  0x7c: "f64",
  0x7b: "v128",
  0x70: "funcref",
  0x6f: "externref",
};
const KINDS: ImportKind[] = ["function", "table", "memory", "global", "tag"];
const ABI_EXPORTS: Record<string, AbiVersion> = {
  proxy_abi_version_0_1_0: "0.1.0",
  proxy_abi_version_0_2_0: "0.2.0",
  proxy_abi_version_0_2_1: "0.2.1",
};

const CORRUPTED = "Failed to parse corrupted Wasm module";
const utf8 = new TextDecoder("utf-8");

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  byte(): number {
    if (this.pos >= this.end) throw new WasmLoadError(CORRUPTED, "UnableToInitializeCode");
    return this.bytes[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 28) {
        const last = this.byte();
        if (last > 0x0f) throw new WasmLoadError(CORRUPTED, "UnableToInitializeCode");
        return (result | (last << 28)) >>> 0;
      }
    }
  }
  skipVarint(): void {
    while (this.byte() & 0x80) {
      /* continue */
    }
  }
  name(): string {
    const len = this.u32();
    if (this.pos + len > this.end) throw new WasmLoadError(CORRUPTED, "UnableToInitializeCode");
    const s = utf8.decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  valType(): ValType {
    const b = this.byte();
    const t = VAL_TYPES[b];
    if (!t) throw new WasmLoadError(CORRUPTED, "UnableToInitializeCode");
    return t;
  }
  limits(): { initial: number; maximum?: number; shared: boolean } {
    const flags = this.byte();
    const initial = this.u32();
    const maximum = flags & 1 ? this.u32() : undefined;
    return maximum === undefined ? { initial, shared: (flags & 2) !== 0 } : { initial, maximum, shared: (flags & 2) !== 0 };
  }
}

/**
 * Parses the sections cpp-host looks at. Throws {@link WasmLoadError} with Envoy's wording for a corrupted module
 * (`Failed to parse corrupted Wasm module`) or a missing ABI export (`Missing or unknown Proxy-Wasm ABI version`)
 * only when `requireAbi` is set; otherwise `abiVersion` is null.
 */
export function parseModule(bytes: Uint8Array): ParsedModule {
  // cpp-host checkWasmHeader: fewer than 8 bytes passes the magic check, then fails to compile.
  if (bytes.length >= 8 && (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d)) {
    throw new WasmLoadError(CORRUPTED, "UnableToInitializeCode");
  }
  const types: FuncType[] = [];
  const imports: ModuleImport[] = [];
  const funcTypeIndices: number[] = [];
  const exportList: Array<{ name: string; kind: ImportKind; index: number }> = [];
  const functionNames = new Map<number, string>();
  let importedFunctions = 0;

  const top = new Reader(bytes, 8, bytes.length);
  while (top.pos < top.end) {
    const id = top.byte();
    const len = top.u32();
    const start = top.pos;
    const end = start + len;
    if (end > bytes.length) throw new WasmLoadError(CORRUPTED, "UnableToInitializeCode");
    const r = new Reader(bytes, start, end);
    switch (id) {
      case 0: {
        const name = r.name();
        if (name === "name") readNameSection(r, functionNames);
        break;
      }
      case 1: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const form = r.byte();
          if (form !== 0x60) throw new WasmLoadError(CORRUPTED, "UnableToInitializeCode");
          const params: ValType[] = [];
          const results: ValType[] = [];
          for (let p = r.u32(); p > 0; p--) params.push(r.valType());
          for (let q = r.u32(); q > 0; q--) results.push(r.valType());
          types.push({ params, results });
        }
        break;
      }
      case 2: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const module = r.name();
          const name = r.name();
          const kindByte = r.byte();
          const kind = KINDS[kindByte];
          if (!kind) throw new WasmLoadError(CORRUPTED, "UnableToInitializeCode");
          const imp: ModuleImport = { module, name, kind };
          if (kind === "function") {
            const t = types[r.u32()];
            if (!t) throw new WasmLoadError(CORRUPTED, "UnableToInitializeCode");
            imp.type = t;
            importedFunctions++;
          } else if (kind === "table") {
            const el = r.byte();
            const lim = r.limits();
            imp.table = {
              element: el === 0x6f ? "externref" : "anyfunc",
              initial: lim.initial,
              ...(lim.maximum !== undefined ? { maximum: lim.maximum } : {}),
            };
          } else if (kind === "memory") {
            imp.memory = r.limits();
          } else if (kind === "global") {
            r.valType();
            r.byte();
          } else {
            r.byte();
            r.u32();
          }
          imports.push(imp);
        }
        break;
      }
      case 3: {
        const n = r.u32();
        for (let i = 0; i < n; i++) funcTypeIndices.push(r.u32());
        break;
      }
      case 7: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const name = r.name();
          const kind = KINDS[r.byte()];
          if (!kind) throw new WasmLoadError(CORRUPTED, "UnableToInitializeCode");
          exportList.push({ name, kind, index: r.u32() });
        }
        break;
      }
      default:
        break;
    }
    top.pos = end;
  }

  let abiVersion: AbiVersion | null = null;
  const exports = new Map<string, ModuleExport>();
  for (const e of exportList) {
    if (abiVersion === null && e.kind === "function" && ABI_EXPORTS[e.name]) abiVersion = ABI_EXPORTS[e.name]!;
    const exp: ModuleExport = { name: e.name, kind: e.kind };
    if (e.kind === "function") {
      let type: FuncType | undefined;
      if (e.index < importedFunctions) {
        let seen = 0;
        for (const imp of imports) {
          if (imp.kind !== "function") continue;
          if (seen++ === e.index) {
            type = imp.type;
            break;
          }
        }
      } else {
        type = types[funcTypeIndices[e.index - importedFunctions]!];
      }
      if (type) exp.type = type;
    }
    exports.set(e.name, exp);
  }
  return { abiVersion, imports, exports, functionNames, byteLength: bytes.length };
}

function readNameSection(r: Reader, out: Map<number, string>): void {
  while (r.pos < r.end) {
    const sub = r.byte();
    const size = r.u32();
    const subEnd = r.pos + size;
    if (sub === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const index = r.u32();
        out.set(index, r.name());
      }
    }
    r.pos = subEnd;
  }
}

/** cpp-host `printValTypes`: space-separated kinds, or `void`. */
export function printValTypes(types: readonly ValType[]): string {
  return types.length === 0 ? "void" : types.join(" ");
}

export function sameSignature(a: FuncType, b: FuncType): boolean {
  if (a.params.length !== b.params.length || a.results.length !== b.results.length) return false;
  for (let i = 0; i < a.params.length; i++) if (a.params[i] !== b.params[i]) return false;
  for (let i = 0; i < a.results.length; i++) if (a.results[i] !== b.results[i]) return false;
  return true;
}

/** Shorthand for signatures: `sig("iii", "i")` = `(i32 i32 i32) -> i32`; `I` = i64. */
export function sig(params: string, results = ""): FuncType {
  const map = (c: string): ValType => (c === "I" ? "i64" : "i32");
  return { params: [...params].map(map), results: [...results].map(map) };
}
