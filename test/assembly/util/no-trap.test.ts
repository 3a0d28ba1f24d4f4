// No helper in assembly/util traps, whatever the input: every one of them runs (fuzz.loader.ts) on arbitrary
// bytes, on arbitrary UTF-16 text (lone surrogates included) and on adversarial shapes (deep nesting, huge
// numbers, long runs). A trap (abort, out-of-bounds, unreachable) would surface here as a thrown error; under
// a FAIL_CLOSED Wasm plugin it would turn every request into a 503.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { HelperModule } from "./helper-module";

const fuzz = new HelperModule("fuzz");

describe("no helper traps", () => {
  test("on arbitrary bytes (fast-check uint8Array)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        expect(Number.isInteger(fuzz.number("exerciseBytes", bytes))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  test("on arbitrary UTF-16 text, lone surrogates included", () => {
    const anyUtf16 = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 64 }).map((units) => String.fromCharCode(...units));
    const structured = fc
      .array(fc.constantFrom("{", "}", "[", "]", '"', ":", ",", "\\u", "\\ud800", "%", "%2f", "/", "..", ".", ";", "::", "1", "e999", "-", "=", "\ud800", "\udc00", "\u{1f600}", " ", "255.", "/33"), { maxLength: 40 })
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(fc.oneof(anyUtf16, structured, fc.string({ unit: "binary", maxLength: 64 })), (text) => {
        expect(Number.isInteger(fuzz.number("exerciseText", text))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  test.each([
    ["100,000 open brackets", "[".repeat(100000)],
    ["100,000 open braces with keys", '{"a":'.repeat(20000)],
    ["a 300,000-digit integer", "1".repeat(300000)],
    ["a tiny number with 300,000 zeros", "0." + "0".repeat(300000) + "1"],
    ["a huge exponent", "1e99999999999999999999999"],
    ["a huge negative exponent", "-1.5e-99999999999999999999"],
    ["800 significant digits then more", "0." + "9".repeat(2000) + "e-300"],
    ["truncated documents", '{"a":[1,2,{"b":"\\ud83d\\ude00"}],"c":1e5}'.slice(0, 17)],
    ["a long run of %", "/" + "%".repeat(50000)],
    ["a long run of ../", "/" + "../".repeat(30000) + "x;"],
    ["a long run of ..; segments", "/" + "%2e%2e;x/".repeat(10000)],
    ["a long IPv6-like string", "1:".repeat(10000) + ":1"],
    ["a long base64 string", "QUFB".repeat(50000) + "="],
    ["1 MiB + 1 of spaces", " ".repeat((1 << 20) + 1)],
  ])("on %s", (_name, text) => {
    expect(Number.isInteger(fuzz.number("exerciseText", text))).toBe(true);
    expect(Number.isInteger(fuzz.number("exerciseBytes", Buffer.from(text, "utf8")))).toBe(true);
  });

  test("on every prefix of a document (truncation at each byte)", () => {
    const document = Buffer.from('{"k":[true,false,null,-1.5e+3,"\\u00e9\\ud83d\\ude00\u00e9",{"x":{}}],"p":"/a/../b?q#f","ip":"[::ffff:1.2.3.4]:80"}', "utf8");
    for (let i = 0; i <= document.length; i++) {
      expect(Number.isInteger(fuzz.number("exerciseBytes", document.subarray(0, i)))).toBe(true);
    }
  });
});
