/**
 * Loads one `build/loader/<name>.wasm` test module (compiled from `test/assembly/util/<name>.loader.ts` by
 * `npm run build`) through @assemblyscript/loader and marshals arguments and results, so the tests read
 * like plain function calls: `json.string("resultJson", 0)`.
 *
 * Memory rules of the incremental runtime: every object passed in is pinned from its creation until the call
 * returns (creating the next argument may run the collector); a returned object is read before anything else
 * is allocated.
 */
import { instantiateSync, type ASUtil } from "@assemblyscript/loader";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** An argument: strings and byte arrays are copied into the module; `null` is the null reference. */
export type Arg = string | Uint8Array | number | boolean | bigint | null;

type ExportFunction = (...args: (number | bigint)[]) => number | bigint;

export class HelperModule {
  readonly exports: ASUtil & Record<string, unknown>;

  constructor(readonly name: string) {
    const path = fileURLToPath(new URL(`../../../build/loader/${name}.wasm`, import.meta.url));
    if (!existsSync(path)) {
      throw new Error(`${path} is missing: run \`npm run build\` (it compiles test/**/${name}.loader.ts)`);
    }
    // The loader supplies env.abort/trace/seed; an abort throws an Error naming the AS source position.
    this.exports = instantiateSync<Record<string, unknown>>(readFileSync(path), {}).exports as ASUtil &
      Record<string, unknown>;
    // Built with --exportStart _initialize (asconfig.json): top-level statements and globals run only when
    // it is called; the loader does not call it.
    const initialize = this.exports._initialize;
    if (typeof initialize === "function") (initialize as () => void)();
  }

  private function(name: string): ExportFunction {
    const fn = this.exports[name];
    if (typeof fn !== "function") throw new Error(`${this.name}.wasm has no export ${name}`);
    return fn as ExportFunction;
  }

  /** Calls export `name` and returns its raw result (a number, a bigint for i64, or a pointer). */
  call(name: string, ...args: Arg[]): number | bigint {
    const fn = this.function(name);
    const pinned: number[] = [];
    try {
      const raw = args.map((arg) => {
        if (typeof arg === "string") return this.pin(this.exports.__newString(arg), pinned);
        if (arg instanceof Uint8Array) {
          const copy = arg.buffer.slice(arg.byteOffset, arg.byteOffset + arg.byteLength) as ArrayBuffer;
          return this.pin(this.exports.__newArrayBuffer(copy), pinned);
        }
        if (arg === null) return 0;
        if (typeof arg === "boolean") return arg ? 1 : 0;
        return arg;
      });
      return fn(...raw);
    } finally {
      for (const pointer of pinned) this.exports.__unpin(pointer);
    }
  }

  private pin(pointer: number, pinned: number[]): number {
    this.exports.__pin(pointer);
    pinned.push(pointer);
    return pointer;
  }

  /** Calls an export returning `string | null`. */
  string(name: string, ...args: Arg[]): string | null {
    const pointer = Number(this.call(name, ...args));
    return pointer === 0 ? null : this.exports.__getString(pointer);
  }

  /** Calls an export returning `ArrayBuffer | null`. */
  bytes(name: string, ...args: Arg[]): Uint8Array | null {
    const pointer = Number(this.call(name, ...args));
    return pointer === 0 ? null : new Uint8Array(this.exports.__getArrayBuffer(pointer));
  }

  /** Calls an export returning a number (i32 or f64). */
  number(name: string, ...args: Arg[]): number {
    return Number(this.call(name, ...args));
  }

  /** Calls an export returning `bool`. */
  bool(name: string, ...args: Arg[]): boolean {
    return this.call(name, ...args) !== 0;
  }
}
