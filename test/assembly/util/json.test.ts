// assembly/util/json.ts through @assemblyscript/loader: the strict JSON DOM parser (RFC 8259 + the SDK's
// one-meaning rules) and JsonWriter. Golden documents and errors (with byte offset, line, column), Istio's
// pluginConfig encoding (deployment.md §B.6), and property tests against test/support/reference/json.ts
// (JSON.parse + duplicate keys, lone surrogates, range, depth) and Number() for number conversion.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { parseJson as referenceParse, parseJsonBytes as referenceParseBytes } from "../../support/reference/json";
import { isWellFormed, toWellFormed } from "../../support/reference/unicode";
import { HelperModule } from "./helper-module";

const json = new HelperModule("json");
const RUNS = { numRuns: 2000 };

// JsonKind and writer flags in assembly/util/json.ts.
const Kind = { Null: 0, Bool: 1, Number: 2, String: 3, Array: 4, Object: 5 } as const;
const ESCAPE_HTML = 1;
const ASCII_ONLY = 2;

interface Parsed {
  ok: boolean;
  json: string | null;
  error: string | null;
  offset: number;
  line: number;
  column: number;
}

function parse(text: string | Uint8Array): Parsed {
  const ok = typeof text === "string" ? json.bool("parse", text) : json.bool("parseBytes", text);
  return {
    ok,
    json: json.string("resultJson", 0),
    error: json.string("resultError"),
    offset: json.number("resultOffset"),
    line: json.number("resultLine"),
    column: json.number("resultColumn"),
  };
}

/** The parsed document as a JavaScript value (through the writer and JSON.parse). */
function value(text: string): unknown {
  const result = parse(text);
  if (!result.ok) throw new Error(`parse failed: ${result.error}`);
  return JSON.parse(result.json!);
}

