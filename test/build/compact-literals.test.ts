/**
 * scripts/lib/compact-literals.ts, the transform that stores string literals compactly, and its decoder
 * (assembly/runtime/literals.ts): the encoding round-trips and keeps the one-segment invariant (no zero byte),
 * and in a compiled module every kind of literal reads back as its exact text while the static UTF-16 copies are
 * gone. (Every exact-message assertion of the filter and SDK tests checks the same thing on real modules.)
 */

import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeLiterals, savedBytes, type EncodedLiterals } from "../../scripts/lib/compact-literals.js";
import { compile } from "../../scripts/lib/compile.js";

/** The decoder of assembly/runtime/literals.ts, in JavaScript. */
function decode(encoded: EncodedLiterals, number: number): string {
  let p = 0;
  for (let i = 0; i < number; i++) p += 1 + (encoded.literals[p]! & 0x7f);
  const head = encoded.literals[p]!;
  const bytes = encoded.literals.slice(p + 1, p + 1 + (head & 0x7f));
  if (head >= 0x80) return Buffer.from(bytes).toString("utf8");
  const entries: number[][] = [];
  for (let q = 0; q < encoded.dictionary.length; q += 1 + encoded.dictionary[q]!) {
    entries.push(encoded.dictionary.slice(q + 1, q + 1 + encoded.dictionary[q]!));
  }
  return bytes.map((b) => (b < 0x80 ? String.fromCharCode(b) : String.fromCharCode(...entries[b - 0x80]!))).join("");
}

const MESSAGES = [
  "expected a string, got ",
  "expected a list, got ",
  " is not a valid header name (RFC 9110 token characters only)",
  " is not a valid header value (no control characters, no leading or trailing whitespace)",
  "must not be empty (remove the field instead)",
  "must not be empty (remove the field to match any ",
  "unknown key (allowed: ",
  "unknown field (expected one of: ",
  "policies",
  "x",
  "ünïcödé → text…",
  "a".repeat(127),
  "a".repeat(128),
  "ü".repeat(64),
  "with\u0000nul",
  "lone \ud800 surrogate",
  "",
];

describe("encodeLiterals", () => {
  const encoded = encodeLiterals(MESSAGES);

  test("every literal that fits decodes to its text; NUL, lone surrogates, empty and over-long ones stay out", () => {
    const kept = [...encoded.index.keys()];
    expect(kept).not.toContain("with\u0000nul");
    expect(kept).not.toContain("lone \ud800 surrogate");
    expect(kept).not.toContain("");
    expect(kept).not.toContain("ü".repeat(64)); // 128 UTF-8 bytes: over 127
    expect(kept).toContain("a".repeat(128)); // long, but shrinks below 127 bytes with the dictionary
    for (const [text, number] of encoded.index) expect(decode(encoded, number)).toBe(text);
  });

  test("no byte of the literals or the dictionary is 0 (one data segment), entries are 3 to 24 characters", () => {
    expect(encoded.literals.includes(0)).toBe(false);
    expect(encoded.dictionary.includes(0)).toBe(false);
    expect(encoded.entryCount).toBeGreaterThan(0);
    expect(encoded.entryCount).toBeLessThanOrEqual(127);
    for (let q = 0; q < encoded.dictionary.length; q += 1 + encoded.dictionary[q]!) {
      expect(encoded.dictionary[q]).toBeGreaterThanOrEqual(3);
      expect(encoded.dictionary[q]).toBeLessThanOrEqual(24);
    }
  });

  test("worth it only with enough literals: the estimate is negative for a few, positive for many", () => {
    const few = ["a message", "another message"];
    expect(savedBytes(encodeLiterals(few), new Map(few.map((t) => [t, 1])))).toBeLessThan(0);
    const many = Array.from({ length: 100 }, (_, i) => `message ${i}: the configuration is not valid`);
    expect(savedBytes(encodeLiterals(many), new Map(many.map((t) => [t, 1])))).toBeGreaterThan(1000);
  });

  test("smaller than the text, and deterministic", () => {
    const text = [...encoded.index.keys()].reduce((sum, t) => sum + Buffer.byteLength(t), 0);
    expect(encoded.literals.length + encoded.dictionary.length).toBeLessThan(text);
    expect(encodeLiterals(MESSAGES)).toEqual(encoded);
  });
});

