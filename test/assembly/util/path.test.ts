// assembly/util/path.ts through @assemblyscript/loader: request-path normalization.
// Sources: Istio's normalization vectors (istio/istio tests/integration/security/normalization_test.go),
// Envoy 1.40.0 measured through its four HCM settings (fixtures/envoy-path-normalization.json, recorded by
// fixtures/record-envoy-paths.ts), the attack classes of authz-and-metadata.md §D 1-8, and property tests
// against test/support/reference/path.ts.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { ISTIO_PATH_NORMALIZATION, normalizePath as referenceNormalize, type IstioPathNormalization, type PathOptions } from "../../support/reference/path";
import { HelperModule } from "./helper-module";

const pathModule = new HelperModule("path");
const RUNS = { numRuns: 3000 };

const MODE_NUMBER: Record<IstioPathNormalization, number> = { NONE: 0, BASE: 1, MERGE_SLASHES: 2, DECODE_AND_MERGE_SLASHES: 3 };

interface Normalized {
  path: string | null;
  query: string | null;
  fragment: string | null;
  error: string | null;
}

function read(): Normalized {
  return {
    path: pathModule.string("resultPath"),
    query: pathModule.string("resultQuery"),
    fragment: pathModule.string("resultFragment"),
    error: pathModule.string("resultError"),
  };
}

function istio(raw: string, mode: IstioPathNormalization): Normalized {
  pathModule.bool("normalizeIstio", raw, MODE_NUMBER[mode]);
  return read();
}

function withOptions(raw: string, options: PathOptions): Normalized {
  const bits = (options.decodeSlashes ? 1 : 0) | (options.normalize ? 2 : 0) | (options.backslashToSlash ? 4 : 0) | (options.mergeSlashes ? 8 : 0);
  pathModule.bool("normalize", raw, bits);
  return read();
}

const pathOf = (raw: string, mode: IstioPathNormalization): string => {
  const result = istio(raw, mode);
  return result.error ?? result.path!;
};

describe("Istio normalization vectors (normalization_test.go)", () => {
  // [input, NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES]
  const table: [string, string, string, string, string][] = [
    ["/", "/", "/", "/", "/"],
    ["/app#foo", "/app", "/app", "/app", "/app"],
    ["/app/", "/app/", "/app/", "/app/", "/app/"],
    ["/app/../admin", "/app/../admin", "/admin", "/admin", "/admin"],
    ["/app", "/app", "/app", "/app", "/app"],
    ["/app//", "/app//", "/app//", "/app/", "/app/"],
    ["/app/%2f", "/app/%2f", "/app/%2f", "/app/%2f", "/app/"],
    ["/app%2f/", "/app%2f/", "/app%2f/", "/app%2f/", "/app/"],
    ["/xyz%30..//abc", "/xyz%30..//abc", "/xyz0..//abc", "/xyz0../abc", "/xyz0../abc"],
    ["/app/%2E./admin", "/app/%2E./admin", "/admin", "/admin", "/admin"],
    ["/app\\admin", "/app\\admin", "/app/admin", "/app/admin", "/app/admin"],
    ["/app/\\/\\/\\admin", "/app/\\/\\/\\admin", "/app//////admin", "/app/admin", "/app/admin"],
    ["/%2Fapp%5cadmin%5Cabc", "/%2Fapp%5cadmin%5Cabc", "/%2Fapp%5cadmin%5Cabc", "/%2Fapp%5cadmin%5Cabc", "/app/admin/abc"],
    [
      "/%5Capp%2f%5c%2F%2e%2e%2fadmin%5c\\abc",
      "/%5Capp%2f%5c%2F%2e%2e%2fadmin%5c\\abc",
      "/%5Capp%2f%5c%2F..%2fadmin%5c/abc",
      "/%5Capp%2f%5c%2F..%2fadmin%5c/abc",
      "/app/admin/abc",
    ],
    ["/app//../admin", "/app//../admin", "/app/admin", "/app/admin", "/app/admin"],
    ["/app//../../admin", "/app//../../admin", "/admin", "/admin", "/admin"],
  ];
  test.each(table)("%s", (input, none, base, merge, decode) => {
    expect(pathOf(input, "NONE")).toBe(none);
    expect(pathOf(input, "BASE")).toBe(base);
    expect(pathOf(input, "MERGE_SLASHES")).toBe(merge);
    expect(pathOf(input, "DECODE_AND_MERGE_SLASHES")).toBe(decode);
  });

  test.each([
    ["/%c0%2e%c0%2e/admin", "/%c0.%c0./admin"],
    ["/%c0%2fadmin", "/%c0/admin"],
  ])("DecodeAndMergeSlashes %s → %s (overlong UTF-8 is not decoded)", (input, output) => {
    expect(pathOf(input, "DECODE_AND_MERGE_SLASHES")).toBe(output);
  });

  test.each([
    "/0x2e0x2e/admin", "/0x2e0x2e0x2fadmin", "/0x2e0x2e0x5cadmin", "/0x2f0x2fadmin", "/0x5c0x5cadmin",
    "/%25c0%25ae%25c1%259cadmin", "/%25c0%25ae%25c0%25ae/admin", "/%25c0%25afadmin", "/%25c1%259cadmin", "/%252e%252e/admin",
    "/%252e%252e%252fadmin", "/%c1%9cadmin", "/%c0%ae%c0%ae/admin", "/%c0%afadmin", "/.../admin", "/..../admin", "/;/admin",
    "/admin;a=b", "/admin;a=b/xyz", "/admin,a=b/xyz", "/Admin", "/ADMIN",
  ])("NotNormalized %s stays unchanged", (input) => {
    expect(pathOf(input, "DECODE_AND_MERGE_SLASHES")).toBe(input);
  });

  test("NotNormalized /..;/admin: Istio's table keeps it, Envoy 1.40 treats `..;` as `..` (Envoy wins)", () => {
    expect(pathOf("/..;/admin", "NONE")).toBe("/..;/admin");
    expect(pathOf("/..;/admin", "DECODE_AND_MERGE_SLASHES")).toBe("/admin");
  });

  test("PercentEncoded %01..%ff: unreserved characters, %2F and %5C are decoded, everything else kept as written", () => {
    const unreservedOrSlash = (i: number): boolean =>
      [0x2d, 0x2e, 0x2f, 0x5c, 0x5f, 0x7e].includes(i) || (i >= 0x30 && i <= 0x39) || (i >= 0x41 && i <= 0x5a) || (i >= 0x61 && i <= 0x7a);
    for (let i = 1; i <= 0xff; i++) {
      const input = `/admin%${i.toString(16).padStart(2, "0")}`;
      let expected = input;
      if (unreservedOrSlash(i)) expected = "/admin" + (i === 0x5c ? "/" : String.fromCharCode(i));
      expect(pathOf(input, "DECODE_AND_MERGE_SLASHES"), input).toBe(expected);
    }
  });

  test("Invalid: %00 is rejected (Envoy answers 400)", () => {
    expect(pathOf("/admin%00", "DECODE_AND_MERGE_SLASHES")).toBe("encoded NUL (%00) in path at offset 6");
  });
});