describe("accepted documents", () => {
  test.each([
    ["null", null],
    ["true", true],
    ["false", false],
    ["0", 0],
    ["-0", -0],
    ["1.5e+3", 1500],
    ["1E-2", 0.01],
    ['"x"', "x"],
    ["[]", []],
    ["{}", {}],
    [' \t\r\n[1, "a", {"b": [true, null]}] \n', [1, "a", { b: [true, null] }]],
    ['"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00"', '"\\/\b\f\n\r\tA\u00e9\u20ac\u{1f600}'],
    ['"caf\u00e9 \u{1f600}"', "caf\u00e9 \u{1f600}"],
  ])("%s", (text, expected) => {
    expect(value(text)).toEqual(expected);
  });

  test("Istio pluginConfig encoding (jsonpb: sorted keys, \\u003c-style escapes, exponent numbers, no whitespace)", () => {
    const text =
      '{"allow":["10.0.0.0/8"],"html":"\\u003cscript\\u003e \\u0026 \\u2028","n":1e+21,"neg":-5,"small":1e-7,"nested":{"k":1.5}}';
    expect(value(text)).toEqual(JSON.parse(text));
    expect(json.string("resultGet", "n")).toBe("1e+21");
  });

  test("object keys keep document order", () => {
    parse('{"b":1,"a":2,"c":{"z":0,"y":1}}');
    expect(json.string("resultKeys")).toBe("b\na\nc");
    expect(json.string("resultJson", 0)).toBe('{"b":1,"a":2,"c":{"z":0,"y":1}}');
  });

  test("numbers keep their source text: integers above 2^53 are detectable and written back unchanged", () => {
    parse("9007199254740993");
    expect(json.number("resultNumber")).toBe(9007199254740992);
    expect(json.string("resultNumberText")).toBe("9007199254740993");
    expect(json.bool("resultIsSafeInteger")).toBe(false);
    parse('{"id":12345678901234567890123,"f":1.0,"e":1E2}');
    expect(json.string("resultJson", 0)).toBe('{"id":12345678901234567890123,"f":1.0,"e":1E2}');
    for (const [text, safe] of [["9007199254740991", true], ["-9007199254740991", true], ["1.0", true], ["1e2", true], ["1.5", false], ["9007199254740992", false]] as const) {
      parse(text);
      expect(json.bool("resultIsSafeInteger"), text).toBe(safe);
    }
  });

  test("asIntegerOr: exact integers of at most 15 significant digits, read from the text", () => {
    const NONE = -123456789n;
    const cases: Array<[string, bigint]> = [
      ["0", 0n], ["-0", 0n], ["42", 42n], ["-7", -7n], ["1.0", 1n], ["1e2", 100n], ["1E+2", 100n], ["0.5e1", 5n],
      ["120e-1", 12n], ["100e-2", 1n], ["0.000e5", 0n], ["1.50e1", 15n], ["999999999999999", 999999999999999n],
      ["1000000000000000", 1000000000000000n], ["-1000000000000000", -1000000000000000n],
      ["1.5", NONE], ["1e-1", NONE], ["1000000000000001", NONE], ["1e16", NONE], ["9007199254740993", NONE],
      ["1" + "0".repeat(30), NONE], ["1e400", NONE], ["1e-400", NONE], ["1.00000000000000000001", NONE],
      ["1." + "0".repeat(40), 1n], ["0." + "0".repeat(40) + "1e41", 1n], ['"7"', NONE], ["true", NONE], ["null", NONE],
      ["[1]", NONE],
    ];
    for (const [text, expected] of cases) {
      if (text === "1e400") continue; // out of the double range: a parse error, covered elsewhere
      expect(json.bool("parse", text), text).toBe(true);
      expect(json.call("resultIntegerOr", NONE), text).toBe(expected);
    }
    // Built numbers (no source text) are read from their double.
    expect(json.call("builtIntegerOr", 3, NONE)).toBe(3n);
    expect(json.call("builtIntegerOr", 3.5, NONE)).toBe(NONE);
    expect(json.call("builtIntegerOr", 1e16, NONE)).toBe(NONE);
  });

  test("property: asIntegerOr agrees with the exact value of the number's text", () => {
    const text = fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 18n }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: -8, max: 8 }))
      .map(([negative, digits, fraction, exponent]) => {
        const d = digits.toString();
        const cut = Math.max(0, d.length - fraction);
        const mantissa = fraction > 0 && cut < d.length ? `${d.slice(0, cut) || "0"}.${d.slice(cut)}` : d;
        return { text: `${negative ? "-" : ""}${mantissa}e${exponent}`, negative, digits, scale: exponent - (fraction > 0 && cut < d.length ? d.length - cut : 0) };
      });
    const NONE = -123456789n;
    fc.assert(
      fc.property(text, ({ text, negative, digits, scale }) => {
        expect(json.bool("parse", text), text).toBe(true);
        // The exact value digits × 10^scale: an integer when the scaled-away digits are zeros.
        let value: bigint | null = digits;
        if (scale >= 0) value = digits * 10n ** BigInt(scale);
        else if (digits % 10n ** BigInt(-scale) === 0n) value = digits / 10n ** BigInt(-scale);
        else value = null;
        const expected = value !== null && value <= 10n ** 15n ? (negative ? -value : value) : NONE;
        expect(json.call("resultIntegerOr", NONE), text).toBe(expected === -0n ? 0n : expected);
      }),
      { numRuns: 3000 },
    );
  });

  test("accessors on the wrong kind return neutral values instead of trapping", () => {
    parse('"s"');
    expect(json.number("resultKind")).toBe(Kind.String);
    expect(json.string("wrongKindAccessors")).toBe("false,NaN,str,null,null,null,null");
    parse("[7]");
    expect(json.string("wrongKindAccessors")).toBe("false,NaN,null,arr,null,item,null");
    expect(json.string("resultAt", 0)).toBe("7");
    expect(json.string("resultAt", 1)).toBeNull();
    expect(json.string("resultAt", -1)).toBeNull();
    parse('{"a":1}');
    expect(json.string("wrongKindAccessors")).toBe("false,NaN,null,null,obj,null,member");
    expect(json.string("resultGet", "b")).toBeNull();
  });
});

