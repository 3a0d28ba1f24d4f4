// deployment.md §B.6: istiod marshals spec.pluginConfig (a google.protobuf.Struct) with jsonpb, whose leaf values
// go through Go encoding/json. The expected strings below were produced by Go 1.26 encoding/json from the same
// inputs decoded as a Struct decodes them (every number a float64, objects as maps) — not by this code.
import { describe, expect, test } from "vitest";
import { goFloat64, goJsonEncode, goJsonNumberFromUnstructured, istioPluginConfigJson } from "../../../cli/lib/istio-plugin-config";

describe("istioPluginConfigJson", () => {
  test("the reference example: sorted keys, HTML-safe escaping, numbers as doubles", () => {
    expect(istioPluginConfigJson({ b: 2, a: "<x>", n: 10000000000000000001 })).toBe('{"a":"\\u003cx\\u003e","b":2,"n":10000000000000000000}');
  });

  test("absent, null and {} pluginConfig give an empty configuration (0 bytes)", () => {
    expect(istioPluginConfigJson(undefined)).toBe("");
    expect(istioPluginConfigJson(null)).toBe("");
    expect(istioPluginConfigJson({})).toBe("");
    // Only the top level: a nested empty object is kept.
    expect(istioPluginConfigJson({ a: {} })).toBe('{"a":{}}');
  });

  test("numbers print as Go float64", () => {
    const numbers = [1.5, 1e21, 1e-7, 0.000001, 123456789012345680000, -0, 100, 2.5e-8, 1e100, 0.1, 12345.678, -1e-300, 5e-324, 1.7976931348623157e308, 999999999999999999999, 1e20];
    expect(istioPluginConfigJson({ n: numbers })).toBe(
      '{"n":[1.5,1e+21,1e-7,0.000001,123456789012345680000,-0,100,2.5e-8,1e+100,0.1,12345.678,-1e-300,5e-324,1.7976931348623157e+308,1e+21,100000000000000000000]}',
    );
  });

  test("strings: control characters, \\b \\f short forms, HTML characters, U+2028/2029, raw non-ASCII", () => {
    const config = {
      s: "ctl \u0000\u0001\b\f\n\r\t\u001f\u007f end",
      h: '<a href="x">&amp;</a>',
      u: "\u2028\u2029 é 😀 \\ /",
    };
    expect(istioPluginConfigJson(config)).toBe(
      '{"h":"\\u003ca href=\\"x\\"\\u003e\\u0026amp;\\u003c/a\\u003e","s":"ctl \\u0000\\u0001\\b\\f\\n\\r\\t\\u001f\u007f end","u":"\\u2028\\u2029 é 😀 \\\\ /"}',
    );
  });

  test("keys sort by UTF-8 bytes (Go), not UTF-16 code units (JS)", () => {
    const config = { b: 1, a: 1, B: 1, é: 1, "😀": 1, "\uffff": 1, "": 1, "a\u0000": 1 };
    expect(istioPluginConfigJson(config)).toBe('{"":1,"B":1,"a":1,"a\\u0000":1,"b":1,"é":1,"\uffff":1,"😀":1}');
  });

  test("nesting, booleans, null, list order", () => {
    expect(istioPluginConfigJson({ z: { y: [true, false, null, { d: 1, c: [{}] }] }, a: null })).toBe('{"a":null,"z":{"y":[true,false,null,{"c":[{}],"d":1}]}}');
  });

  test("a lone surrogate arrives as U+FFFD", () => {
    expect(istioPluginConfigJson({ lone: "\ud800x" })).toBe('{"lone":"\ufffdx"}');
  });

  test("rejects what a Struct cannot hold", () => {
    expect(() => istioPluginConfigJson([1])).toThrow(/must be an object/);
    expect(() => istioPluginConfigJson({ x: Number.NaN })).toThrow(/pluginConfig.x: NaN/);
    expect(() => istioPluginConfigJson({ f: () => 1 })).toThrow(/a function cannot be encoded/);
  });
});

describe("Go number formatting", () => {
  test("goFloat64 switches to exponent form outside [1e-6, 1e21)", () => {
    expect(goFloat64(0.000001)).toBe("0.000001");
    expect(goFloat64(0.00000099)).toBe("9.9e-7");
    expect(goFloat64(1e21)).toBe("1e+21");
    expect(goFloat64(-123.25)).toBe("-123.25");
  });

  test("unstructured Kubernetes numbers keep integers as integers (Envoy Gateway config)", () => {
    // int64 and float64 print alike for every double; only "-0" (an int64 0 once decoded) differs.
    expect(goJsonNumberFromUnstructured(-0)).toBe("0");
    expect(goJsonNumberFromUnstructured(1e21)).toBe("1e+21");
    expect(goJsonNumberFromUnstructured(2.5)).toBe("2.5");
    expect(goJsonEncode({ b: 10, a: "&" }, goJsonNumberFromUnstructured)).toBe('{"a":"\\u0026","b":10}');
  });
});
