// Host side of the two ABI codecs, pinned by the shared golden fixtures (test/golden/codec.golden.ts).
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  PAIRS_MAX_COUNT,
  decodePairs,
  decodePropertyPath,
  encodePairs,
  encodePropertyPath,
  fromByteString,
  toByteString,
} from "../../harness/codec";
import { HEADER_MAP_FIXTURES, MALFORMED_PAIRS, PROPERTY_PATH_FIXTURES } from "../golden/codec.golden";

const bs = (bytes: number[]): string => Buffer.from(bytes).toString("latin1");

describe("header-map pairs (spec v0.2.1 Serialization; cpp-host pairs_util.cc)", () => {
  for (const f of HEADER_MAP_FIXTURES) {
    test(`encodes golden: ${f.name}`, () => {
      const pairs = f.pairs.map(([k, v]) => [bs(k), bs(v)] as [string, string]);
      expect([...encodePairs(pairs)]).toEqual(f.bytes);
    });
    test(`decodes golden: ${f.name}`, () => {
      const expected = f.pairs.map(([k, v]) => [bs(k), bs(v)]);
      expect(decodePairs(Uint8Array.from(f.bytes))).toEqual(expected);
    });
  }

  for (const m of MALFORMED_PAIRS) {
    test(`malformed input is an empty map, not an error: ${m.name} (host-behaviour.md F.18)`, () => {
      expect(decodePairs(Uint8Array.from(m.bytes))).toEqual([]);
    });
  }

  test("a buffer over 1 MiB is an empty map (PROXY_WASM_HOST_PAIRS_MAX_BYTES)", () => {
    const big = encodePairs([["k", "v".repeat(1024 * 1024)]]);
    expect(decodePairs(big)).toEqual([]);
  });

  test("exactly 1024 pairs are accepted, 1025 are not (PROXY_WASM_HOST_PAIRS_MAX_COUNT)", () => {
    const pairs = Array.from({ length: PAIRS_MAX_COUNT }, (_, i) => [`k${i}`, "v"] as [string, string]);
    expect(decodePairs(encodePairs(pairs))).toHaveLength(1024);
    expect(decodePairs(encodePairs([...pairs, ["x", "y"]]))).toEqual([]);
  });

  test("round-trips any pairs of any bytes (every byte value, including NUL inside values)", () => {
    const byteString = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("latin1"));
    fc.assert(
      fc.property(fc.array(fc.tuple(byteString, byteString), { maxLength: 20 }), (pairs) => {
        expect(decodePairs(encodePairs(pairs))).toEqual(pairs);
      }),
    );
  });

  test("decodes from an offset inside a larger buffer", () => {
    const encoded = encodePairs([["a", "b"]]);
    const padded = Buffer.concat([Buffer.from([9, 9, 9]), encoded, Buffer.from([7])]);
    expect(decodePairs(padded, 3, encoded.length)).toEqual([["a", "b"]]);
  });
});

describe("property path (Envoy context.cc getProperty)", () => {
  for (const f of PROPERTY_PATH_FIXTURES) {
    test(`encodes golden: ${f.name}`, () => {
      expect([...encodePropertyPath(f.segments)]).toEqual(f.bytes);
    });
    test(`decodes golden: ${f.name}`, () => {
      expect(decodePropertyPath(bs(f.bytes))).toEqual(f.segments);
    });
  }

  test("Envoy's split: a trailing NUL adds nothing, a leading or double NUL makes an empty segment", () => {
    expect(decodePropertyPath("a\0")).toEqual(["a"]);
    expect(decodePropertyPath("\0a")).toEqual(["", "a"]);
    expect(decodePropertyPath("a\0\0b")).toEqual(["a", "", "b"]);
  });
});

describe("byte strings", () => {
  test("UTF-8 text round-trips through the byte-string form, ASCII unchanged", () => {
    expect(toByteString("abc")).toBe("abc");
    expect(toByteString("é")).toBe("\u00c3\u00a9");
    expect(fromByteString(toByteString("héllo ✓"))).toBe("héllo ✓");
  });
});
