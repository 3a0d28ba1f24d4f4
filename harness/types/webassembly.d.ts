/**
 * The WebAssembly JS API as Node 20 provides it. TypeScript ships these types only in `lib.dom`, which this
 * project does not load (Node-only code); this declares the part the harness and its tests use.
 */
export {};

declare global {
  namespace WebAssembly {
    type BytesSource = ArrayBufferView | ArrayBuffer;
    type ImportExportKind = "function" | "table" | "memory" | "global" | "tag";
    type TableKind = "anyfunc" | "externref";
    type ValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "anyfunc" | "externref";
    // biome-ignore lint: an imported function may take and return anything.
    type ExportFunction = (...args: any[]) => any;
    type ExportValue = ExportFunction | Global | Memory | Table;
    type Exports = Record<string, ExportValue>;
    type ImportValue = ExportValue | number | bigint;
    type ModuleImports = Record<string, ImportValue>;
    type Imports = Record<string, ModuleImports>;

    interface ModuleExportDescriptor {
      kind: ImportExportKind;
      name: string;
    }
    interface ModuleImportDescriptor {
      kind: ImportExportKind;
      module: string;
      name: string;
    }
    interface Module {}
    var Module: {
      prototype: Module;
      new (bytes: BytesSource): Module;
      customSections(moduleObject: Module, sectionName: string): ArrayBuffer[];
      exports(moduleObject: Module): ModuleExportDescriptor[];
      imports(moduleObject: Module): ModuleImportDescriptor[];
    };

    interface Instance {
      readonly exports: Exports;
    }
    var Instance: {
      prototype: Instance;
      new (module: Module, importObject?: Imports): Instance;
    };

    interface MemoryDescriptor {
      initial: number;
      maximum?: number;
      shared?: boolean;
    }
    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(delta: number): number;
    }
    var Memory: {
      prototype: Memory;
      new (descriptor: MemoryDescriptor): Memory;
    };

    interface TableDescriptor {
      element: TableKind;
      initial: number;
      maximum?: number;
    }
    interface Table {
      readonly length: number;
      get(index: number): unknown;
      grow(delta: number, value?: unknown): number;
      set(index: number, value?: unknown): void;
    }
    var Table: {
      prototype: Table;
      new (descriptor: TableDescriptor, value?: unknown): Table;
    };

    interface GlobalDescriptor {
      mutable?: boolean;
      value: ValueType;
    }
    interface Global {
      value: unknown;
      valueOf(): unknown;
    }
    var Global: {
      prototype: Global;
      new (descriptor: GlobalDescriptor, v?: unknown): Global;
    };

    interface CompileError extends Error {}
    var CompileError: { prototype: CompileError; new (message?: string): CompileError };
    interface LinkError extends Error {}
    var LinkError: { prototype: LinkError; new (message?: string): LinkError };
    interface RuntimeError extends Error {}
    var RuntimeError: { prototype: RuntimeError; new (message?: string): RuntimeError };

    function compile(bytes: BytesSource): Promise<Module>;
    function validate(bytes: BytesSource): boolean;
  }
}
