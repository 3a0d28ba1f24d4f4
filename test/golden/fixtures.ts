/**
 * Loads the byte-annotated codec fixtures in this directory (header-map.yaml, property-path.yaml) for the
 * SDK's and the harness's codec tests.
 */

import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** A pair element: UTF-8 text, or raw bytes as `{hex}`. */
export type FixtureBytes = string | { hex: string };

export interface HeaderMapCase {
  name: string;
  pairs: Array<[FixtureBytes, FixtureBytes]>;
  bytes: Uint8Array;
}

export interface HeaderMapFixtures {
  cases: HeaderMapCase[];
  malformed: Array<{ name: string; bytes: Uint8Array }>;
  emptySpellings: Uint8Array[];
}

export interface PropertyPathFixtures {
  cases: Array<{ name: string; path: string[]; bytes: Uint8Array }>;
  unencodable: string[][];
}

/** Hex digits with whitespace and `#` comments in between → bytes. Throws on anything else. */
export function parseHex(text: string, where: string): Uint8Array {
  const digits = text
    .split("\n")
    .map((line) => line.replace(/#.*$/, ""))
    .join("")
    .replace(/\s+/g, "");
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`${where}: bytes must be pairs of hex digits, got ${JSON.stringify(digits)}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** A fixture element as bytes. */
export function fixtureBytes(value: FixtureBytes): Uint8Array {
  return typeof value === "string" ? new TextEncoder().encode(value) : parseHex(value.hex, "hex");
}

function load(file: string): Record<string, unknown> {
  return parse(readFileSync(new URL(file, import.meta.url), "utf8")) as Record<string, unknown>;
}

export function loadHeaderMapFixtures(): HeaderMapFixtures {
  const raw = load("header-map.yaml") as {
    cases: Array<{ name: string; pairs: Array<[FixtureBytes, FixtureBytes]>; bytes: string }>;
    malformed: Array<{ name: string; bytes: string }>;
    emptySpellings: string[];
  };
  return {
    cases: raw.cases.map((c) => ({ name: c.name, pairs: c.pairs, bytes: parseHex(c.bytes, `header-map.yaml ${c.name}`) })),
    malformed: raw.malformed.map((c) => ({ name: c.name, bytes: parseHex(c.bytes, `header-map.yaml ${c.name}`) })),
    emptySpellings: raw.emptySpellings.map((text, i) => parseHex(text, `header-map.yaml emptySpellings[${i}]`)),
  };
}

export function loadPropertyPathFixtures(): PropertyPathFixtures {
  const raw = load("property-path.yaml") as {
    cases: Array<{ name: string; path: string[]; bytes: string }>;
    unencodable: string[][];
  };
  return {
    cases: raw.cases.map((c) => ({ name: c.name, path: c.path, bytes: parseHex(c.bytes, `property-path.yaml ${c.name}`) })),
    unencodable: raw.unencodable,
  };
}