describe("rejected documents: message, byte offset, line and column", () => {
  test.each([
    ['{"a":tru}', "invalid literal, expected 'true'", 5, 1, 6],
    ["nul", "invalid literal, expected 'null'", 0, 1, 1],
    ['{"a":1,}', "unexpected '}', expected a string key", 7, 1, 8],
    ["[1,]", "unexpected ']', expected a value", 3, 1, 4],
    ["[1 2]", "unexpected '2', expected ',' or ']'", 3, 1, 4],
    ['{"a" 1}', "unexpected '1', expected ':'", 5, 1, 6],
    ["{a:1}", "unexpected 'a', expected a string key", 1, 1, 2],
    ["{'a':1}", "unexpected ''', expected a string key", 1, 1, 2],
    ["01", "invalid number: leading zero", 0, 1, 1],
    ["-01", "invalid number: leading zero", 0, 1, 1],
    ["1.", "invalid number: missing digits after '.'", 2, 1, 3],
    [".5", "unexpected '.', expected a value", 0, 1, 1],
    ["+1", "unexpected '+', expected a value", 0, 1, 1],
    ["-", "invalid number: missing digits", 1, 1, 2],
    ["1e", "invalid number: missing exponent digits", 2, 1, 3],
    ["1e+", "invalid number: missing exponent digits", 3, 1, 4],
    ["NaN", "unexpected 'N', expected a value", 0, 1, 1],
    ["-Infinity", "invalid number: missing digits", 1, 1, 2],
    ["0x10", "unexpected 'x', expected end of input after the JSON value", 1, 1, 2],
    ["1e400", "number out of range", 0, 1, 1],
    ["-1e400", "number out of range", 0, 1, 1],
    ["// comment\n{}", "unexpected '/', expected a value", 0, 1, 1],
    ['{"a":1}{"b":2}', "unexpected '{', expected end of input after the JSON value", 7, 1, 8],
    ['"abc', "unterminated string", 0, 1, 1],
    ['"abc\\', "unterminated string", 0, 1, 1],
    ['"\\x"', "invalid escape sequence in string", 1, 1, 2],
    ['"\\u12"', "invalid \\u escape (expected 4 hex digits)", 1, 1, 2],
    ['"\\ud800"', "lone surrogate \\ud800 in string", 1, 1, 2],
    ['"\\udc00x"', "lone surrogate \\udc00 in string", 1, 1, 2],
    ['"\\ud800\\u0041"', "lone surrogate \\ud800 in string", 1, 1, 2],
    ['"a\nb"', "control character in string (must be escaped)", 2, 1, 3],
    ['"a\tb"', "control character in string (must be escaped)", 2, 1, 3],
    ["\ufeff{}", "unexpected byte order mark, expected a value", 0, 1, 1],
    ["", "empty input", 0, 1, 1],
    [" \n\t ", "empty input", 4, 2, 3],
    ["[", "unexpected end of input, expected a value", 1, 1, 2],
    ['{"a":1', "unexpected end of input, expected ',' or '}'", 6, 1, 7],
    ['{"a":1,"a":2}', 'duplicate key "a"', 7, 1, 8],
    ['{"a":1,"\\u0061":2}', 'duplicate key "a"', 7, 1, 8],
    ['{"x":{"k":1,"k":[]}}', 'duplicate key "k"', 12, 1, 13],
    ['{"\u00e9":1,"\u00e9":2}', 'duplicate key "\\u00e9"', 8, 1, 8],
    ['{\n  "a": 1,\n  "b": tru\n}', "invalid literal, expected 'true'", 19, 3, 8],
    ['{"\u00e9\u{1f600}":x}', "unexpected 'x', expected a value", 10, 1, 7],
  ])("%j → %s", (text, message, offset, line, column) => {
    const result = parse(text);
    expect(result.ok).toBe(false);
    expect(result.json).toBeNull();
    expect({ error: result.error, offset: result.offset, line: result.line, column: result.column }).toEqual({
      error: message,
      offset,
      line,
      column,
    });
    expect(json.string("resultDescribeError")).toBe(`line ${line}, column ${column}: ${message}`);
    expect(referenceParse(text).ok).toBe(false);
  });

  test("invalid UTF-8 inside strings, and any non-ASCII byte outside them, are errors (parseJsonBytes)", () => {
    const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
    const quoted = (...inner: number[]): Uint8Array => bytes(0x5b, 0x22, ...inner, 0x22, 0x5d);
    expect(parse(quoted(0xc0, 0xaf))).toMatchObject({ ok: false, error: "overlong UTF-8 encoding", offset: 2 });
    expect(parse(quoted(0xed, 0xa0, 0x80))).toMatchObject({ ok: false, error: "UTF-8 encoded surrogate (U+D800..U+DFFF)", offset: 2 });
    expect(parse(quoted(0x61, 0xe2, 0x82))).toMatchObject({ ok: false, error: "truncated UTF-8 sequence", offset: 3 });
    expect(parse(quoted(0x5c, 0x6e, 0xff))).toMatchObject({ ok: false, error: "invalid UTF-8 byte", offset: 4 });
    expect(parse(bytes(0x5b, 0x31, 0x5d, 0xff))).toMatchObject({ ok: false, error: "unexpected byte 0xff, expected end of input after the JSON value", offset: 3 });
    expect(parse(quoted(0xf0, 0x9f, 0x98, 0x80))).toMatchObject({ ok: true, json: '["\u{1f600}"]' });
  });

  test("a lone surrogate in JavaScript/AssemblyScript text input is an error, not U+FFFD", () => {
    expect(parse('["\ud800"]')).toMatchObject({ ok: false, error: "UTF-8 encoded surrogate (U+D800..U+DFFF)", offset: 2 });
  });

  test("limits: 64 levels of nesting are fine, 65 are an error; input size is capped", () => {
    expect(parse("[".repeat(64) + "]".repeat(64)).ok).toBe(true);
    expect(parse('{"a":'.repeat(64) + "1" + "}".repeat(64)).ok).toBe(true);
    expect(parse("[".repeat(65) + "]".repeat(65))).toMatchObject({ ok: false, error: "nesting deeper than 64 levels", offset: 64 });
    expect(parse("[".repeat(100000))).toMatchObject({ ok: false, error: "nesting deeper than 64 levels", offset: 64 });
    expect(json.bool("parseWithLimits", "[[1]]", 1, 100)).toBe(false);
    expect(json.string("resultError")).toBe("nesting deeper than 1 levels");
    expect(json.bool("parseWithLimits", '"abcd"', 64, 6)).toBe(true);
    expect(json.bool("parseWithLimits", '"abcde"', 64, 6)).toBe(false);
    expect(json.string("resultError")).toBe("input larger than 6 bytes");
    // The default cap is 1 MiB of UTF-8.
    expect(parse(`"${"a".repeat((1 << 20) - 2)}"`).ok).toBe(true);
    expect(parse(`"${"a".repeat((1 << 20) - 1)}"`)).toMatchObject({ ok: false, error: "input larger than 1048576 bytes" });
  });

  test("large objects: every key is found and a duplicate late in the object is caught", () => {
    expect(json.bool("objectIndexCheck", 3000)).toBe(true);
    expect(json.bool("objectIndexCheck", 5)).toBe(true);
    const members = Array.from({ length: 5000 }, (_, i) => `"k${i}":${i}`);
    parse(`{${members.join(",")}}`);
    expect(json.string("resultGet", "k4999")).toBe("4999");
    expect(json.string("resultGet", "k5000")).toBeNull();
    expect(parse(`{${members.join(",")},"k1234":0}`)).toMatchObject({ ok: false, error: 'duplicate key "k1234"' });
  });
});

