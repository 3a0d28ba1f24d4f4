/**
 * Node-side validation of an l7-metadata configuration, before it is deployed:
 *
 *  1. structural: `config.schema.json` with ajv (errors with the same JSON paths the filter uses);
 *  2. semantic: the built module (`build/l7-metadata.wasm`) loaded in the harness, which calls
 *     `proxy_on_configure` exactly as Envoy would; a rejection is reported with the filter's own CRITICAL line
 *     (e.g. `fields[1]: duplicate field name "http.request.method" (fields[0]); set "name"`).
 *
 * The filter is the authority: the schema cannot express cross-field rules (unique names, header outputs that
 * name a configured field of the right phase, route template syntax), the filter checks everything.
 *
 * ```ts
 * const { valid, errors } = await validateL7MetadataConfig(JSON.parse(text));
 * ```
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import { createHost } from "../../../harness";

const SCHEMA_FILE = fileURLToPath(new URL("../config.schema.json", import.meta.url));
const DEFAULT_MODULE = fileURLToPath(new URL("../../../build/l7-metadata.wasm", import.meta.url));
/** Prefix of the filter's configuration error line (filter.ts LOG_PREFIX + "invalid configuration: "). */
const REJECTION_PREFIX = "l7-metadata: invalid configuration: ";

export interface ValidationResult {
  valid: boolean;
  /** Problems as `<json path>: <message>`; the schema's (all of them) or the filter's (the first). */
  errors: string[];
}

export interface ValidateOptions {
  /** The module to run; default `build/l7-metadata.wasm` (run `npm run build` first). */
  module?: string;
  /** Skip the module check (schema only). */
  schemaOnly?: boolean;
}

let compiled: ReturnType<Ajv["compile"]> | undefined;

/** `/fields/0/header` → `fields[0].header`. */
function jsonPath(pointer: string): string {
  let path = "";
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    path += /^\d+$/.test(part) ? `[${part}]` : path === "" ? part : `.${part}`;
  }
  return path;
}

function describeSchemaError(error: ErrorObject): string {
  const path = jsonPath(error.instancePath);
  const at = (child: string): string => (path ? `${path}.${child}` : child);
  switch (error.keyword) {
    case "additionalProperties":
      return `${at(String(error.params.additionalProperty))}: unknown field`;
    case "required":
      return `${at(String(error.params.missingProperty))}: is required`;
    case "enum":
      return `${path || "(root)"}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return `${path || "(root)"}: ${error.message ?? error.keyword}`;
  }
}

/** The structural check alone: every schema violation (combinator noise removed). */
export function checkL7MetadataSchema(config: unknown): string[] {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as Record<string, unknown>;
    compiled = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  if (compiled(config)) return [];
  const errors = (compiled.errors ?? []).filter((e) => !["oneOf", "anyOf", "if", "allOf"].includes(e.keyword));
  return [...new Set(errors.map(describeSchemaError))];
}

/** Runs the filter's own `onConfigure` on `config` in the harness; returns its error line, or null if accepted. */
export function checkL7MetadataInFilter(config: unknown, module = DEFAULT_MODULE): string | null {
  const host = createHost(module, { configuration: config, allowRejection: true });
  if (host.rejection === null) return null;
  const line = host.logs({ level: "critical" }).find((r) => r.message.startsWith(REJECTION_PREFIX));
  return line ? line.message.slice(REJECTION_PREFIX.length) : `${host.rejection.message}: ${host.rejection.details.join("; ")}`;
}

/** Both checks: the schema first (all its errors), then the filter (its first error). */
export async function validateL7MetadataConfig(config: unknown, options: ValidateOptions = {}): Promise<ValidationResult> {
  const structural = checkL7MetadataSchema(config);
  if (structural.length > 0) return { valid: false, errors: structural };
  if (options.schemaOnly) return { valid: true, errors: [] };
  const error = checkL7MetadataInFilter(config, options.module ?? DEFAULT_MODULE);
  return error === null ? { valid: true, errors: [] } : { valid: false, errors: [error] };
}
