/**
 * The SDK's pure codecs (assembly/codec/*), run in wasm through build/loader/codec.wasm:
 * header-map pairs and property paths against the byte-annotated fixtures in test/golden/ (shared with the
 * harness codec), every byte value, round trips, malformed input, and a cross-check against the harness's
 * codec; the UTF-8 decoder against Node's WHATWG TextDecoder; the metric tag convention against Envoy-style
 * tag extraction; the protobuf writer against hand-annotated bytes.
 */

import { instantiate } from "@assemblyscript/loader";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { decodePairs, encodePairs, bytesToByteString } from "../../../harness/codec.js";
import { fixtureBytes, loadHeaderMapFixtures, loadPropertyPathFixtures } from "../../golden/fixtures.js";

interface CodecExports {
  memory: WebAssembly.Memory;
  STRING_ARRAY_ID: WebAssembly.Global;
  BUFFER_ARRAY_ID: WebAssembly.Global;
  encodeHeaderMapFlat(flat: number): number;
  encodeHeaderMapBytesFlat(flat: number): number;
  decodeHeaderMapFlat(data: number): number;
  decodeHeaderMapBytesFlat(data: number): number;
  validate(data: number): number;
  decodeListFlat(data: number): number;
  pairValuesOf(data: number, name: number): number;
  propertyPath(path: number): number;
  decodeLossy(data: number): number;
  lowerAscii(text: number): number;
  metricNameFlat(base: number, flat: number): number;
  declarePropertyArguments(name: number, readOnly: number, type: number, schema: number, span: number): number;
  varintField(field: number, value: bigint): number;
  __newString(text: string): number;
  __getString(ptr: number): string;
  __newArrayBuffer(data: ArrayBuffer): number;
  __getArrayBuffer(ptr: number): ArrayBuffer;
  __newArray(id: number, values: ArrayLike<number>): number;
  __getArray(ptr: number): number[];
  __pin(ptr: number): number;
  __unpin(ptr: number): void;
  __collect(): void;
}

const wasm = readFileSync(new URL("../../../build/loader/codec.wasm", import.meta.url));
const { exports: sdk } = (await instantiate(wasm, {})) as unknown as { exports: CodecExports };
const STRING_ARRAY_ID = sdk.STRING_ARRAY_ID.value as number;
const BUFFER_ARRAY_ID = sdk.BUFFER_ARRAY_ID.value as number;

/** Calls `fn` with pinned wasm copies of `values` (strings or bytes), then unpins everything. */
function withArray<T>(values: Array<string | Uint8Array>, fn: (array: number) => T): T {
  const elements = values.map((value) =>
    sdk.__pin(typeof value === "string" ? sdk.__newString(value) : sdk.__newArrayBuffer(copy(value))),
  );
  const id = values.every((value) => typeof value === "string") && values.length > 0 ? STRING_ARRAY_ID : BUFFER_ARRAY_ID;
  const array = sdk.__pin(sdk.__newArray(values.length === 0 ? STRING_ARRAY_ID : id, elements));
  try {
    return fn(array);
  } finally {
    sdk.__unpin(array);
    elements.forEach((element) => sdk.__unpin(element));
  }
}

function withBuffer<T>(data: Uint8Array, fn: (buffer: number) => T): T {
  const buffer = sdk.__pin(sdk.__newArrayBuffer(copy(data)));
  try {
    return fn(buffer);
  } finally {
    sdk.__unpin(buffer);
  }
}

function copy(data: Uint8Array): ArrayBuffer {
  return data.slice().buffer;
}

const bytesOf = (ptr: number): Uint8Array => new Uint8Array(sdk.__getArrayBuffer(ptr));
const stringsOf = (ptr: number): string[] | null => (ptr === 0 ? null : sdk.__getArray(ptr).map((p) => sdk.__getString(p)));
const buffersOf = (ptr: number): Uint8Array[] | null => (ptr === 0 ? null : sdk.__getArray(ptr).map((p) => bytesOf(p)));

const encodeText = (pairs: Array<[string, string]>): Uint8Array => withArray(pairs.flat(), (flat) => bytesOf(sdk.encodeHeaderMapFlat(flat)));
const encodeBytes = (pairs: Array<[Uint8Array, Uint8Array]>): Uint8Array =>
  withArray(pairs.flat(), (flat) => bytesOf(sdk.encodeHeaderMapBytesFlat(flat)));
