/**
 * Module size report: where the bytes of each release module go, against its budget (docs/SIZE.md).
 *
 *   npx tsx bench/size.ts [--top N] [--json] [name … | file.wasm …]          (after `npm run build`)
 *
 * For each filter module (default: every `filters/<name>/`; or the names given) it prints:
 * - the size of `build/<name>.wasm` against its budget ({@link SIZE_BUDGETS}) and per section;
 * - code bytes per source area (runtime, AssemblyScript standard library, SDK core, SDK helpers, the filter)
 *   and the N largest functions. Release modules carry no names, so the tool compiles the same entry with the
 *   release target plus `--debug` (identical optimised code, plus a name section) and checks that its code
 *   section has exactly the release module's size before attributing anything;
 * - static data by kind: strings (with the largest ones), buffers, other objects, raw `memory.data`, and the
 *   bytes spent on data-segment headers (each static object costs about 14 bytes of headers on top of its
 *   payload, and strings are UTF-16: two bytes per ASCII character).
 *
 * A `.wasm` path instead of a name analyses that file as it is (names only if it has a name section).
 * `--json` prints the whole report as JSON. Sizes are bytes, deterministic for a given compiler: this script
 * measures no time. test/build/size.test.ts enforces the budgets.
 */

import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WasmReader } from "../scripts/lib/wasm-module";

/** Budgets of the release modules, in bytes (issues #2, #5, #6): acceptance criteria, enforced by test/build/size.test.ts. */
export const SIZE_BUDGETS: Readonly<Record<string, number>> = {
  hello: 20 * 1024,
  abac: 64 * 1024,
  "l7-metadata": 64 * 1024,
};

const SECTION_NAMES: Record<number, string> = {
  0: "custom",
  1: "type",
  2: "import",
  3: "function",
  4: "table",
  5: "memory",
  6: "global",
  7: "export",
  8: "start",
  9: "element",
  10: "code",
  11: "data",
  12: "datacount",
  13: "tag",
};

export interface FunctionSize {
  name: string;
  /** Body bytes, including its size prefix. */
  bytes: number;
  area: string;
}

export interface StaticString {
  text: string;
  /** Bytes of the object in linear memory (header + UTF-16 payload, aligned). */
  bytes: number;
}

export interface DataBreakdown {
  strings: { count: number; bytes: number; characters: number };
  buffers: { count: number; bytes: number };
  otherObjects: { count: number; bytes: number };
  /** Bytes of segments that belong to no static object (`memory.data`, the RTTI table). */
  raw: number;
  /** Segment count and the bytes of their headers (flags, offset expression, length). */
  segments: { count: number; headerBytes: number };
  largestStrings: StaticString[];
}

export interface ModuleReport {
  name: string;
  file: string;
  bytes: number;
  budget: number | null;
  sections: Record<string, number>;
  /** Null when no names were available. */
  functions: FunctionSize[] | null;
  areas: Record<string, number> | null;
  data: DataBreakdown;
  /** Set when the named build's code section differs from the release module's (the attribution is then approximate). */
  attributionNote: string | null;
}

// ---------------------------------------------------------------------------------------------------------
// Binary reading

interface ParsedModule {
  sections: Array<{ id: number; name: string; size: number }>;
  importedFunctions: number;
  /** Encoded size of each defined function body (size prefix included). */
  bodySizes: number[];
  /** Function index → name, from the name section. */
  functionNames: Map<number, string>;
  segments: Array<{ offset: number | null; bytes: Uint8Array; encodedSize: number }>;
  codeSectionSize: number;
}

