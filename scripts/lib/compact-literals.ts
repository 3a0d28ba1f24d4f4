/**
 * AssemblyScript transform the build applies to every proxy-wasm module (compile.ts: release and debug
 * targets): stores the program's string literals compactly instead of as static UTF-16 string objects.
 *
 * Why: a static string costs about `23 + 2n` bytes of module for `n` ASCII characters (a 20-byte object header,
 * two bytes per character, and two data segments of ~7 bytes of headers each, as binaryen splits the header's
 * zeros off). The log and error messages of a filter are most of its data section. Here a literal costs its
 * bytes plus one, in a single data segment for the whole program, further shrunk by a dictionary of frequent
 * substrings (about half of the text); a use costs `__compactLiteral(i)` instead of a constant address, ~3 bytes
 * more. docs/SIZE.md has the numbers.
 *
 * What it does, after parsing:
 * 1. collects the distinct string literals of every source file outside the standard library and
 *    `assembly/runtime/` (the abort handler must not allocate; the helper must not call itself);
 * 2. encodes them (see {@link encodeLiterals}) and writes the tables into the helper,
 *    `__compactLiteral` in assembly/runtime/literals.ts, by replacing the initializers of its placeholder
 *    constants;
 * 3. replaces each use of an encoded literal by `__compactLiteral(<its number>)`.
 * The helper decodes a literal on its first use and caches it, so the text seen at run time is identical.
 *
 * Left alone: decorator arguments (`@external("env", "proxy_log")`), import and export paths, declarations with
 * decorators (`@inline` constants must stay constant), switch-case labels, literals with NUL or a lone
 * surrogate, literals longer than 127 bytes once encoded, every program without the helper (e.g. a module that
 * does not link the SDK's exports), and a program whose literals would not pay for the helper (see
 * {@link savedBytes}): the transform is then a no-op.
 */

import * as assemblyscript from "assemblyscript";
import type { Expression, Parser, Range, Source, Statement } from "assemblyscript";

const { Node } = assemblyscript;
// The compiler's enums, read from the module object: its type declarations make them `const enum`s, which
// `isolatedModules` cannot inline.
const enums = assemblyscript as unknown as Record<string, Record<string, number>>;
const NodeKind = enums["NodeKind"]!;
const LiteralKind = enums["LiteralKind"]!;

/** The decoding helper (a `@global` function) and the source that defines it. */
const HELPER = "__compactLiteral";
const HELPER_SOURCE = "assembly/runtime/literals";
/** Sources that keep their static strings. */
const EXCLUDED = /^(~lib\/|assembly\/runtime\/)/;
/** Longest literal, in encoded bytes (the head byte holds the length in 7 bits). */
const MAX_ENCODED = 127;
/** Dictionary codes are 0x80 + k. */
const MAX_ENTRIES = 127;
/**
 * Longest dictionary entry. The helper sizes its output as 24 characters per encoded byte: keep them in step.
 */
const MAX_ENTRY_LENGTH = 24;

/** An AST node seen through the generic walk (its children are its object-valued properties). */
type AnyNode = InstanceType<typeof Node> & Record<string, unknown>;

export interface EncodedLiterals {
  /** Literal text → its number. Literals that do not fit stay out (and stay static strings). */
  index: Map<string, number>;
  /** The `literals` bytes (see assembly/runtime/literals.ts). */
  literals: number[];
  /** The `dictionary` bytes. */
  dictionary: number[];
  entryCount: number;
}

/** UTF-8 bytes of `text`, or null when it cannot be compacted (empty, NUL, lone surrogate). */
function utf8Of(text: string): Buffer | null {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length === 0 || bytes.includes(0) || bytes.toString("utf8") !== text) return null;
  return bytes;
}

/**
 * Encodes `texts` (distinct literals, in a stable order): ASCII literals as characters and codes of a dictionary
 * built greedily — repeatedly the substring (3 to 24 characters) whose replacement saves the most bytes, up to
 * 127 entries — and other literals as raw UTF-8. Deterministic for a given input.
 */