const decodeText = (data: Uint8Array): string[] | null => withBuffer(data, (buffer) => stringsOf(sdk.decodeHeaderMapFlat(buffer)));
const decodeBytes = (data: Uint8Array): Uint8Array[] | null =>
  withBuffer(data, (buffer) => buffersOf(sdk.decodeHeaderMapBytesFlat(buffer)));

const utf8 = new TextEncoder();
const whatwg = new TextDecoder("utf-8"); // replacement mode: the WHATWG "UTF-8 decode" the SDK follows

describe("header-map codec: golden fixtures (test/golden/header-map.yaml)", () => {
  const fixtures = loadHeaderMapFixtures();

  test.each(fixtures.cases.map((c) => [c.name, c] as const))("%s: encodes to the fixture bytes", (_name, fixture) => {
    const textOnly = fixture.pairs.every(([name, value]) => typeof name === "string" && typeof value === "string");
    const encoded = textOnly
      ? encodeText(fixture.pairs as Array<[string, string]>)
      : encodeBytes(fixture.pairs.map(([name, value]) => [fixtureBytes(name), fixtureBytes(value)]));
    expect(Buffer.from(encoded).toString("hex")).toBe(Buffer.from(fixture.bytes).toString("hex"));
  });

  test.each(fixtures.cases.map((c) => [c.name, c] as const))("%s: decodes to the fixture pairs", (_name, fixture) => {
    const expected = fixture.pairs.flatMap(([name, value]) => [fixtureBytes(name), fixtureBytes(value)]);
    expect(decodeBytes(fixture.bytes)).toEqual(expected);
    expect(decodeText(fixture.bytes)).toEqual(expected.map((bytes) => whatwg.decode(bytes)));
  });

  test.each(fixtures.malformed.map((c) => [c.name, c.bytes] as const))("malformed: %s → null (host: empty map)", (_name, bytes) => {
    expect(withBuffer(bytes, (buffer) => sdk.validate(buffer))).toBe(-1);
    expect(decodeText(bytes)).toBeNull();
    expect(decodeBytes(bytes)).toBeNull();
  });

  test("both spellings of the empty map decode to no pairs", () => {
    for (const bytes of fixtures.emptySpellings) expect(decodeText(bytes)).toEqual([]);
  });

  test("the harness codec agrees with every non-empty fixture", () => {
    // (The empty map is left to the harness's own tests: hosts hand it to the guest as (0, 0), whatever their
    // general-purpose encoder returns for zero pairs.)
    for (const fixture of fixtures.cases.filter((c) => c.pairs.length > 0)) {
      const pairs = fixture.pairs.map(([name, value]): [string, string] => [
        bytesToByteString(fixtureBytes(name)),
        bytesToByteString(fixtureBytes(value)),
      ]);
      expect(Buffer.from(encodePairs(pairs)).toString("hex"), fixture.name).toBe(Buffer.from(fixture.bytes).toString("hex"));
      expect(decodePairs(fixture.bytes), fixture.name).toEqual(pairs);
    }
  });
});

