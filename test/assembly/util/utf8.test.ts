// assembly/util/utf8.ts through @assemblyscript/loader: strict validation/decoding, lossy decoding and
// encoding, checked against golden byte sequences (Unicode Table 3-7 boundaries) and, by property tests,
// against Node's WHATWG TextDecoder/TextEncoder (fatal and replacement modes) and Buffer.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { isWellFormed, toWellFormed } from "../../support/reference/unicode";
import { HelperModule } from "./helper-module";

const utf8 = new HelperModule("utf8");
const RUNS = { numRuns: 2000 };

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lossy = new TextDecoder("utf-8", { ignoreBOM: true });

function isValid(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// Utf8Error numbers in assembly/util/utf8.ts.
const Utf8Error = { None: 0, InvalidByte: 1, Truncated: 2, Overlong: 3, Surrogate: 4, TooLarge: 5 } as const;

const b = (...values: number[]): Uint8Array => Uint8Array.from(values);

/** Byte strings that are mostly well-formed UTF-8 with occasional damage, to reach the boundaries. */
const nearlyUtf8 = fc
  .array(
    fc.oneof(
      fc.string({ unit: "binary", maxLength: 8 }).map((s) => Buffer.from(s, "utf8")),
      fc.constantFrom(
        b(0xc0, 0xaf), b(0xe0, 0x80, 0xaf), b(0xed, 0xa0, 0x80), b(0xf4, 0x90, 0x80, 0x80), b(0xf5), b(0x80),
        b(0xc2), b(0xe2, 0x82), b(0xf0, 0x9f, 0x98), b(0xff), b(0xdf, 0xbf), b(0xef, 0xbf, 0xbf), b(0xf4, 0x8f, 0xbf, 0xbf),
      ),
      fc.uint8Array({ maxLength: 4 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => Uint8Array.from(parts.flatMap((part) => [...part])));

describe("strict validation (Unicode Table 3-7)", () => {
  test.each([
    ["empty", b(), -1, Utf8Error.None],
    ["ASCII", b(0x61, 0x00, 0x7f), -1, Utf8Error.None],
    ["2-byte minimum U+0080", b(0xc2, 0x80), -1, Utf8Error.None],
    ["3-byte minimum U+0800", b(0xe0, 0xa0, 0x80), -1, Utf8Error.None],
    ["last before surrogates U+D7FF", b(0xed, 0x9f, 0xbf), -1, Utf8Error.None],
    ["first after surrogates U+E000", b(0xee, 0x80, 0x80), -1, Utf8Error.None],
    ["4-byte minimum U+10000", b(0xf0, 0x90, 0x80, 0x80), -1, Utf8Error.None],
    ["maximum U+10FFFF", b(0xf4, 0x8f, 0xbf, 0xbf), -1, Utf8Error.None],
    ["overlong '/' (C0 AF)", b(0x61, 0xc0, 0xaf), 1, Utf8Error.Overlong],
    ["overlong '.' (C0 AE)", b(0xc0, 0xae), 0, Utf8Error.Overlong],
    ["overlong 3-byte '/' (E0 80 AF)", b(0xe0, 0x80, 0xaf), 0, Utf8Error.Overlong],
    ["overlong 4-byte (F0 8F BF BF)", b(0xf0, 0x8f, 0xbf, 0xbf), 0, Utf8Error.Overlong],
    ["encoded surrogate U+D800", b(0x41, 0x42, 0xed, 0xa0, 0x80), 2, Utf8Error.Surrogate],
    ["encoded surrogate U+DFFF", b(0xed, 0xbf, 0xbf), 0, Utf8Error.Surrogate],
    ["above U+10FFFF (F4 90 80 80)", b(0xf4, 0x90, 0x80, 0x80), 0, Utf8Error.TooLarge],
    ["F5 never occurs", b(0xf5, 0x80, 0x80, 0x80), 0, Utf8Error.InvalidByte],
    ["FF never occurs", b(0x20, 0xff), 1, Utf8Error.InvalidByte],
    ["lone continuation byte", b(0x80), 0, Utf8Error.InvalidByte],
    ["truncated 2-byte at the end", b(0x61, 0xc3), 1, Utf8Error.Truncated],
    ["truncated 4-byte at the end", b(0xf0, 0x9f, 0x98), 0, Utf8Error.Truncated],
    ["lead byte followed by ASCII", b(0xe2, 0x22, 0x41), 0, Utf8Error.Truncated],
    ["ASCII fast path then error at byte 9", b(0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0xc3), 9, Utf8Error.Truncated],
  ])("%s", (_name, bytes, offset, kind) => {
    expect(utf8.number("firstError", bytes)).toBe(offset);
    expect(utf8.number("lastErrorKind")).toBe(kind);
    expect(isValid(bytes)).toBe(offset === -1);
  });

  test("decodeUtf8 returns an error naming the reason and the byte offset, never a lookalike string", () => {
    expect(utf8.string("decodeStrict", b(0x2f, 0x61, 0xc0, 0xaf))).toBeNull();
    expect(utf8.string("decodeError")).toBe("overlong UTF-8 encoding at byte 2");
    expect(utf8.string("decodeStrict", b(0xed, 0xa0, 0x80))).toBeNull();
    expect(utf8.string("decodeError")).toBe("UTF-8 encoded surrogate (U+D800..U+DFFF) at byte 0");
    expect(utf8.string("decodeStrict", Buffer.from("/caf\u00e9 \u{1f600}", "utf8"))).toBe("/caf\u00e9 \u{1f600}");
    expect(utf8.string("decodeError")).toBeNull();
  });

  test("why the SDK does not use String.UTF8.decode: it maps overlong and damaged bytes to ASCII", () => {
    // AssemblyScript 0.28 std: no validation. An overlong '/' becomes a real '/', and a lead byte swallows
    // the quote after it. The SDK decoders reject (strict) or replace (lossy) instead.
    expect(utf8.string("stdDecode", b(0x61, 0xc0, 0xaf, 0x62))).toBe("a/b");
    expect(utf8.string("stdDecode", b(0xe2, 0x22, 0x41))).not.toContain('"');
    expect(utf8.string("decodeLossy", b(0x61, 0xc0, 0xaf, 0x62))).toBe("a\ufffd\ufffdb");
    expect(utf8.string("decodeLossy", b(0xe2, 0x22, 0x41))).toBe('\ufffd"A');
  });

  test("property: valid exactly when a fatal TextDecoder accepts, with the same text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), nearlyUtf8), (bytes) => {
        const offset = utf8.number("firstError", bytes);
        const decoded = utf8.string("decodeStrict", bytes);
        if (isValid(bytes)) {
          expect(offset).toBe(-1);
          expect(decoded).toBe(fatal.decode(bytes));
        } else {
          expect(decoded).toBeNull();
          // Everything before the offset is valid; the sequence at the offset is not.
          expect(isValid(bytes.subarray(0, offset))).toBe(true);
          expect(lossy.decode(bytes.subarray(offset)).startsWith("\ufffd")).toBe(true);
          expect(utf8.string("decodeError")).toMatch(new RegExp(` at byte ${offset}$`));
        }
      }),
      RUNS,
    );
  });
});