export function encodeLiterals(texts: string[]): EncodedLiterals {
  const ascii: number[][] = [];
  for (const text of texts) {
    const bytes = utf8Of(text);
    if (bytes !== null && bytes.every((b) => b < 0x80)) ascii.push([...bytes]);
  }
  const entries: number[][] = [];
  let tokens = ascii;
  while (entries.length < MAX_ENTRIES) {
    // Occurrences of every candidate substring (runs of plain characters only).
    const counts = new Map<string, number>();
    for (const t of tokens) {
      for (let i = 0; i < t.length; i++) {
        let key = "";
        for (let length = 1; length <= MAX_ENTRY_LENGTH && i + length <= t.length; length++) {
          const c = t[i + length - 1]!;
          if (c >= 0x80) break;
          key += String.fromCharCode(c);
          if (length >= 3) counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
    }
    let best: string | null = null;
    let bestGain = 0;
    for (const [key, count] of counts) {
      // Each use saves length - 1 bytes; the entry costs length + 1.
      const gain = count * (key.length - 1) - (key.length + 1);
      if (gain > bestGain) {
        best = key;
        bestGain = gain;
      }
    }
    if (best === null || bestGain < 4) break;
    const entry = [...Buffer.from(best, "latin1")];
    const code = 0x80 + entries.length;
    entries.push(entry);
    tokens = tokens.map((t) => {
      const out: number[] = [];
      for (let i = 0; i < t.length; ) {
        if (entry.every((b, k) => t[i + k] === b)) {
          out.push(code);
          i += entry.length;
        } else {
          out.push(t[i++]!);
        }
      }
      return out;
    });
  }
  const encodedAscii = new Map<string, number[]>();
  ascii.forEach((bytes, i) => encodedAscii.set(Buffer.from(bytes).toString("latin1"), tokens[i]!));

  const index = new Map<string, number>();
  const literals: number[] = [];
  for (const text of texts) {
    if (index.has(text)) continue;
    const coded = encodedAscii.get(text);
    let cell: number[] | null = null;
    if (coded !== undefined) {
      if (coded.length <= MAX_ENCODED) cell = [coded.length, ...coded];
    } else {
      const bytes = utf8Of(text);
      if (bytes !== null && bytes.length <= MAX_ENCODED) cell = [0x80 | bytes.length, ...bytes];
    }
    if (cell === null) continue;
    index.set(text, index.size);
    literals.push(...cell);
  }
  const dictionary = entries.flatMap((entry) => [entry.length, ...entry]);
  return { index, literals, dictionary, entryCount: entries.length };
}

/** Calls `replace` on every string literal node of `source` that may be rewritten; stores what it returns. */
function walkLiterals(source: Source, replace: (text: string, node: AnyNode) => AnyNode): void {
  function visit(node: unknown): unknown {
    if (node === null || typeof node !== "object") return node;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = visit(node[i]);
      return node;
    }
    if (!(node instanceof Node)) return node;
    const n = node as AnyNode;
    switch (n.kind) {
      case NodeKind["Decorator"]:
      case NodeKind["Import"]:
      case NodeKind["Export"]:
      case NodeKind["ExportImport"]:
      case NodeKind["ExportDefault"]:
        return n;
      case NodeKind["VariableDeclaration"]: {
        const decorators = n.decorators as unknown[] | null;
        if (decorators !== null && decorators.length > 0) return n;
        break;
      }
      case NodeKind["SwitchCase"]:
        n.statements = visit(n.statements);
        return n;
      case NodeKind["Literal"]:
        // Array, object and template literals contain expressions: walk them below.
        if (n.literalKind === LiteralKind["String"]) return replace(n.value as string, n);
        break;
      default:
        break;
    }
    for (const key of Object.keys(n)) {
      if (key === "range") continue;
      const value = n[key];
      if (value !== null && typeof value === "object") n[key] = visit(value);
    }
    return n;
  }
  const statements = source.statements;
  for (let i = 0; i < statements.length; i++) statements[i] = visit(statements[i]) as Statement;
}

declare function i64_new(low: number, high: number): unknown;

function integer(value: number, range: Range): Expression {
  // `i64_new` is the compiler's global 64-bit integer constructor (its JS glue installs it).
  const i64 = (globalThis as unknown as { i64_new: typeof i64_new }).i64_new(value, 0);
  return Node.createIntegerLiteralExpression(i64 as never, range);
}

function memoryData(range: Range, args: Expression[], typeArguments: boolean): Expression {
  const u8 = Node.createNamedType(Node.createSimpleTypeName("u8", range), null, false, range);
  return Node.createCallExpression(
    Node.createPropertyAccessExpression(Node.createIdentifierExpression("memory", range), Node.createIdentifierExpression("data", range), range),
    typeArguments ? [u8] : null,
    args,
    range,
  );
}

/** `memory.data<u8>([...bytes], 1)`, or `memory.data(1)` for no bytes (a size-0 block is not allowed). */
function bytesData(bytes: number[], range: Range): Expression {
  if (bytes.length === 0) return memoryData(range, [integer(1, range)], false);
  const elements = bytes.map((byte) => integer(byte, range));
  return memoryData(range, [Node.createArrayLiteralExpression(elements, range), integer(1, range)], true);
}

/** Replaces the initializers of the helper's placeholder constants with the encoded tables. */
function fillHelper(helper: Source, encoded: EncodedLiterals): void {
  const count = encoded.index.size;
  const values: Record<string, (range: Range) => Expression> = {
    literals: (range) => bytesData(encoded.literals, range),
    dictionary: (range) => bytesData(encoded.dictionary, range),
    slots: (range) => memoryData(range, [integer(Math.max(8, 8 * count), range)], false),
    entries: (range) => memoryData(range, [integer(Math.max(2, 2 * encoded.entryCount), range)], false),
    literalCount: (range) => integer(count, range),
    entryCount: (range) => integer(encoded.entryCount, range),
  };
  const filled = new Set<string>();
  function visit(node: unknown): void {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!(node instanceof Node)) return;
    const n = node as AnyNode;
    if (n.kind === NodeKind["VariableDeclaration"]) {
      const name = (n.name as { text: string }).text;
      const value = values[name];
      if (value !== undefined) {
        n.initializer = value(n.range);
        filled.add(name);
        return;
      }
    }
    for (const key of Object.keys(n)) if (key !== "range") visit(n[key]);
  }
  visit(helper.statements);
  const missing = Object.keys(values).filter((name) => !filled.has(name));
  if (missing.length > 0) {
    throw new Error(`compact-literals: ${HELPER_SOURCE}.ts lacks the placeholder(s) ${missing.join(", ")}`);
  }
}