function parseModule(bytes: Uint8Array, label: string): ParsedModule {
  const r = new WasmReader(bytes, label);
  r.offset = 8;
  const out: ParsedModule = {
    sections: [],
    importedFunctions: 0,
    bodySizes: [],
    functionNames: new Map(),
    segments: [],
    codeSectionSize: 0,
  };
  while (r.offset < bytes.length) {
    const start = r.offset;
    const id = r.byte();
    const size = r.u32();
    const end = r.offset + size;
    const total = end - start;
    if (id === 0) {
      const name = r.name();
      out.sections.push({ id, name: `custom "${name}"`, size: total });
      if (name === "name") readNames(r, end, out.functionNames);
    } else {
      out.sections.push({ id, name: SECTION_NAMES[id] ?? `section ${id}`, size: total });
    }
    if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) {
          r.u32();
          out.importedFunctions++;
        } else if (kind === 1) {
          r.byte();
          const flags = r.u32();
          r.u32();
          if (flags & 1) r.u32();
        } else if (kind === 2) {
          const flags = r.u32();
          r.u32();
          if (flags & 1) r.u32();
        } else if (kind === 3) {
          r.byte();
          r.byte();
        } else {
          r.u32();
        }
      }
    } else if (id === 10) {
      out.codeSectionSize = total;
      for (let n = r.u32(); n > 0; n--) {
        const bodyStart = r.offset;
        const bodySize = r.u32();
        r.offset += bodySize;
        out.bodySizes.push(r.offset - bodyStart);
      }
    } else if (id === 11) {
      for (let n = r.u32(); n > 0; n--) {
        const segmentStart = r.offset;
        const flags = r.u32();
        let offset: number | null = null;
        if (flags === 2) r.u32(); // memory index
        if (flags === 0 || flags === 2) {
          const opcode = r.byte();
          offset = opcode === 0x41 ? r.i32() : null; // i32.const; anything else is not AssemblyScript's
          if (opcode !== 0x41) while (r.byte() !== 0x0b);
          else r.byte(); // end
        }
        const length = r.u32();
        const data = bytes.subarray(r.offset, r.offset + length);
        r.offset += length;
        out.segments.push({ offset, bytes: data, encodedSize: r.offset - segmentStart });
      }
    }
    r.offset = end;
  }
  return out;
}