describe("a compiled module", () => {
  let root = "";
  let wasm: Uint8Array;

  const entry = `
import "../../assembly/runtime/literals";
import { helperText } from "./other";

const TOP = "a top-level constant";
// @ts-ignore: decorator
@inline const INLINED = "an inlined constant";
const LIST: string[] = ["alpha", "beta", "alpha"];

function withDefault(text: string = "a default parameter"): string {
  return text;
}

function caseLabel(n: i32): string {
  switch (n) {
    case 1: return "case one";
    default: return "no case";
  }
}

// Enough messages for the compact form to pay for its decoder (the transform leaves a module with few alone).
export function messages(): string[] {
  return [${Array.from({ length: 80 }, (_, i) => JSON.stringify(`message number ${i}: something went wrong with the configuration`)).join(", ")}];
}

export function texts(): string[] {
  return [TOP, INLINED, LIST[0], LIST[1], LIST[2], withDefault(), caseLabel(1), caseLabel(2), helperText(),
    "ünïcödé → text…", "with\\u0000nul", "", "${"long ".repeat(40)}"];
}
`;
  const other = `export function helperText(): string { return "alpha" + "-" + "from another file"; }\n`;
  const expected = [
    "a top-level constant", "an inlined constant", "alpha", "beta", "alpha", "a default parameter", "case one",
    "no case", "alpha-from another file", "ünïcödé → text…", "with\u0000nul", "", "long ".repeat(40),
  ];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "as-proxy-literals-"));
    cpSync(fileURLToPath(new URL("../../assembly", import.meta.url)), join(root, "assembly"), { recursive: true });
    writeFileSync(join(root, "asconfig.json"), JSON.stringify({ targets: { release: { optimizeLevel: 3, shrinkLevel: 1 } }, options: { runtime: "minimal" } }));
    const dir = join(root, "filters", "demo");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "index.ts"), entry);
    writeFileSync(join(dir, "other.ts"), other);
    const result = await compile(root, { entry: "filters/demo/index.ts", target: "release", outFile: "build/demo.wasm" });
    expect(result.diagnostics).not.toMatch(/ERROR/);
    wasm = result.binary!;
  }, 60_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test("every literal reads back as its exact text", () => {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), { env: { abort: () => { throw new Error("abort"); } } });
    const exports = instance.exports as { memory: WebAssembly.Memory; texts(): number; _start?: () => void };
    const view = () => new DataView(exports.memory.buffer);
    const string = (ptr: number) => {
      const length = view().getUint32(ptr - 4, true) >>> 1;
      return Buffer.from(new Uint8Array(exports.memory.buffer, ptr, length * 2)).toString("utf16le");
    };
    const array = exports.texts();
    const data = view().getUint32(array + 4, true);
    const length = view().getInt32(array + 12, true);
    const texts = Array.from({ length }, (_, i) => string(view().getUint32(data + 4 * i, true)));
    expect(texts).toEqual(expected);
  });

  test("the literals are stored compactly, not as UTF-16 strings", () => {
    const binary = Buffer.from(wasm);
    for (const text of ["a top-level constant", "a default parameter", "alpha-from another file".slice(6)]) {
      expect(binary.includes(Buffer.from(text, "utf16le")), text).toBe(false);
    }
    // The decorator's constant must stay a static string (an @inline constant cannot be a call).
    expect(binary.includes(Buffer.from("an inlined constant", "utf16le"))).toBe(true);
  });
});