/**
 * Fixed cost of compacting any literal: the helper with its pinning, and the start-up code of top-level string
 * constants. Calibrated on the built modules (noop: 20 literals would cost ~0.5 KB; hello: 101 save ~2.4 KB).
 */
const FIXED_COST = 1100;

/**
 * Estimated bytes saved by compacting `encoded`: each literal's static string (≈ 18 + 2 per UTF-16 unit, after
 * binaryen's segment packing) minus ≈ 3 more bytes of code per use, minus the encoded bytes and the fixed cost.
 * Negative for a module with few literals.
 */
export function savedBytes(encoded: EncodedLiterals, uses: Map<string, number>): number {
  let saved = -FIXED_COST - encoded.literals.length - encoded.dictionary.length;
  for (const text of encoded.index.keys()) saved += 18 + 2 * text.length - 3 * (uses.get(text) ?? 1);
  return saved;
}

/** The transform (compile.ts passes an instance in asc's `transforms` option). */
export default class CompactLiterals {
  afterParse(parser: Parser): void {
    const sources = parser.sources;
    const helper = sources.find((source) => source.internalPath === HELPER_SOURCE);
    if (helper === undefined) return;
    const targets = sources.filter((source) => !EXCLUDED.test(source.internalPath));
    const texts: string[] = [];
    const uses = new Map<string, number>();
    for (const source of targets) {
      walkLiterals(source, (text, node) => {
        if (!uses.has(text)) texts.push(text);
        uses.set(text, (uses.get(text) ?? 0) + 1);
        return node;
      });
    }
    const encoded = encodeLiterals(texts);
    if (savedBytes(encoded, uses) <= 0) return; // e.g. a module with few literals: keep them static
    fillHelper(helper, encoded);
    for (const source of targets) {
      walkLiterals(source, (text, node) => {
        const number = encoded.index.get(text);
        if (number === undefined) return node;
        const call = Node.createCallExpression(Node.createIdentifierExpression(HELPER, node.range), null, [integer(number, node.range)], node.range);
        return call as unknown as AnyNode;
      });
    }
  }
}