describe("header-map codec: properties", () => {
  test("every byte value 0..255 round-trips as a name and as a value", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const encoded = encodeBytes([
      [all, Uint8Array.of(1)],
      [Uint8Array.of(2), all],
    ]);
    expect(decodeBytes(encoded)).toEqual([all, Uint8Array.of(1), Uint8Array.of(2), all]);
  });

  test("text pairs round-trip (lone surrogates become U+FFFD, as with TextEncoder)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: "binary" }), fc.string({ unit: "binary" })), { maxLength: 8 }), (pairs) => {
        const expected = pairs.flat().map((text) => whatwg.decode(utf8.encode(text)));
        expect(decodeText(encodeText(pairs))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  test("the SDK's encoding equals the harness's for the same pairs", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 })), { maxLength: 8 }), (pairs) => {
        const sdkBytes = encodeBytes(pairs);
        const harnessBytes = pairs.length === 0 ? new Uint8Array() : encodePairs(pairs.map(([n, v]) => [bytesToByteString(n), bytesToByteString(v)]));
        expect(Buffer.from(sdkBytes).toString("hex")).toBe(Buffer.from(harnessBytes).toString("hex"));
      }),
      { numRuns: 300 },
    );
  });

  test("arbitrary bytes never trap the decoder, and whatever it accepts re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const decoded = decodeBytes(bytes);
        if (decoded === null || decoded.length === 0) return;
        const pairs: Array<[Uint8Array, Uint8Array]> = [];
        for (let i = 0; i < decoded.length; i += 2) pairs.push([decoded[i]!, decoded[i + 1]!]);
        expect(Buffer.from(encodeBytes(pairs)).toString("hex")).toBe(Buffer.from(bytes).toString("hex"));
      }),
      { numRuns: 2000 },
    );
  });

  test("pairValues reads one name's values without decoding the rest: the same as filtering the decoded pairs", () => {
    const fixtures = loadHeaderMapFixtures();
    const valuesOf = (bytes: Uint8Array, name: string): string[] => {
      const namePtr = sdk.__pin(sdk.__newString(name));
      try {
        return withBuffer(bytes, (buffer) => stringsOf(sdk.pairValuesOf(buffer, namePtr))!);
      } finally {
        sdk.__unpin(namePtr);
      }
    };
    const pairs: Array<[string, string]> = [
      [":path", "/a"],
      ["x-multi", "1"],
      ["x-multi-longer", "no"],
      ["x-multi", "2"],
      ["x-ünï", "u"],
      ["x-mult", "no"],
    ];
    const map = encodeText(pairs);
    expect(valuesOf(map, "x-multi")).toEqual(["1", "2"]);
    expect(valuesOf(map, ":path")).toEqual(["/a"]);
    expect(valuesOf(map, "x-ünï")).toEqual(["u"]);
    expect(valuesOf(map, "X-MULTI")).toEqual([]); // exact: Envoy's maps hold lower-case names
    expect(valuesOf(map, "absent")).toEqual([]);
    for (const bytes of fixtures.emptySpellings) expect(valuesOf(bytes, "x")).toEqual([]);
    for (const fixture of fixtures.cases) {
      const decoded = decodeText(fixture.bytes)!;
      for (let i = 0; i < decoded.length; i += 2) {
        const name = decoded[i]!;
        const expected = decoded.filter((_, j) => j % 2 === 1 && decoded[j - 1] === name);
        expect(valuesOf(fixture.bytes, name), `${fixture.name}: ${name}`).toEqual(expected);
      }
    }
  });

  test("lists (keys with empty values) decode to their elements", () => {
    const list = encodeText([
      ["spiffe://a", ""],
      ["spiffe://b", ""],
    ]);
    expect(withBuffer(list, (buffer) => stringsOf(sdk.decodeListFlat(buffer)))).toEqual(["spiffe://a", "spiffe://b"]);
    expect(withBuffer(Uint8Array.of(1, 0), (buffer) => sdk.decodeListFlat(buffer))).toBe(0);
  });
});

describe("property-path codec (test/golden/property-path.yaml)", () => {
  const fixtures = loadPropertyPathFixtures();

  test.each(fixtures.cases.map((c) => [c.name, c] as const))("%s", (_name, fixture) => {
    const encoded = fixture.path.length === 0
      ? withArray([], (path) => bytesOf(sdk.propertyPath(path)))
      : withArray(fixture.path, (path) => bytesOf(sdk.propertyPath(path)));
    expect(Buffer.from(encoded).toString("hex")).toBe(Buffer.from(fixture.bytes).toString("hex"));
  });

  test("a segment containing NUL is refused (Envoy would split it)", () => {
    for (const path of fixtures.unencodable) expect(withArray(path, (array) => sdk.propertyPath(array))).toBe(0);
  });
});

describe("UTF-8 decoding at the boundary (codec/text.ts)", () => {
  const decode = (bytes: Uint8Array): string => withBuffer(bytes, (buffer) => sdk.__getString(sdk.decodeLossy(buffer)));

  test.each([
    ["overlong '/' (C0 AF) never becomes '/'", [0x2f, 0xc0, 0xaf, 0x61], "/\ufffd\ufffda"],
    ["3-byte overlong (E0 80 AF)", [0xe0, 0x80, 0xaf], "\ufffd\ufffd\ufffd"],
    ["encoded surrogate (ED A0 80)", [0xed, 0xa0, 0x80], "\ufffd\ufffd\ufffd"],
    ["above U+10FFFF (F4 90 80 80)", [0xf4, 0x90, 0x80, 0x80], "\ufffd\ufffd\ufffd\ufffd"],
    ["truncated sequence at the end", [0x61, 0xe2, 0x9c], "a\ufffd"],
    ["lead byte followed by ASCII keeps the ASCII", [0xc3, 0x22], '\ufffd"'],
    ["valid 4-byte sequence", [0xf0, 0x9f, 0x98, 0x80], "\u{1f600}"],
    ["bytes that never occur (FF FE)", [0xff, 0xfe], "\ufffd\ufffd"],
  ])("%s", (_name, bytes, expected) => {
    expect(decode(Uint8Array.from(bytes))).toBe(expected);
    expect(decode(Uint8Array.from(bytes))).toBe(whatwg.decode(Uint8Array.from(bytes)));
  });

  test("equals Node's WHATWG TextDecoder on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        expect(decode(bytes)).toBe(whatwg.decode(bytes));
      }),
      { numRuns: 5000 },
    );
  });
});