describe("number conversion is correctly rounded (AssemblyScript's parseFloat is not)", () => {
  test.each([
    "0.1", "0.30000000000000004", "6.8428565653997535e52", "2.2250738585072011e-308", "2.2250738585072014e-308",
    "4.9e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1.7976931348623157e308", "1.7976931348623158e308",
    "1e23", "8.98846567431158e307", "9007199254740993", "123456789012345678901234567890", "1e-400", "0.000001", "1e21",
    "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791",
    "0." + "0".repeat(340) + "1",
    "1" + "0".repeat(400) + "e-400",
    // The largest scratch integers: 800+ significant digits at the smallest exponents.
    "9".repeat(800) + "e-1142",
    "0." + "0".repeat(341) + "9".repeat(900),
    "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324",
    "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798214808651e0",
  ])("%s", (text) => {
    parse(text);
    expect(Object.is(json.number("resultNumber"), Number(text))).toBe(true);
  });

  test("property: every double, printed in several forms, parses back to itself", () => {
    const bits = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((b) => new Float64Array(new BigUint64Array([b]).buffer)[0]!);
    fc.assert(
      fc.property(fc.oneof(bits, fc.double()), fc.integer({ min: 1, max: 21 }), (x, precision) => {
        if (!Number.isFinite(x)) return;
        for (const text of [String(x), x.toExponential(), x.toPrecision(precision), x.toExponential(precision - 1)]) {
          const ok = json.bool("parse", text);
          // Rounding to few digits can leave the double range ("-2e+308"): then it is an error.
          if (Number.isFinite(Number(text))) expect(Object.is(json.number("resultNumber"), Number(text)), text).toBe(true);
          else expect(ok ? "accepted" : json.string("resultError"), text).toBe("number out of range");
        }
      }),
      { numRuns: 10000 },
    );
  });

  test("property: random decimal strings convert like Number(), and overflow is an error", () => {
    const digits = fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 1, maxLength: 40 });
    const text = fc
      .tuple(fc.boolean(), digits, fc.option(digits), fc.option(fc.integer({ min: -400, max: 400 })))
      .map(([negative, integer, fraction, exponent]) => {
        const intPart = integer.replace(/^0+(?=\d)/, "");
        return `${negative ? "-" : ""}${intPart}${fraction === null ? "" : "." + fraction}${exponent === null ? "" : "e" + exponent}`;
      });
    fc.assert(
      fc.property(text, (t) => {
        const ok = json.bool("parse", t);
        const expected = Number(t);
        if (Number.isFinite(expected)) {
          expect(ok).toBe(true);
          expect(Object.is(json.number("resultNumber"), expected), t).toBe(true);
        } else {
          expect(json.string("resultError")).toBe("number out of range");
        }
      }),
      { numRuns: 10000 },
    );
  });
});

