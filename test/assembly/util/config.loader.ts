// Loader module for config.test.ts: exposes assembly/util/config.ts to @assemblyscript/loader through a
// sample schema shaped like an Istio AuthorizationPolicy list, so paths look like the ones filters print.
import { parseCidr } from "../../../assembly/util/cidr";
import { ConfigReader, ObjectReader, quoteValue } from "../../../assembly/util/config";

let last: ConfigReader = ConfigReader.parseText("{}");
let summaryLine: string = "";
let readBack: string = "";

/**
 * Schema:
 *   { mode?: "enforce" | "dry-run", port?: int 1..65535, ratio?: number 0..1, verbose?: bool, name: string,
 *     tags?: string[], limits?: { burst: int 0..1000 },
 *     policies: [ { name: string, spec: { rules: [ { from?: [ { source: { ipBlocks: string[] (CIDRs) } } ] } ] } } ] }
 */
function readSample(config: ConfigReader): string {
  let root = config.root();
  let mode = root.optionalString("mode", "enforce");
  if (mode != "enforce" && mode != "dry-run") root.errorAt("mode", quoteValue(mode) + " is not one of \"enforce\", \"dry-run\"");
  let port = root.optionalInt("port", 8080, 1, 65535);
  let ratio = root.optionalNumber("ratio", 0.5, 0, 1);
  let verbose = root.optionalBool("verbose", false);
  let name = root.requiredString("name");
  let tags = root.optionalStringArray("tags");
  let burst: i64 = -1;
  let limits = root.optionalObject("limits");
  if (limits !== null) {
    burst = limits.requiredInt("burst", 0, 1000);
    limits.unknownKeys(["burst"]);
  }
  let policies = root.array("policies");
  let cidrs = 0;
  for (let i = 0; i < policies.length; i++) {
    let policy = policies.object(i);
    policy.requiredString("name");
    let spec = policy.object("spec");
    let rules = spec.array("rules");
    for (let r = 0; r < rules.length; r++) {
      let rule = rules.object(r);
      let from = rule.optionalArray("from");
      if (from !== null) {
        for (let f = 0; f < from.length; f++) {
          let source: ObjectReader = from.object(f).object("source");
          let blocks = source.stringArray("ipBlocks");
          for (let b = 0; b < blocks.length; b++) {
            if (parseCidr(blocks[b]).error !== null) source.errorAtIndex("ipBlocks", b, quoteValue(blocks[b]) + " is not a CIDR");
            else cidrs++;
          }
          source.unknownKeys(["ipBlocks"]);
        }
      }
      rule.unknownKeys(["from"]);
    }
    spec.unknownKeys(["rules"]);
    policy.unknownKeys(["name", "spec"]);
  }
  root.unknownKeys(["mode", "port", "ratio", "verbose", "name", "tags", "limits", "policies"]);
  return "mode=" + mode + " port=" + port.toString() + " ratio=" + ratio.toString() + " verbose=" + (verbose ? "1" : "0") +
    " name=" + name + " tags=" + tags.join(",") + " burst=" + burst.toString() + " cidrs=" + cidrs.toString();
}

function finish(config: ConfigReader): i32 {
  last = config;
  readBack = readSample(config);
  summaryLine = config.summary();
  return config.errorCount;
}

/** Validates `text` against the sample schema; returns the error count. */
export function validate(text: string): i32 {
  return finish(ConfigReader.parseText(text));
}

/** Validates configuration bytes (null = no configuration). */
export function validateBytes(data: ArrayBuffer | null): i32 {
  return finish(ConfigReader.parse(data));
}

/** Recorded errors joined with "\n". */
export function errors(): string {
  return last.errors.join("\n");
}

export function summary(): string {
  return summaryLine;
}

/** What the sample schema read (defaults applied). */
export function values(): string {
  return readBack;
}

export function quote(value: string): string {
  return quoteValue(value);
}

/** `count` root-level errors, to check the cap on recorded messages. */
export function manyErrors(count: i32): string {
  let config = ConfigReader.parseText("{}");
  let root = config.root();
  for (let i = 0; i < count; i++) root.errorAt("k" + i.toString(), "bad");
  return config.errors.length.toString() + " " + config.errorCount.toString() + " " + config.summary();
}
