// What the helpers in assembly/util cost in a release module (filters have size budgets: hello ≤ 20 KB,
// filters ≤ 64 KB; test/build/size.test.ts). Each entry below is compiled with the release flags of
// asconfig.json (-O3, shrink level 1, converge, minimal runtime; without the build's literal transform) and
// compared with a baseline that already pulls in the runtime, strings and arrays, as every filter does. The
// budgets are ceilings with some headroom over the measured sizes, so an accidental dependency (the float
// printer, case tables, a generic instantiation) fails here.
import asc from "assemblyscript/asc";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));

const BASELINE = `
export function run(data: ArrayBuffer): i32 {
  let text = String.UTF8.decode(data);
  let parts = new Array<string>();
  parts.push(text + "x");
  return parts.join(",").length + data.byteLength.toString().length;
}`;

/** Entry → [source, budget in bytes over the baseline]. Measured sizes are in the comments. */
const ENTRIES: Record<string, [string, number]> = {
  // 7.7 KB: parser, exact overflow check, UTF-8 validation, duplicate-key index (the number conversion is linked
  // only by a module that reads a number as a double: see configReader).
  parseJson: [
    `import { parseJsonBytes } from "../../../assembly/util/json";
     export function run(data: ArrayBuffer): i32 { let r = parseJsonBytes(data); return r.value !== null ? <i32>r.value!.kind : r.offset; }`,
    9_000,
  ],
  // 1.6 KB: JsonWriter with strings and integers only (no float printer).
  jsonWriter: [
    `import { JsonWriter } from "../../../assembly/util/json";
     export function run(data: ArrayBuffer): i32 {
       let w = new JsonWriter(); w.beginObject().stringField("path", String.UTF8.decode(data)).intField("n", data.byteLength).endObject();
       return w.toString().length;
     }`,
    2_500,
  ],
  // 14.5 KB: parse + ConfigReader + quoting + the correctly rounded number conversion (optionalInt), as a
  // filter's onConfigure uses them.
  configReader: [
    `import { ConfigReader } from "../../../assembly/util/config";
     export function run(data: ArrayBuffer): i32 {
       let c = ConfigReader.parse(data); let r = c.root();
       r.optionalString("a", "b"); r.optionalInt("n", 1, 0, 10); r.stringArray("s"); r.object("o").optionalBool("x", false);
       r.unknownKeys(["a", "n", "s", "o"]);
       return c.summary().length;
     }`,
    16_500,
  ],
  // 3.1 KB
  normalizePath: [
    `import { normalizePath, PathOptions } from "../../../assembly/util/path";
     export function run(data: ArrayBuffer): i32 { let p = normalizePath(String.UTF8.decode(data), PathOptions.decodeAndMergeSlashes()); return p.path !== null ? p.path!.length : -1; }`,
    4_000,
  ],
  // 3.7 KB (canonical IPv6 printing included)
  cidr: [
    `import { parseCidr, parseIp } from "../../../assembly/util/cidr";
     export function run(data: ArrayBuffer): i32 {
       let c = parseCidr(String.UTF8.decode(data)).value; let ip = parseIp("10.1.2.3").value;
       return c !== null && ip !== null && c.contains(ip) ? c.toString().length : 0;
     }`,
    4_500,
  ],
  // 0.6 KB
  base64: [
    `import { Base64Alphabet, base64Decode, Base64Padding } from "../../../assembly/util/base64";
     export function run(data: ArrayBuffer): i32 { let r = base64Decode(String.UTF8.decode(data), Base64Alphabet.Url, Base64Padding.Forbidden); return r.value !== null ? r.value!.byteLength : -1; }`,
    1_000,
  ],
  // 0.6 KB
  utf8: [
    `import { decodeUtf8 } from "../../../assembly/util/utf8";
     export function run(data: ArrayBuffer): i32 { let r = decodeUtf8(data); return r.value !== null ? r.value!.length : r.offset; }`,
    1_000,
  ],
};

async function releaseSize(name: string, source: string): Promise<number> {
  const entry = join(here, `size-entry-${name}.ts`);
  // An empty asconfig, so the project's asconfig.json (and its abort hook) does not apply; flags are below.
  const config = join(here, "size-asconfig.json");
  let binary: Uint8Array | null = null;
  const errors: string[] = [];
  const result = await asc.main(
    [entry, "--config", config, "--runtime", "minimal", "--exportStart", "_initialize", "--use", "abort=", "-O3", "--shrinkLevel", "1", "--converge", "--outFile", "out.wasm"],
    {
      stderr: asc.createMemoryStream((chunk) => errors.push(String(chunk))),
      stdout: asc.createMemoryStream(),
      readFile(filename, baseDir) {
        const path = resolve(baseDir, filename);
        if (path === entry) return source;
        if (path === config) return "{}";
        try {
          return readFileSync(path, "utf8");
        } catch {
          return null;
        }
      },
      writeFile(filename, contents) {
        if (filename.endsWith(".wasm") && typeof contents !== "string") binary = contents;
      },
      listFiles: () => [],
    },
  );
  if (result.error || binary === null) throw new Error(`compiling ${name} failed: ${errors.join("")}`);
  return (binary as Uint8Array).byteLength;
}

describe("release size of each helper over a baseline module", () => {
  let baseline = 0;

  test("baseline (runtime, strings, arrays)", async () => {
    baseline = await releaseSize("baseline", BASELINE);
    expect(baseline).toBeGreaterThan(3_000);
    expect(baseline).toBeLessThan(8_000);
  }, 120_000);

  test.each(Object.entries(ENTRIES))("%s", async (name, [source, budget]) => {
    const extra = (await releaseSize(name, source)) - baseline;
    if (process.env.PRINT_SIZES) console.log(`${name}: ${extra} bytes over the baseline (${baseline})`);
    expect(extra, `${name}: ${extra} bytes over the baseline, budget ${budget}`).toBeLessThanOrEqual(budget);
    expect(extra).toBeGreaterThan(0);
  }, 120_000);
});