function readNames(r: WasmReader, end: number, names: Map<number, string>): void {
  while (r.offset < end) {
    const subsection = r.byte();
    const size = r.u32();
    const subsectionEnd = r.offset + size;
    if (subsection === 1) {
      for (let n = r.u32(); n > 0; n--) {
        const index = r.u32();
        names.set(index, r.name());
      }
    }
    r.offset = subsectionEnd;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Attribution

/** The source area of a function, from its AssemblyScript internal name (`assembly/util/json/Parser#parseValue`). */
export function areaOf(functionName: string): string {
  const name = functionName.replace(/^start:/, "");
  if (name.startsWith("~lib/rt/")) return "runtime (GC, allocator)";
  if (name.startsWith("~lib/")) return "AS standard library";
  if (name.startsWith("assembly/util/")) return "SDK helpers (assembly/util)";
  if (name.startsWith("assembly/")) return "SDK core";
  const filter = /^filters\/([^/]+)\//.exec(name);
  if (filter) return `filter ${filter[1]}`;
  if (name.startsWith("test/")) return "test probe";
  if (name === "~start") return "module start (top-level code)";
  return "other (binaryen-merged, unnamed)";
}

// AssemblyScript runtime ids of the built-in classes (std/assembly/shared/runtime.ts).
const RT_ARRAYBUFFER = 1;
const RT_STRING = 2;

/** Size AssemblyScript's TLSF records for a block whose object payload is `rtSize` bytes. */
function blockInfo(rtSize: number): number {
  return ((rtSize + 16 + 4 + 15) & ~15) - 4;
}

function analyseData(module: ParsedModule, topStrings: number): DataBreakdown {
  const active = module.segments.filter((s) => s.offset !== null) as Array<{ offset: number; bytes: Uint8Array; encodedSize: number }>;
  const payload = module.segments.reduce((sum, s) => sum + s.bytes.length, 0);
  const dataSection = module.sections.find((s) => s.id === 11)?.size ?? 0;
  const breakdown: DataBreakdown = {
    strings: { count: 0, bytes: 0, characters: 0 },
    buffers: { count: 0, bytes: 0 },
    otherObjects: { count: 0, bytes: 0 },
    raw: 0,
    segments: { count: module.segments.length, headerBytes: dataSection - payload },
    largestStrings: [],
  };
  if (active.length === 0) return breakdown;
  const low = Math.min(...active.map((s) => s.offset));
  const high = Math.max(...active.map((s) => s.offset + s.bytes.length));
  // The static memory image; `covered` marks bytes some segment writes (the rest is zero-filled).
  const image = new Uint8Array(high - low + 32);
  const covered = new Uint8Array(high - low + 32);
  for (const s of active) {
    image.set(s.bytes, s.offset - low);
    covered.fill(1, s.offset - low, s.offset - low + s.bytes.length);
  }
  const view = new DataView(image.buffer);
  const u32 = (at: number) => (at + 4 <= image.length ? view.getUint32(at, true) : 0);
  const countCovered = (from: number, to: number) => {
    let n = 0;
    for (let i = Math.max(0, from); i < Math.min(to, covered.length); i++) n += covered[i]!;
    return n;
  };
  const strings: StaticString[] = [];
  // Walk the image: a static object is a 20-byte header (mmInfo, gcInfo, gcInfo2, rtId, rtSize) before a
  // 16-byte-aligned payload, and mmInfo agrees with rtSize. Whatever is not such an object is raw data.
  let at = 0;
  while (at < high - low) {
    const payloadAt = at + 20;
    const rtSize = u32(at + 16);
    const looksLikeObject = (low + payloadAt) % 16 === 0 && u32(at) === blockInfo(rtSize) && rtSize < 1 << 24;
    if (!looksLikeObject) {
      breakdown.raw += covered[at] ?? 0;
      at++;
      continue;
    }
    const rtId = u32(at + 12);
    const span = 4 + u32(at);
    const bytes = countCovered(at, at + span); // what the segments actually store of it (zero runs are dropped)
    if (rtId === RT_STRING) {
      const text = Buffer.from(image.subarray(payloadAt, payloadAt + rtSize)).toString("utf16le");
      breakdown.strings.count++;
      breakdown.strings.bytes += bytes;
      breakdown.strings.characters += text.length;
      strings.push({ text, bytes });
    } else if (rtId === RT_ARRAYBUFFER) {
      breakdown.buffers.count++;
      breakdown.buffers.bytes += bytes;
    } else {
      breakdown.otherObjects.count++;
      breakdown.otherObjects.bytes += bytes;
    }
    at += span;
  }
  breakdown.largestStrings = strings.sort((a, b) => b.bytes - a.bytes).slice(0, topStrings);
  return breakdown;
}

function attribute(named: ParsedModule): FunctionSize[] {
  return named.bodySizes
    .map((bytes, i) => {
      const name = named.functionNames.get(named.importedFunctions + i) ?? `<function ${named.importedFunctions + i}>`;
      return { name, bytes, area: areaOf(name) };
    })
    .sort((a, b) => b.bytes - a.bytes);
}

function sumByArea(functions: FunctionSize[]): Record<string, number> {
  const areas: Record<string, number> = {};
  for (const f of functions) areas[f.area] = (areas[f.area] ?? 0) + f.bytes;
  return Object.fromEntries(Object.entries(areas).sort((a, b) => b[1] - a[1]));
}

function sectionTable(module: ParsedModule): Record<string, number> {
  const sections: Record<string, number> = {};
  for (const s of module.sections) sections[s.name] = (sections[s.name] ?? 0) + s.size;
  return sections;
}

/**
 * Analyses `bytes` (a release module). `named`, when given, is the same module built with a name section; its
 * function names are used only if its code section has exactly the release module's size.
 */
export function analyseModule(name: string, file: string, bytes: Uint8Array, named: Uint8Array | null, topStrings = 10): ModuleReport {
  const module = parseModule(bytes, file);
  let functions: FunctionSize[] | null = null;
  let attributionNote: string | null = null;
  if (module.functionNames.size > 0) {
    functions = attribute(module);
  } else if (named !== null) {
    const namedModule = parseModule(named, `${file} (named build)`);
    functions = attribute(namedModule);
    if (namedModule.codeSectionSize !== module.codeSectionSize) {
      attributionNote = `the named build's code section is ${namedModule.codeSectionSize} B, the release module's ${module.codeSectionSize} B: per-function numbers are approximate`;
    }
  }
  return {
    name,
    file,
    bytes: bytes.length,
    budget: SIZE_BUDGETS[name] ?? null,
    sections: sectionTable(module),
    functions,
    areas: functions ? sumByArea(functions) : null,
    data: analyseData(module, topStrings),
    attributionNote,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Report

const fmt = (n: number) => n.toLocaleString("en-US");

function printReport(report: ModuleReport, top: number): void {
  const budget =
    report.budget === null
      ? "no budget"
      : report.bytes <= report.budget
        ? `budget ${fmt(report.budget)} B: met, ${fmt(report.budget - report.bytes)} B to spare`
        : `budget ${fmt(report.budget)} B: OVER by ${fmt(report.bytes - report.budget)} B`;
  console.log(`\n${report.name}  ${report.file}  ${fmt(report.bytes)} B  (${budget})`);
  const sections = Object.entries(report.sections)
    .sort((a, b) => b[1] - a[1])
    .map(([name, size]) => `${name} ${fmt(size)}`);
  console.log(`  sections: ${sections.join(", ")}`);
  if (report.areas) {
    const code = Object.values(report.areas).reduce((a, b) => a + b, 0);
    console.log(`  code by area (function bodies, ${fmt(code)} B):`);
    for (const [area, bytes] of Object.entries(report.areas)) {
      console.log(`    ${fmt(bytes).padStart(7)}  ${((100 * bytes) / code).toFixed(1).padStart(5)}%  ${area}`);
    }
  } else {
    console.log("  code by area: no names (build the module first, or pass a module with a name section)");
  }
  if (report.attributionNote) console.log(`  note: ${report.attributionNote}`);
  const d = report.data;
  console.log(
    `  data: ${d.strings.count} strings ${fmt(d.strings.bytes)} B (${fmt(d.strings.characters)} UTF-16 units), ` +
      `${d.buffers.count} buffers ${fmt(d.buffers.bytes)} B, ${d.otherObjects.count} other objects ${fmt(d.otherObjects.bytes)} B, ` +
      `raw ${fmt(d.raw)} B, ${d.segments.count} segments with ${fmt(d.segments.headerBytes)} B of headers`,
  );
  if (d.largestStrings.length > 0) {
    console.log("  largest strings:");
    for (const s of d.largestStrings) {
      const shown = JSON.stringify(s.text.length > 90 ? `${s.text.slice(0, 87)}...` : s.text);
      console.log(`    ${fmt(s.bytes).padStart(7)}  ${shown}`);
    }
  }
  if (report.functions && top > 0) {
    console.log(`  largest functions:`);
    for (const f of report.functions.slice(0, top)) {
      console.log(`    ${fmt(f.bytes).padStart(7)}  ${f.area.padEnd(28)}  ${f.name}`);
    }
  }
}

function usage(message: string): never {
  process.stderr.write(`size: ${message}\nusage: tsx bench/size.ts [--top N] [--json] [name … | file.wasm …]\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const args = process.argv.slice(2);
  let top = 25;
  let json = false;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--json") json = true;
    else if (arg === "--top") {
      top = Number(args[++i]);
      if (!Number.isInteger(top) || top < 0) usage("--top needs a non-negative integer");
    } else if (arg.startsWith("--")) usage(`unknown option ${arg}`);
    else names.push(arg);
  }
  const filters = readdirSync(join(root, "filters"), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, "filters", e.name, "index.ts")))
    .map((e) => e.name)
    .sort();
  const targets = names.length > 0 ? names : filters;
  const { compile } = await import("../scripts/lib/compile.js");
  const reports: ModuleReport[] = [];
  for (const target of targets) {
    if (target.endsWith(".wasm")) {
      if (!existsSync(target)) usage(`no such file: ${target}`);
      reports.push(analyseModule(basename(target, ".wasm"), target, readFileSync(target), null, top > 0 ? 10 : 0));
      continue;
    }
    if (!filters.includes(target)) usage(`no filter named ${JSON.stringify(target)} (filters: ${filters.join(", ")})`);
    const file = `build/${target}.wasm`;
    const path = join(root, file);
    if (!existsSync(path)) usage(`${file} does not exist: run \`npm run build\` first`);
    if (statSync(path).mtimeMs < statSync(join(root, "asconfig.json")).mtimeMs) {
      process.stderr.write(`size: warning: ${file} is older than asconfig.json; run \`npm run build\`\n`);
    }
    let named: Uint8Array | null = null;
    if (top > 0 || json) {
      const result = await compile(root, { entry: `filters/${target}/index.ts`, target: "release", outFile: file }, { extraArgs: ["--debug"] });
      if (result.binary === null) process.stderr.write(`size: the named build of ${target} failed:\n${result.diagnostics}\n`);
      named = result.binary;
    }
    reports.push(analyseModule(target, file, readFileSync(path), named));
  }
  if (json) {
    console.log(JSON.stringify(reports, null, 2));
    return;
  }
  for (const report of reports) printReport(report, top);
  const over = reports.filter((r) => r.budget !== null && r.bytes > r.budget);
  console.log(over.length === 0 ? "\nall budgets met" : `\nover budget: ${over.map((r) => r.name).join(", ")}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    process.stderr.write(`size: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
