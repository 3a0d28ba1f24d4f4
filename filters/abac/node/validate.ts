/**
 * Validates an ABAC configuration in Node exactly as Envoy would: the filter's own `on_configure` (the compiled
 * `build/abac.wasm`, loaded in the harness — literally the same code that runs in Envoy) plus the published JSON
 * Schema (`filters/abac/config.schema.json`, checked with ajv). Used by `as-proxy validate abac` and the tests.
 *
 * ```ts
 * const r = validateAbacConfig({ policies: [...] });
 * if (!r.ok) console.error(r.errors.join("\n"));   // e.g. policies[2].spec…ipBlocks[1]: "10.0.0.0/33" is not a CIDR …
 * ```
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv, { type ErrorObject } from "ajv";
import { createHost } from "../../../harness/index.js";

const SCHEMA_PATH = fileURLToPath(new URL("../config.schema.json", import.meta.url));
const DEFAULT_WASM = fileURLToPath(new URL("../../../build/abac.wasm", import.meta.url));
/** The prefix of the filter's critical log line when it rejects a configuration. */
const FILTER_ERROR_PREFIX = "abac: invalid configuration: ";
const FILTER_WARNING_PREFIX = "abac: ";

export interface AbacValidation {
  /** True when both the filter and the schema accept the configuration. */
  ok: boolean;
  /** The filter's error line (JSON path first), then the schema's errors (`schema: <path>: <message>`). */
  errors: string[];
  /** The filter's warnings (accepted-but-ignored fields). */
  warnings: string[];
  /** The filter's verdict alone. */
  filter: { ok: boolean; error: string | null };
  /** The schema's verdict alone. */
  schema: { ok: boolean; errors: string[] };
}

export interface ValidateOptions {
  /** The module to run; default `build/abac.wasm` (run `npm run build` first). */
  wasm?: string | Uint8Array;
}

let compiledSchema: ReturnType<Ajv["compile"]> | null = null;

/** The published JSON Schema of the configuration. */
export function abacConfigSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as Record<string, unknown>;
}

/** Schema check only: `<JSON path>: <message>` per problem (paths in the filter's `a.b[0]` style). */
export function validateAgainstSchema(config: unknown): string[] {
  if (compiledSchema === null) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    compiledSchema = ajv.compile(abacConfigSchema());
  }
  if (compiledSchema(config)) return [];
  return (compiledSchema.errors ?? []).map((e: ErrorObject) => `${jsonPath(e.instancePath)}: ${e.message ?? "invalid"}${details(e)}`);
}

function details(e: ErrorObject): string {
  if (e.keyword === "additionalProperties") return ` (${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)})`;
  if (e.keyword === "enum") return ` (${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")})`;
  return "";
}

/** `/policies/2/spec/rules/0` → `policies[2].spec.rules[0]`. */
export function jsonPath(pointer: string): string {
  if (pointer === "") return "configuration";
  let out = "";
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  }
  return out;
}

/** Runs the filter's on_configure in the harness: null when accepted, else its error line (without the prefix). */
export function validateWithFilter(config: unknown, options: ValidateOptions = {}): { error: string | null; warnings: string[] } {
  const wasm = options.wasm ?? DEFAULT_WASM;
  if (typeof wasm === "string" && !existsSync(wasm)) {
    throw new Error(`${wasm} not found: build the filter first (npm run build)`);
  }
  const host = createHost(wasm, { configuration: config, allowRejection: true, logLevel: "trace" });
  const lines = host.logs({ source: "proxy_log" }).map((l) => l.message);
  // Envoy configures a canary VM and each worker's VM: the same lines appear once per VM.
  const warnings = [
    ...new Set(
      lines.filter((m) => m.startsWith(FILTER_WARNING_PREFIX) && m.includes(": ignored")).map((m) => m.slice(FILTER_WARNING_PREFIX.length)),
    ),
  ];
  if (host.rejection === null) return { error: null, warnings };
  const line = lines.find((m) => m.startsWith(FILTER_ERROR_PREFIX));
  return {
    error: line !== undefined ? line.slice(FILTER_ERROR_PREFIX.length) : `rejected: ${host.rejection.message}`,
    warnings,
  };
}

/**
 * Validates a configuration (a JSON value, or a JSON string passed verbatim as Envoy would receive it) with the
 * filter and with the JSON Schema.
 */
export function validateAbacConfig(config: unknown, options: ValidateOptions = {}): AbacValidation {
  const filter = validateWithFilter(config, options);
  let parsed: unknown = config;
  let schemaErrors: string[];
  if (typeof config === "string") {
    try {
      parsed = config.length === 0 ? undefined : JSON.parse(config);
    } catch (e) {
      parsed = undefined;
      schemaErrors = [`configuration: invalid JSON (${(e as Error).message})`];
    }
  }
  schemaErrors ??= parsed === undefined ? ["configuration: empty"] : validateAgainstSchema(parsed);
  const errors = [...(filter.error !== null ? [filter.error] : []), ...schemaErrors.map((e) => `schema: ${e}`)];
  return {
    ok: filter.error === null && schemaErrors.length === 0,
    errors,
    warnings: filter.warnings,
    filter: { ok: filter.error === null, error: filter.error },
    schema: { ok: schemaErrors.length === 0, errors: schemaErrors },
  };
}
