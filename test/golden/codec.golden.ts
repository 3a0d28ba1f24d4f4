/**
 * Byte-annotated golden fixtures for the two proxy-wasm codecs, shared by the host side (`harness/codec.ts`,
 * `test/harness/codec.test.ts`) and the SDK side (`assembly/codec/*`). Layouts: spec v0.2.1 "Serialization"
 * (all integers u32 little-endian); cpp-host `src/pairs_util.cc`; the property path as Envoy `context.cc
 * getProperty` splits it. Strings are given as bytes so non-UTF-8 values are exact.
 */

/** The bytes of an ASCII string. */
const a = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

export interface PairsFixture {
  name: string;
  /** Pairs as bytes ([name bytes, value bytes]). */
  pairs: Array<[number[], number[]]>;
  bytes: number[];
}

export const HEADER_MAP_FIXTURES: PairsFixture[] = [
  {
    name: "empty map (a host returns ptr 0 / size 0 instead of these 4 bytes)",
    pairs: [],
    bytes: [
      0, 0, 0, 0, // num entries
    ],
  },
  {
    name: "one pseudo-header",
    pairs: [[a(":method"), a("GET")]],
    bytes: [
      1, 0, 0, 0, // num entries
      7, 0, 0, 0, 3, 0, 0, 0, // len (":method", "GET")
      ...a(":method"), 0, ...a("GET"), 0,
    ],
  },
  {
    name: "spec worked example, with '1'/'2' as 0x31/0x32 (the spec's 49/50-as-hex is wrong)",
    pairs: [
      [a("a"), a("1")],
      [a("b"), a("22")],
    ],
    bytes: [
      2, 0, 0, 0, // num entries
      1, 0, 0, 0, 1, 0, 0, 0, // len ("a", "1")
      1, 0, 0, 0, 2, 0, 0, 0, // len ("b", "22")
      0x61, 0, 0x31, 0, // "a" "1"
      0x62, 0, 0x32, 0x32, 0, // "b" "22"
    ],
  },
  {
    name: "repeated header, empty value, non-UTF-8 value bytes",
    pairs: [
      [a("set-cookie"), a("a=1")],
      [a("set-cookie"), a("b=2")],
      [a("x-empty"), []],
      [a("x-bin"), [0xff, 0xfe, 0x80]],
    ],
    bytes: [
      4, 0, 0, 0, // num entries
      10, 0, 0, 0, 3, 0, 0, 0, // len ("set-cookie", "a=1")
      10, 0, 0, 0, 3, 0, 0, 0, // len ("set-cookie", "b=2")
      7, 0, 0, 0, 0, 0, 0, 0, // len ("x-empty", "")
      5, 0, 0, 0, 3, 0, 0, 0, // len ("x-bin", 0xff 0xfe 0x80)
      ...a("set-cookie"), 0, ...a("a=1"), 0,
      ...a("set-cookie"), 0, ...a("b=2"), 0,
      ...a("x-empty"), 0, 0,
      ...a("x-bin"), 0, 0xff, 0xfe, 0x80, 0,
    ],
  },
];

/** Buffers a strict host parser (cpp-host `PairsUtil::toPairs`) must read as an empty map. */
export const MALFORMED_PAIRS: Array<{ name: string; bytes: number[] }> = [
  { name: "fewer than 4 bytes", bytes: [1, 0, 0] },
  { name: "count larger than the data", bytes: [1, 0, 0, 0, 1, 0, 0, 0] },
  {
    name: "missing NUL after the name",
    bytes: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x61, 0x61, 0x31, 0],
  },
  {
    name: "trailing garbage after the last pair",
    bytes: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x61, 0, 0x31, 0, 0x99],
  },
  { name: "more than 1024 pairs", bytes: [0x01, 0x04, 0, 0] },
];

export interface PathFixture {
  name: string;
  segments: string[];
  bytes: number[];
}

export const PROPERTY_PATH_FIXTURES: PathFixture[] = [
  { name: "one segment", segments: ["plugin_name"], bytes: a("plugin_name") },
  {
    name: "three segments: NUL between, none at the end",
    segments: ["request", "headers", "user-agent"],
    bytes: [...a("request"), 0, ...a("headers"), 0, ...a("user-agent")],
  },
  {
    name: "a segment with dots and slashes is one segment",
    segments: ["metadata", "filter_metadata", "envoy.filters.http.jwt_authn", "payload", "iss"],
    bytes: [
      ...a("metadata"), 0, ...a("filter_metadata"), 0, ...a("envoy.filters.http.jwt_authn"), 0,
      ...a("payload"), 0, ...a("iss"),
    ],
  },
  { name: "empty path", segments: [], bytes: [] },
];