describe("properties against the reference (JSON.parse + duplicate keys, lone surrogates, range, depth)", () => {
  const documents = fc.oneof(
    fc.json({ maxDepth: 6 }),
    fc.json({ maxDepth: 4, stringUnit: "binary" }),
    fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v, null, 2)),
  );

  test("valid documents round-trip through the parser and the writer", () => {
    fc.assert(
      fc.property(documents, (text) => {
        const expected = referenceParse(text);
        const result = parse(text);
        expect(result.ok).toBe(expected.ok);
        if (expected.ok) expect(JSON.parse(result.json!)).toEqual(expected.value);
      }),
      RUNS,
    );
  });

  test("mutated documents: accepted exactly when the reference accepts, with the same value", () => {
    const edit = fc.tuple(
      fc.nat(),
      fc.nat(3),
      fc.constantFrom("{", "}", "[", "]", ",", ":", '"', "\\", " ", "0", "1", "-", ".", "e", "+", "t", "n", "u", "\\u", "\\ud800", '"a":1,', "\n", "\u00e9", "\x01", "\ufeff"),
    );
    const mutated = fc.tuple(documents, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([text, edits]) => {
      let out = text;
      for (const [at, kind, insert] of edits) {
        const i = out.length === 0 ? 0 : at % (out.length + 1);
        if (kind === 0) out = out.slice(0, i) + out.slice(i + 1); // delete
        else if (kind === 1) out = out.slice(0, i) + insert + out.slice(i); // insert
        else if (kind === 2) out = out.slice(0, i) + insert + out.slice(i + 1); // replace
        else out = out.slice(0, i); // truncate
      }
      return out;
    });
    fc.assert(
      fc.property(mutated, (text) => {
        const expected = referenceParse(text);
        const result = parse(text);
        expect(result.ok, `${JSON.stringify(text)}: ${result.error} / ${expected.ok ? "ok" : expected.reason}`).toBe(expected.ok);
        if (expected.ok) expect(JSON.parse(result.json!)).toEqual(expected.value);
        else expect(result.offset).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 5000 },
    );
  });

  test("duplicate keys anywhere are rejected", () => {
    const withDuplicate = fc
      .tuple(fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 6 }), fc.nat(), fc.jsonValue({ maxDepth: 1 }))
      .map(([object, pick, extra]) => {
        const keys = Object.keys(object);
        const key = keys[pick % keys.length]!;
        const body = JSON.stringify(object).slice(1, -1);
        return { text: `{"wrap":[{${body},${JSON.stringify(key)}:${JSON.stringify(extra)}}]}`, key };
      });
    fc.assert(
      fc.property(withDuplicate, ({ text, key }) => {
        const result = parse(text);
        expect(result.ok).toBe(false);
        expect(result.error).toBe(`duplicate key ${json.string("quote", key, ASCII_ONLY)}`);
        expect(referenceParse(text).ok).toBe(false);
      }),
      RUNS,
    );
  });

  test("arbitrary bytes: the byte parser agrees with a fatal UTF-8 decode + the reference", () => {
    const nearlyJson = fc
      .tuple(fc.json({ maxDepth: 3, stringUnit: "binary" }), fc.uint8Array({ maxLength: 3 }), fc.nat())
      .map(([text, junk, at]) => {
        const bytes = Buffer.from(text, "utf8");
        const i = at % (bytes.length + 1);
        return Uint8Array.from([...bytes.subarray(0, i), ...junk, ...bytes.subarray(i)]);
      });
    fc.assert(
      fc.property(fc.oneof(nearlyJson, fc.uint8Array({ maxLength: 24 })), (bytes) => {
        const expected = referenceParseBytes(bytes);
        const result = parse(bytes);
        expect(result.ok).toBe(expected.ok);
        if (expected.ok) expect(JSON.parse(result.json!)).toEqual(expected.value);
      }),
      RUNS,
    );
  });
});

