// assembly/util/config.ts through @assemblyscript/loader: reading a configuration once with every error
// reported at its JSON path. The loader module validates a sample schema shaped like Istio authorization
// policies (config.loader.ts), so the paths are the ones filters print (authz-and-metadata.md §D class 21).
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { HelperModule } from "./helper-module";

const config = new HelperModule("config");

interface Outcome {
  count: number;
  errors: string[];
  summary: string;
  values: string;
}

function validate(input: string | Uint8Array | null | object): Outcome {
  let count: number;
  if (typeof input === "string") count = config.number("validate", input);
  else if (input === null || input instanceof Uint8Array) count = config.number("validateBytes", input);
  else count = config.number("validate", JSON.stringify(input));
  const errors = config.string("errors")!;
  return { count, errors: errors === "" ? [] : errors.split("\n"), summary: config.string("summary")!, values: config.string("values")! };
}

const validPolicies = [
  { name: "allow-internal", spec: { rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8", "2001:db8::/32"] } }] }] } },
  { name: "allow-all", spec: { rules: [{}] } },
];

describe("valid configuration", () => {
  test("values are read, defaults apply, nothing is reported", () => {
    const outcome = validate({ name: "demo", policies: validPolicies });
    expect(outcome).toEqual({
      count: 0,
      errors: [],
      summary: "",
      values: "mode=enforce port=8080 ratio=0.5 verbose=0 name=demo tags= burst=-1 cidrs=2",
    });
  });

  test("every optional key set", () => {
    const outcome = validate({
      mode: "dry-run", port: 443, ratio: 0.25, verbose: true, name: "x", tags: ["a", "b"], limits: { burst: 10 }, policies: [],
    });
    expect(outcome.errors).toEqual([]);
    expect(outcome.values).toBe("mode=dry-run port=443 ratio=0.25 verbose=1 name=x tags=a,b burst=10 cidrs=0");
  });

  test("integers may be written as 1.0 or 1e2 (they are integers); Istio sends doubles", () => {
    expect(validate('{"name":"x","policies":[],"port":4.43e2,"limits":{"burst":1.0}}').errors).toEqual([]);
  });
});

describe("errors at JSON paths", () => {
  test("the CIDR example, exactly as filters print it", () => {
    const policies = [
      validPolicies[0],
      validPolicies[1],
      { name: "third", spec: { rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8", "10.0.0.0/33"] } }] }] } },
    ];
    const outcome = validate({ name: "demo", policies });
    expect(outcome.errors).toEqual(['policies[2].spec.rules[0].from[0].source.ipBlocks[1]: "10.0.0.0/33" is not a CIDR']);
    expect(outcome.summary).toBe(outcome.errors[0]);
    expect(outcome.values).toMatch(/cidrs=3$/);
  });

  test("all errors are collected in reading order, one per mistake, with a summary naming the first", () => {
    const outcome = validate({
      mode: "enforcing",
      port: 70000,
      ratio: 2,
      verbose: "yes",
      tags: ["a", 5, null],
      limits: { burst: 1.5, extra: true },
      policies: [{ spec: { rules: "all" } }, "p", { name: 7, spec: { rules: [{ from: [{ source: { ipBlocks: "10.0.0.0/8" } }] }] } }],
      polcies: [],
    });
    expect(outcome.errors).toEqual([
      'mode: "enforcing" is not one of "enforce", "dry-run"',
      "port: 70000 is not an integer in [1, 65535]",
      "ratio: 2 is not in [0.0, 1.0]",
      'verbose: expected a boolean, got string "yes"',
      "name: missing (expected a string)",
      "tags[1]: expected a string, got number 5",
      "tags[2]: expected a string, got null",
      "limits.burst: 1.5 is not an integer in [0, 1000]",
      "limits.extra: unknown key (allowed: burst)",
      "policies[0].name: missing (expected a string)",
      'policies[0].spec.rules: expected an array, got string "all"',
      'policies[1]: expected an object, got string "p"',
      "policies[2].name: expected a string, got number 7",
      'policies[2].spec.rules[0].from[0].source.ipBlocks: expected an array, got string "10.0.0.0/8"',
      "polcies: unknown key (allowed: mode, port, ratio, verbose, name, tags, limits, policies)",
    ]);
    expect(outcome.count).toBe(15);
    expect(outcome.summary).toBe('mode: "enforcing" is not one of "enforce", "dry-run" (and 14 more errors)');
  });

  test("a typo'd key is an error, not a silently ignored rule", () => {
    const outcome = validate({
      name: "x",
      policies: [{ name: "p", spec: { rules: [{ from: [{ source: { ipBlock: ["10.0.0.0/8"] } }] }] } }],
    });
    expect(outcome.errors).toEqual([
      "policies[0].spec.rules[0].from[0].source.ipBlocks: missing (expected an array)",
      "policies[0].spec.rules[0].from[0].source.ipBlock: unknown key (allowed: ipBlocks)",
    ]);
  });

  test("indices stay aligned when a non-string sits in a string array", () => {
    const outcome = validate({ name: "x", policies: [{ name: "p", spec: { rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8", 5, "300.0.0.0/8"] } }] }] } }] });
    expect(outcome.errors).toEqual([
      "policies[0].spec.rules[0].from[0].source.ipBlocks[1]: expected a string, got number 5",
      'policies[0].spec.rules[0].from[0].source.ipBlocks[1]: "" is not a CIDR',
      'policies[0].spec.rules[0].from[0].source.ipBlocks[2]: "300.0.0.0/8" is not a CIDR',
    ]);
  });

  test("integers: fractions, values above 2^53 and out-of-range values are reported with their source text", () => {
    expect(validate('{"name":"x","policies":[],"port":9007199254740993}').errors).toEqual([
      "port: 9007199254740993 is not an integer in [1, 65535]",
    ]);
    expect(validate('{"name":"x","policies":[],"port":0}').errors).toEqual(["port: 0 is not an integer in [1, 65535]"]);
    expect(validate('{"name":"x","policies":[],"port":-1e2}').errors).toEqual(["port: -1e2 is not an integer in [1, 65535]"]);
    expect(validate('{"name":"x","policies":[],"port":"80"}').errors).toEqual(['port: expected a number, got string "80"']);
  });

  test("keys that are not identifiers are quoted in paths", () => {
    const allowed = "(allowed: mode, port, ratio, verbose, name, tags, limits, policies)";
    expect(validate({ name: "x", policies: [], "weird.key": 1, "": 2, "x-header": 3, "a\nb": 4 }).errors).toEqual([
      `["weird.key"]: unknown key ${allowed}`,
      `[""]: unknown key ${allowed}`,
      `x-header: unknown key ${allowed}`,
      `["a\\nb"]: unknown key ${allowed}`,
    ]);
    expect(validate({ name: "x", policies: [{ name: "p", spec: { rules: [], "odd key": 1 } }] }).errors).toEqual([
      'policies[0].spec["odd key"]: unknown key (allowed: rules)',
    ]);
  });

  test("a mistyped container gives one message, not one per missing child", () => {
    expect(validate({ name: "x", policies: [7, { name: "p", spec: [] }] }).errors).toEqual([
      "policies[0]: expected an object, got number 7",
      "policies[1].spec: expected an object, got an array",
    ]);
  });
});

describe("documents that are not objects, empty or not JSON", () => {
  test("empty, absent or whitespace-only configuration reads as {} (Istio sends 0 bytes for no pluginConfig)", () => {
    for (const input of [null, new Uint8Array(), Uint8Array.from(Buffer.from(" \n\t"))]) {
      const outcome = validate(input);
      expect(outcome.errors).toEqual(["name: missing (expected a string)", "policies: missing (expected an array)"]);
      expect(outcome.values).toBe("mode=enforce port=8080 ratio=0.5 verbose=0 name= tags= burst=-1 cidrs=0");
    }
  });

  test("a syntax error is reported with line and column, and reading continues silently on an empty object", () => {
    const outcome = validate('{\n  "name": "x",\n  "policies": [,]\n}');
    expect(outcome.errors).toEqual(["invalid JSON at line 3, column 16: unexpected ',', expected a value"]);
    expect(outcome.values).toBe("mode=enforce port=8080 ratio=0.5 verbose=0 name= tags= burst=-1 cidrs=0");
  });

  test("duplicate keys are a syntax error (a security configuration must have one meaning)", () => {
    expect(validate('{"name":"a","name":"b","policies":[]}').errors[0]).toBe(
      'invalid JSON at line 1, column 13: duplicate key "name"',
    );
  });

  test("a top-level array or scalar is reported", () => {
    expect(validate("[1]").errors).toEqual(["expected a JSON object at the top level, got an array"]);
    expect(validate('"x"').errors[0]).toBe('expected a JSON object at the top level, got string "x"');
    expect(validate("null").errors[0]).toBe("expected a JSON object at the top level, got null");
  });

  test("invalid UTF-8 in the configuration bytes is reported", () => {
    const bytes = Uint8Array.from([...Buffer.from('{"name":"'), 0xc0, 0xaf, ...Buffer.from('","policies":[]}')]);
    expect(validate(bytes).errors).toEqual(["invalid JSON at line 1, column 10: overlong UTF-8 encoding"]);
  });
});

describe("quoting attacker-written values", () => {
  test("values are JSON-escaped and ASCII-only, so a message stays one clean log line", () => {
    expect(config.string("quote", "a\nb\r\x1b[31m\u2028\u202e\"\\")).toBe('"a\\nb\\r\\u001b[31m\\u2028\\u202e\\"\\\\"');
    const outcome = validate({ name: "x", mode: "evil\nINFO forged line", policies: [] });
    expect(outcome.errors).toEqual(['mode: "evil\\nINFO forged line" is not one of "enforce", "dry-run"']);
  });

  test("long values are cut to 120 characters, never inside a surrogate pair", () => {
    expect(config.string("quote", "a".repeat(200))).toBe(`"${"a".repeat(120)}"...`);
    expect(config.string("quote", "a".repeat(119) + "\u{1f600}" + "b")).toBe(`"${"a".repeat(119)}"...`);
  });

  test("property: a quoted value is printable ASCII and reads back as a prefix of the value", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (value) => {
        const quoted = config.string("quote", value)!;
        expect(quoted).toMatch(/^[\x20-\x7e]*$/);
        const literal = quoted.endsWith("...") ? quoted.slice(0, -3) : quoted;
        const decoded = JSON.parse(literal) as string;
        expect(value.startsWith(decoded)).toBe(true);
        expect(quoted.endsWith("...")).toBe(value.length > 120);
      }),
      { numRuns: 1000 },
    );
  });
});

test("at most 100 messages are kept; all errors are counted", () => {
  expect(config.string("manyErrors", 150)).toBe("100 150 k0: bad (and 149 more errors)");
  expect(config.string("manyErrors", 2)).toBe("2 2 k0: bad (and 1 more error)");
  expect(config.string("manyErrors", 1)).toBe("1 1 k0: bad");
});
