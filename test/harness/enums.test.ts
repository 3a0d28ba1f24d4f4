// harness/enums.ts must mirror the SDK's assembly/abi/enums.ts name for name and number for number
// (style.md P3): one enum table, two languages.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** `enum Name { Member = n, … }` blocks → { Name: { Member: n } }. */
function enums(file: string): Record<string, Record<string, number>> {
  const text = readFileSync(`${root}/${file}`, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const out: Record<string, Record<string, number>> = {};
  for (const m of text.matchAll(/export\s+enum\s+(\w+)\s*\{([^}]*)\}/g)) {
    const members: Record<string, number> = {};
    for (const entry of m[2]!.split(",")) {
      const e = /^\s*(\w+)\s*=\s*(-?\d+)\s*$/.exec(entry);
      if (e) members[e[1]!] = Number(e[2]);
      else if (entry.trim() !== "") throw new Error(`${file}: enum ${m[1]} member without an explicit number: ${entry.trim()}`);
    }
    out[m[1]!] = members;
  }
  return out;
}

test("every SDK enum is mirrored exactly in the harness (and the harness adds none)", () => {
  const sdk = enums("assembly/abi/enums.ts");
  const host = enums("harness/enums.ts");
  expect(Object.keys(sdk).length).toBeGreaterThan(5);
  expect(host).toEqual(sdk);
});

test("the numbers that cross the boundary are the spec's (spot check, host-behaviour.md A.1)", async () => {
  const e = await import("../../harness/enums");
  expect([e.Status.NotFound, e.Status.InvalidMemoryAccess, e.Status.Unimplemented]).toEqual([1, 6, 12]);
  expect([e.BufferType.HttpCallResponseBody, e.BufferType.PluginConfiguration]).toEqual([4, 7]);
  expect([e.MapType.HttpCallResponseHeaders, e.StreamType.Upstream, e.MetricType.Histogram]).toEqual([6, 3, 2]);
});