describe("JsonWriter", () => {
  test("escapes so that no value can end its string or add a line", () => {
    const nasty = 'a"b\\c\n\r\t\b\f\x00\x1f\x7f</script>&\u2028\u2029\ud800\u00e9\u{1f600}';
    expect(json.string("quote", nasty, 0)).toBe(
      '"a\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f\\u007f</script>&\\u2028\\u2029\ufffd\u00e9\u{1f600}"',
    );
    expect(json.string("quote", nasty, ESCAPE_HTML)).toBe(
      '"a\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f\\u007f\\u003c/script\\u003e\\u0026\\u2028\\u2029\ufffd\u00e9\u{1f600}"',
    );
    expect(json.string("quote", nasty, ESCAPE_HTML | ASCII_ONLY)).toBe(
      '"a\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f\\u007f\\u003c/script\\u003e\\u0026\\u2028\\u2029\\ufffd\\u00e9\\ud83d\\ude00"',
    );
  });

  test("property: any string (lone surrogates included) quotes to JSON that reads back as its well-formed form", () => {
    const anyUtf16 = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 30 }).map((units) => String.fromCharCode(...units));
    fc.assert(
      fc.property(fc.oneof(anyUtf16, fc.string({ unit: "binary" })), fc.nat(3), (text, flags) => {
        const quoted = json.string("quote", text, flags)!;
        expect(JSON.parse(quoted)).toBe(toWellFormed(text));
        expect(quoted).not.toMatch(/[\x00-\x1f\x7f\u2028\u2029]/);
        expect(isWellFormed(quoted)).toBe(true);
        if (flags & ESCAPE_HTML) expect(quoted).not.toMatch(/[<>&]/);
        if (flags & ASCII_ONLY) expect(quoted).toMatch(/^[\x20-\x7e]*$/);
        // Our own parser reads it back too, and writing again gives the same text.
        parse(quoted);
        expect(json.string("resultJson", flags)).toBe(quoted);
        const bytes = json.bytes("writeStringBytes", text, flags)!;
        expect(new TextDecoder("utf-8", { fatal: true }).decode(bytes)).toBe(quoted);
      }),
      RUNS,
    );
  });

  test("numbers: integers exactly, others in a form that reads back to the same double; non-finite as null", () => {
    expect(json.string("formatNumber", 1)).toBe("1");
    expect(json.string("formatNumber", -0)).toBe("0");
    expect(json.string("formatNumber", 1.5)).toBe("1.5");
    expect(json.string("formatNumber", 1e21)).toBe("1e+21");
    expect(json.string("formatNumber", 1e-7)).toBe("1e-7");
    expect(json.string("formatNumber", 2 ** 53)).toBe("9007199254740992");
    expect(json.string("formatNumber", 123456789012345680000)).toBe("123456789012345680000");
    expect(json.string("formatNumber", Number.NaN)).toBe("null");
    expect(json.string("writeInt", 9223372036854775807n)).toBe("9223372036854775807");
    expect(json.string("writeInt", -9223372036854775808n)).toBe("-9223372036854775808");
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const text = json.string("writeNumber", x)!;
        expect(Object.is(Number(text), x === 0 ? 0 : x), text).toBe(true);
        expect(referenceParse(text).ok).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  test("scripted sessions: valid output, or the first misuse recorded (never a trap)", () => {
    const scenario = (id: number): [string, string, string] => json.string("writerScenario", id)!.split("|") as [string, string, string];
    expect(scenario(0)).toEqual(['{"s":"a\\"b","i":-42,"n":1.5,"b":false,"z":null,"list":[1,{},[],"x"]}', "", "1"]);
    expect(scenario(1)).toEqual(["{}", "value without a key inside an object", "0"]);
    expect(scenario(2)).toEqual(["[]", "key outside an object or without a value", "0"]);
    expect(scenario(3)).toEqual(["[", "endObject without a matching beginObject", "0"]);
    expect(scenario(4)).toEqual(["1", "more than one top-level value", "0"]);
    expect(scenario(5)).toEqual(['{"k":', "key without a value", "0"]);
    expect(scenario(6)).toEqual(["[".repeat(64), "nesting deeper than 64 levels", "0"]);
    expect(scenario(7)).toEqual(["", "endArray without a matching beginArray", "0"]);
    expect(scenario(8)).toEqual(['{"a":', "", "0"]);
    expect(scenario(9)).toEqual(['{"x":0.1,"y":[true,null,"\\u2028"]}', "", "1"]);
    expect(scenario(10)).toEqual(["[null,null,null,0]", "", "1"]);
  });
});