describe("lossy decoding (WHATWG replacement: one U+FFFD per maximal ill-formed subpart)", () => {
  test.each([
    ["truncated then ASCII", b(0xe2, 0x82, 0x41), "\ufffdA"],
    ["each invalid byte separately", b(0xc0, 0xaf), "\ufffd\ufffd"],
    ["surrogate bytes", b(0xed, 0xa0, 0x80), "\ufffd\ufffd\ufffd"],
    ["valid 4-byte kept", b(0xf0, 0x9f, 0x98, 0x80, 0xff), "\u{1f600}\ufffd"],
  ])("%s", (_name, bytes, expected) => {
    expect(utf8.string("decodeLossy", bytes)).toBe(expected);
    expect(lossy.decode(bytes)).toBe(expected);
  });

  test("property: equals Node's TextDecoder with replacement", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 40 }), nearlyUtf8), (bytes) => {
        expect(utf8.string("decodeLossy", bytes)).toBe(lossy.decode(bytes));
      }),
      RUNS,
    );
  });
});

describe("encoding", () => {
  // Any sequence of UTF-16 code units, including lone surrogates.
  const anyUtf16 = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 24 }).map((units) => String.fromCharCode(...units));
  const surrogateHeavy = fc
    .array(fc.constantFrom(0xd800, 0xdbff, 0xdc00, 0xdfff, 0x41, 0xe9, 0x20ac), { maxLength: 12 })
    .map((units) => String.fromCharCode(...units));

  test("lone surrogates become U+FFFD (EF BF BD), pairs become 4 bytes", () => {
    expect([...utf8.bytes("encode", "a\ud800b")!]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62]);
    expect([...utf8.bytes("encode", "\udc00")!]).toEqual([0xef, 0xbf, 0xbd]);
    expect([...utf8.bytes("encode", "\u{1f600}")!]).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    expect(utf8.bool("isWellFormed", "a\ud800")).toBe(false);
    expect(utf8.bool("isWellFormed", "\ud83d\ude00")).toBe(true);
  });

  test("property: encode equals Buffer.from(text, 'utf8'); the length and well-formedness agree", () => {
    fc.assert(
      fc.property(fc.oneof(anyUtf16, surrogateHeavy, fc.string({ unit: "binary" })), (text) => {
        const expected = Buffer.from(text, "utf8");
        expect(Buffer.from(utf8.bytes("encode", text)!)).toEqual(expected);
        expect(utf8.number("encodedLength", text)).toBe(expected.length);
        expect(utf8.bool("isWellFormed", text)).toBe(isWellFormed(text));
        // Encoding output is always valid UTF-8 and decodes back to the well-formed text.
        expect(utf8.string("decodeStrict", expected)).toBe(toWellFormed(text));
      }),
      RUNS,
    );
  });
});