describe("asciiLower (header names)", () => {
  test.each([
    ["X-Request-ID", "x-request-id"],
    ["already-lower", "already-lower"],
    ["ÄÖ-Keep-Non-ASCII", "ÄÖ-keep-non-ascii"],
    ["", ""],
  ])("%s → %s", (input, expected) => {
    const ptr = sdk.__pin(sdk.__newString(input));
    expect(sdk.__getString(sdk.lowerAscii(ptr))).toBe(expected);
    sdk.__unpin(ptr);
  });
});

describe("metricName: the stats_tags convention (docs/OVERVIEW.md 'Metric tags')", () => {
  const name = (base: string, tags: Array<[string, string]>): string => {
    const basePtr = sdk.__pin(sdk.__newString(base));
    try {
      return withArray(tags.flat().length === 0 ? [] : tags.flat(), (flat) => sdk.__getString(sdk.metricNameFlat(basePtr, flat)));
    } finally {
      sdk.__unpin(basePtr);
    }
  };

  /** Envoy TagExtractorImpl: the first group is removed from the name, the second is the tag value. */
  function extract(statName: string, tagNames: string[]): { name: string; tags: Record<string, string> } {
    let rest = statName;
    const tags: Record<string, string> = {};
    for (const tag of tagNames) {
      const match = new RegExp(`(${tag}=\\.=(.*?);\\.;)`).exec(rest);
      if (match) {
        tags[tag] = match[2]!;
        rest = rest.replace(match[1]!, "");
      }
    }
    return { name: rest, tags };
  }

  test("encodes tags in front of the base name", () => {
    expect(name("abac_denied_total", [["policy", "ns1.deny-all"]])).toBe("policy=.=ns1.deny-all;.;abac_denied_total");
    expect(name("requests_total", [])).toBe("requests_total");
  });

  test("Envoy's regex per tag recovers every value and the base name", () => {
    const stat = name("wasm_requests_total", [
      ["route", "/api/{id}"],
      ["method", "GET"],
      ["status_class", "2xx"],
    ]);
    expect(extract(`wasmcustom.${stat}`, ["route", "method", "status_class"])).toEqual({
      name: "wasmcustom.wasm_requests_total",
      tags: { route: "/api/{id}", method: "GET", status_class: "2xx" },
    });
  });

  test("a value cannot end its tag early or break the name (';' and control characters → '_')", () => {
    const stat = name("x_total", [
      ["policy", "a;.;evil=.=1;.;"],
      ["bad tag!", "line\nbreak"],
    ]);
    expect(stat).toBe("policy=.=a_._evil=.=1_._;.;bad_tag_=.=line_break;.;x_total");
    expect(extract(stat, ["policy", "bad_tag_"]).tags).toEqual({ policy: "a_._evil=.=1_._", bad_tag_: "line_break" });
  });
});

describe("protobuf writer (Envoy foreign-function arguments)", () => {
  test("DeclarePropertyArguments{name, readonly, type String, span DownstreamRequest}", () => {
    const namePtr = sdk.__pin(sdk.__newString("abac.decision"));
    const bytes = bytesOf(sdk.declarePropertyArguments(namePtr, 1, 1, 0, 1));
    sdk.__unpin(namePtr);
    // 0a 0d "abac.decision" | 10 01 (readonly = true) | 18 01 (type = String) | 28 01 (span = DownstreamRequest)
    expect(Buffer.from(bytes).toString("hex")).toBe("0a0d" + Buffer.from("abac.decision").toString("hex") + "100118012801");
  });

  test("proto3 defaults (false, 0, empty) are omitted", () => {
    const namePtr = sdk.__pin(sdk.__newString("x"));
    expect(Buffer.from(bytesOf(sdk.declarePropertyArguments(namePtr, 0, 0, 0, 0))).toString("hex")).toBe("0a0178");
    sdk.__unpin(namePtr);
  });

  test("multi-byte varints", () => {
    expect(Buffer.from(bytesOf(sdk.varintField(5, 300n))).toString("hex")).toBe("28ac02");
    expect(Buffer.from(bytesOf(sdk.varintField(1, 2n ** 63n))).toString("hex")).toBe("0880808080808080808001");
  });
});
