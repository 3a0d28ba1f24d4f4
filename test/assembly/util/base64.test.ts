// assembly/util/base64.ts through @assemblyscript/loader: RFC 4648 §10 test vectors, both alphabets, the
// three padding modes, strict rejection of malformed input, and property tests against Node's Buffer.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { HelperModule } from "./helper-module";

const base64 = new HelperModule("base64");
const RUNS = { numRuns: 2000 };

// Base64Padding numbers in assembly/util/base64.ts.
const Padding = { Required: 0, Forbidden: 1, Optional: 2 } as const;

const encode = (bytes: Uint8Array | string, url = false, pad = true): string =>
  base64.string("encode", typeof bytes === "string" ? Buffer.from(bytes) : bytes, url, pad)!;

function decode(text: string, url = false, padding: number = Padding.Optional): Buffer | string {
  const bytes = base64.bytes("decode", text, url, padding);
  return bytes === null ? `error: ${base64.string("decodeError")}` : Buffer.from(bytes);
}

describe("RFC 4648 §10 vectors", () => {
  test.each([
    ["", ""],
    ["f", "Zg=="],
    ["fo", "Zm8="],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg=="],
    ["fooba", "Zm9vYmE="],
    ["foobar", "Zm9vYmFy"],
  ])("%j ↔ %j", (plain, encoded) => {
    expect(encode(plain)).toBe(encoded);
    expect(encode(plain, false, false)).toBe(encoded.replace(/=+$/, ""));
    expect(decode(encoded, false, Padding.Required)).toEqual(Buffer.from(plain));
    expect(decode(encoded.replace(/=+$/, ""), false, Padding.Forbidden)).toEqual(Buffer.from(plain));
  });

  test("the URL alphabet uses - and _ where the standard one uses + and /", () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf]);
    expect(encode(bytes)).toBe("+/+/");
    expect(encode(bytes, true)).toBe("-_-_");
    expect(decode("-_-_", true)).toEqual(Buffer.from(bytes));
    expect(decode("-_-_", false)).toBe("error: invalid base64 character '-' at offset 0");
    expect(decode("+/+/", true)).toBe("error: invalid base64 character '+' at offset 0");
  });

  test("a JWT header segment (base64url, no padding)", () => {
    expect(decode("eyJhbGciOiJSUzI1NiJ9", true, Padding.Forbidden)).toEqual(Buffer.from('{"alg":"RS256"}'));
  });
});

describe("malformed input is an error with the offending offset", () => {
  test.each([
    ["Zg", Padding.Required, "missing base64 padding at offset 2"],
    ["Zg==", Padding.Forbidden, "base64 padding '=' not allowed at offset 2"],
    ["Zg=", Padding.Optional, "invalid base64 padding at offset 2"],
    ["Zg===", Padding.Optional, "invalid base64 padding at offset 2"],
    ["Zm9v====", Padding.Optional, "invalid base64 padding at offset 4"],
    ["Z", Padding.Optional, "invalid base64 length at offset 0"],
    ["Zm9vY", Padding.Forbidden, "invalid base64 length at offset 4"],
    ["Zm 9v", Padding.Optional, "invalid base64 character U+0020 at offset 2"],
    ["Zm9v\n", Padding.Optional, "invalid base64 character U+000A at offset 4"],
    ["Zg==Zg==", Padding.Optional, "invalid base64 character '=' at offset 2"],
    ["Zh==", Padding.Optional, "non-canonical base64 (unused bits set) at offset 1"],
    ["Zm9=", Padding.Optional, "non-canonical base64 (unused bits set) at offset 2"],
    ["Zm\u00e9v", Padding.Optional, "invalid base64 character U+00E9 at offset 2"],
  ])("%j (padding mode %i)", (text, padding, message) => {
    expect(decode(text, false, padding)).toBe(`error: ${message}`);
    expect(base64.number("decodeOffset")).toBe(Number(/offset (\d+)$/.exec(message)![1]));
  });
});

describe("properties against Node's Buffer", () => {
  test("encode equals Buffer's base64 / base64url, and decoding gives the bytes back in every mode", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const standard = Buffer.from(bytes).toString("base64");
        const url = Buffer.from(bytes).toString("base64url"); // unpadded
        expect(encode(bytes)).toBe(standard);
        expect(encode(bytes, false, false)).toBe(standard.replace(/=+$/, ""));
        expect(encode(bytes, true, false)).toBe(url);
        expect(encode(bytes, true, true)).toBe(standard.replaceAll("+", "-").replaceAll("/", "_"));
        expect(decode(standard, false, Padding.Required)).toEqual(Buffer.from(bytes));
        expect(decode(standard, false, Padding.Optional)).toEqual(Buffer.from(bytes));
        expect(decode(url, true, Padding.Forbidden)).toEqual(Buffer.from(bytes));
        expect(decode(url, true, Padding.Optional)).toEqual(Buffer.from(bytes));
      }),
      RUNS,
    );
  });

  test("whatever is accepted is canonical: Buffer decodes it the same and re-encoding gives the input", () => {
    const alphabet = "ABCZabcz0189+/-_= \n*";
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 16 }),
        fc.boolean(),
        fc.constantFrom(Padding.Required, Padding.Forbidden, Padding.Optional),
        (text, url, padding) => {
          const decoded = decode(text, url, padding);
          if (typeof decoded === "string") return; // rejected: nothing more to check
          expect(decoded).toEqual(Buffer.from(text, url ? "base64url" : "base64"));
          expect(encode(decoded, url, text.endsWith("=") || (padding === Padding.Required && text.length > 0))).toBe(text);
        },
      ),
      RUNS,
    );
  });
});