describe("Envoy 1.40.0, measured (fixtures/envoy-path-normalization.json)", () => {
  const fixture = JSON.parse(readFileSync(new URL("./fixtures/envoy-path-normalization.json", import.meta.url), "utf8")) as {
    envoy: string;
    vectors: { input: string; mode: IstioPathNormalization; status: number; path: string | null }[];
  };
  // Where this helper deliberately differs (see the file comment of assembly/util/path.ts):
  const malformedPercent = /%(?![0-9A-Fa-f]{2})/;
  const rejectedByHttp1Codec = /[#\x00-\x20\x7f-\uffff]|^[^/]/;

  test(`the fixture was recorded from Envoy ${fixture.envoy} and covers all four modes`, () => {
    expect(fixture.envoy).toBe("1.40.0");
    expect(new Set(fixture.vectors.map((vector) => vector.mode)).size).toBe(4);
    expect(fixture.vectors.length).toBeGreaterThan(1000);
  });

  test("every path Envoy forwards is what normalizePath returns, except documented errors", () => {
    const mismatches: string[] = [];
    for (const vector of fixture.vectors) {
      const result = istio(vector.input, vector.mode);
      // Envoy logs :path with the query; normalizePath returns it separately, unchanged.
      const ours = { ...result, path: result.path === null ? null : result.path + (result.query === null ? "" : "?" + result.query) };
      if (vector.status === 200) {
        const pathPart = vector.input.split(/[?#]/)[0]!;
        const expectError = malformedPercent.test(pathPart) || (vector.mode === "NONE" && pathPart.includes("%00"));
        // Envoy applies the `..;` rule to literal dots after a literal '/' only, so its output can change when
        // normalized again; ours is that fixed point.
        const envoyFixedPoint = vector.path === null ? null : istio(vector.path, vector.mode).path;
        const dotsBeforeParameters = /[/\\](?:\.|%2[eE]){1,2};/.test(vector.input);
        if (expectError ? ours.error === null : ours.path !== vector.path && !(dotsBeforeParameters && ours.path === envoyFixedPoint)) {
          mismatches.push(`${vector.mode} ${JSON.stringify(vector.input)}: Envoy ${vector.path}, ours ${ours.path ?? ours.error}`);
        }
      } else if (ours.error === null && !rejectedByHttp1Codec.test(vector.input)) {
        mismatches.push(`${vector.mode} ${JSON.stringify(vector.input)}: Envoy ${vector.status}, ours ${ours.path}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe("attack classes (authz-and-metadata.md §D)", () => {
  test("1. dot segments, literal and percent-encoded, never climb above the root (CVE-2019-9901)", () => {
    for (const [input, output] of [
      ["/public/../admin", "/admin"],
      ["/public/%2e%2e/admin", "/admin"],
      ["/public/%2E%2E/admin", "/admin"],
      ["/public/.%2e/admin", "/admin"],
      ["/public/./../admin", "/admin"],
      ["/../../../admin", "/admin"],
      ["/admin/.", "/admin/"],
      ["/admin/..", "/"],
    ]) {
      expect(pathOf(input!, "BASE"), input).toBe(output);
      expect(pathOf(input!, "NONE"), input).toBe(input);
    }
  });

  test("2. doubled slashes merge only with mergeSlashes (CVE-2021-31920)", () => {
    expect(pathOf("//admin", "BASE")).toBe("//admin");
    expect(pathOf("//admin", "MERGE_SLASHES")).toBe("/admin");
    expect(pathOf("/a///b//", "MERGE_SLASHES")).toBe("/a/b/");
    expect(pathOf("//", "MERGE_SLASHES")).toBe("//"); // Envoy's merge keeps a slashes-only path as "//"
  });

  test("3. encoded slashes are decoded only with decodeSlashes, before dot segments (CVE-2021-29492)", () => {
    expect(pathOf("/public%2F..%2Fadmin", "MERGE_SLASHES")).toBe("/public%2F..%2Fadmin");
    expect(pathOf("/public%2F..%2Fadmin", "DECODE_AND_MERGE_SLASHES")).toBe("/admin");
    expect(pathOf("/public%5C..%5Cadmin", "DECODE_AND_MERGE_SLASHES")).toBe("/admin");
  });

  test("4. backslash is a separator under BASE", () => {
    expect(pathOf("/public\\..\\admin", "BASE")).toBe("/admin");
    expect(pathOf("/public\\..\\admin", "NONE")).toBe("/public\\..\\admin");
  });

  test("5. query and fragment are split off before normalization and kept unchanged (CVE-2021-39156, CVE-2020-8595)", () => {
    expect(istio("/admin?x=/../public#frag/../x", "BASE")).toEqual({ path: "/admin", query: "x=/../public", fragment: "frag/../x", error: null });
    expect(istio("/public#/../admin", "BASE")).toEqual({ path: "/public", query: null, fragment: "/../admin", error: null });
    expect(istio("/a#b?c", "NONE")).toEqual({ path: "/a", query: null, fragment: "b?c", error: null });
    expect(istio("/a?", "NONE")).toEqual({ path: "/a", query: "", fragment: null, error: null });
    expect(istio("/a?b?c#", "NONE")).toEqual({ path: "/a", query: "b?c", fragment: "", error: null });
  });

  test("6. no double decoding: %25 is never decoded, so %252e stays", () => {
    expect(pathOf("/%252e%252e/admin", "DECODE_AND_MERGE_SLASHES")).toBe("/%252e%252e/admin");
    expect(pathOf("/a%252Fb", "DECODE_AND_MERGE_SLASHES")).toBe("/a%252Fb");
  });

  test("7. overlong UTF-8 forms of '.' and '/' are not decoded", () => {
    expect(pathOf("/%c0%ae%c0%ae/admin", "DECODE_AND_MERGE_SLASHES")).toBe("/%c0%ae%c0%ae/admin");
    expect(pathOf("/%e0%80%af/admin", "DECODE_AND_MERGE_SLASHES")).toBe("/%e0%80%af/admin");
  });

  test("8. NUL, raw or encoded, is an error in every mode (CVE-2019-9900)", () => {
    for (const mode of Object.keys(MODE_NUMBER) as IstioPathNormalization[]) {
      expect(pathOf("/admin%00.html", mode)).toBe("encoded NUL (%00) in path at offset 6");
      expect(pathOf("/admin\0.html", mode)).toBe("NUL character in request target at offset 6");
      expect(pathOf("/admin?q=\0", mode)).toBe("NUL character in request target at offset 9");
    }
  });
});

describe("errors", () => {
  test.each([
    ["", "empty path at offset 0"],
    ["?a=b", "empty path at offset 0"],
    ["*", "path does not start with '/' at offset 0"],
    ["http://host/a", "path does not start with '/' at offset 0"],
    ["/a%", "invalid percent-encoding at offset 2"],
    ["/a%2", "invalid percent-encoding at offset 2"],
    ["/a%zz", "invalid percent-encoding at offset 2"],
    ["/%%30%30", "invalid percent-encoding at offset 1"],
    ["/a%2?x", "invalid percent-encoding at offset 2"],
  ])("%j → %s", (input, message) => {
    for (const mode of Object.keys(MODE_NUMBER) as IstioPathNormalization[]) {
      const result = istio(input, mode);
      expect(result.error).toBe(message);
      expect(result.path).toBeNull();
      expect(pathModule.number("resultOffset")).toBe(Number(/offset (\d+)$/.exec(message)![1]));
    }
  });

  test("malformed escapes in the query are not the path's business", () => {
    expect(istio("/a?b=%zz", "BASE")).toEqual({ path: "/a", query: "b=%zz", fragment: null, error: null });
  });

  test("the default options are Istio's BASE", () => {
    pathModule.bool("normalizeDefault", "/a/..\\b//c%41");
    expect(read().path).toBe("/b//cA");
  });

  test("characters Chromium escapes in paths are percent-encoded under BASE (Envoy HTTP/2 paths; HTTP/1 rejects them)", () => {
    expect(pathOf('/a"<>^`{|}b', "BASE")).toBe("/a%22%3C%3E%5E%60%7B%7C%7Db");
    expect(pathOf("/caf\u00e9 \u{1f600}\x7f", "BASE")).toBe("/caf%C3%A9%20%F0%9F%98%80%7F");
    expect(pathOf("/lone\ud800", "BASE")).toBe("/lone%EF%BF%BD");
    expect(pathOf("/a[b]'!$&()*+,;=:@~", "BASE")).toBe("/a[b]'!$&()*+,;=:@~");
  });
});

// Paths built from the characters that matter to normalization, plus arbitrary text.
const interesting = fc.constantFrom("/", "/", "/", ".", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%5C", "\\", ";", "%", "%25", "%41", "%7e", "%zz", "%c0%ae", "a", "b", "?", "#", "//", " ", "\u00e9", "\ud800", "\u{1f600}", "%00", "\0");
const pathLike = fc.oneof(
  { weight: 4, arbitrary: fc.array(interesting, { maxLength: 14 }).map((parts) => "/" + parts.join("")) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.array(interesting, { maxLength: 10 }).map((parts) => parts.join("")) },
);
const anyOptions = fc.record({ decodeSlashes: fc.boolean(), normalize: fc.boolean(), backslashToSlash: fc.boolean(), mergeSlashes: fc.boolean() });

describe("properties", () => {
  test("each Istio mode agrees with the reference", () => {
    fc.assert(
      fc.property(pathLike, fc.constantFrom(...(Object.keys(MODE_NUMBER) as IstioPathNormalization[])), (raw, mode) => {
        const expected = referenceNormalize(raw, ISTIO_PATH_NORMALIZATION[mode]);
        const ours = istio(raw, mode);
        if (expected.ok) expect(ours).toEqual({ path: expected.path, query: expected.query, fragment: expected.fragment, error: null });
        else expect(ours.error).toMatch(new RegExp(`^${expected.error.replace(/[()%]/g, "\\$&")} at offset \\d+$`));
      }),
      RUNS,
    );
  });

  test("any option combination agrees with the reference", () => {
    fc.assert(
      fc.property(pathLike, anyOptions, (raw, options) => {
        const expected = referenceNormalize(raw, options);
        const ours = withOptions(raw, options);
        expect(ours.path).toBe(expected.ok ? expected.path : null);
      }),
      RUNS,
    );
  });

  test("normalizing twice changes nothing (decoding happens once), and the output keeps each mode's invariants", () => {
    fc.assert(
      fc.property(pathLike, fc.constantFrom<IstioPathNormalization>("BASE", "MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"), (raw, mode) => {
        const once = istio(raw, mode);
        if (once.path === null) return;
        const twice = istio(once.path, mode);
        expect(twice.path).toBe(once.path);
        expect(once.path.startsWith("/")).toBe(true);
        const segments = once.path.split("/");
        expect(segments.includes(".") || segments.includes("..")).toBe(false);
        expect(once.path).not.toMatch(/\\|%(2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])/);
        if (mode !== "BASE") expect(once.path).not.toMatch(/\/\/./);
        if (mode === "DECODE_AND_MERGE_SLASHES") expect(once.path).not.toMatch(/%(2[fF]|5[cC])/);
      }),
      RUNS,
    );
  });
});
