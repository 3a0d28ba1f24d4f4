/**
 * `as-proxy validate <filter> <config>`: the filter's own configuration check, run in Node before anything is
 * deployed.
 *
 *  1. structural: the filter's JSON Schema (`filters/<name>/config.schema.json`, when the filter ships one),
 *     with ajv — errors with JSON paths;
 *  2. semantic: the built module (`build/<name>.wasm`) loaded in the harness, which delivers the configuration
 *     exactly as Istio would (istiod's JSON encoding, deployment.md §B.6) and calls `proxy_on_configure`; a
 *     rejection is reported with the plugin's own log line (e.g.
 *     `policies[2].spec.rules[0].from[0].source.ipBlocks[1]: "10.0.0.0/33" is not a CIDR`).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import { readConfigFile } from "../lib/config-file.js";
import { CliError } from "../lib/errors.js";
import { jsonPointerToPath } from "../lib/crd/validator.js";
import { egConfigJson } from "../lib/eg-envoy-config.js";
import { istioPluginConfigJson } from "../lib/istio-plugin-config.js";
import type { Output } from "../lib/output.js";
import { projectRoot, resolveModule } from "../lib/project.js";
import { configureInHarness } from "../lib/harness-configure.js";

function schemaProblems(errors: ErrorObject[]): string[] {
  return errors
    .filter((e) => e.keyword !== "anyOf" && e.keyword !== "oneOf" && e.keyword !== "if")
    .map((e) => {
      const path = jsonPointerToPath(e.instancePath);
      const at = (child: string) => (path ? `${path}.${child}` : child);
      if (e.keyword === "additionalProperties") return `${at(String(e.params.additionalProperty))}: unknown field`;
      if (e.keyword === "required") return `${at(String(e.params.missingProperty))}: required`;
      if (e.keyword === "enum") return `${path || "(root)"}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
      return `${path || "(root)"}: ${e.message ?? e.keyword}`;
    });
}

/** Structural check against `filters/<name>/config.schema.json`; returns problems (empty = ok or no schema). */
export function checkConfigSchema(filter: string, config: unknown): string[] {
  const schemaFile = join(projectRoot, "filters", filter, "config.schema.json");
  if (!existsSync(schemaFile)) return [];
  const schema = JSON.parse(readFileSync(schemaFile, "utf8")) as Record<string, unknown>;
  const draft2020 = typeof schema.$schema === "string" && schema.$schema.includes("2020-12");
  const ajv = draft2020 ? new Ajv2020({ allErrors: true, strict: false }) : new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  return validate(config) ? [] : schemaProblems(validate.errors ?? []);
}

/** How the configuration reaches the plugin: istiod's encoding (also `run`'s) or Envoy Gateway's. */
export type ConfigEncoding = "istio" | "envoy-gateway";

export interface ValidateOptions {
  /** root_id the plugin is started with (Istio pluginName / EG rootID); default "". */
  rootId?: string;
  encoding?: ConfigEncoding;
}

/**
 * Runs both checks; throws a {@link CliError} (first problem on the line, all in details) when the filter would
 * reject the configuration. `filter` may also be a path to a .wasm module (then only the module check runs).
 * Returns the configuration string exactly as the plugin receives it.
 */
export async function validateConfiguration(
  filter: string,
  config: unknown,
  source: string,
  out: Output,
  options: ValidateOptions = {},
): Promise<{ configuration: string; logs: string[] }> {
  const isPath = filter.endsWith(".wasm");
  const structural = isPath || config === undefined ? [] : checkConfigSchema(filter, config);
  if (structural.length > 0) {
    throw new CliError(`${source}: invalid ${filter} configuration: ${structural[0]}`, 1, structural);
  }
  let configuration: string;
  try {
    configuration = options.encoding === "envoy-gateway" ? egConfigJson(config) : istioPluginConfigJson(config);
  } catch (error) {
    throw new CliError(`${source}: ${(error as Error).message}`);
  }
  const { file } = resolveModule(filter);
  out.progress(`on_configure of ${file} in the harness (${Buffer.byteLength(configuration)} bytes of configuration)`);
  const outcome = await configureInHarness(readFileSync(file), configuration, options.rootId ?? "");
  if (!outcome.accepted) {
    const pluginLine = outcome.logs.find((l) => l.level === "critical" || l.level === "error")?.message;
    const reason = pluginLine ?? outcome.reason ?? "rejected without a log line";
    throw new CliError(`${source}: ${filter} rejects the configuration: ${reason}`, 1, [
      ...outcome.logs.map((l) => `${l.level}: ${l.message}`),
      ...(outcome.reason ? [outcome.reason] : []),
    ]);
  }
  return { configuration, logs: outcome.logs.map((l) => l.message) };
}

export async function validateCommand(
  filter: string,
  configFile: string,
  options: { rootId?: string; encoding?: string },
  out: Output,
): Promise<void> {
  const encoding = options.encoding ?? "istio";
  if (encoding !== "istio" && encoding !== "envoy-gateway") throw new CliError(`--encoding "${encoding}": expected istio or envoy-gateway`);
  const config = readConfigFile(configFile);
  const { configuration } = await validateConfiguration(filter, config, configFile, out, {
    encoding,
    ...(options.rootId !== undefined ? { rootId: options.rootId } : {}),
  });
  out.result(
    { valid: true, filter, config: configFile, configurationBytes: Buffer.byteLength(configuration) },
    `ok: ${configFile} is a valid ${filter} configuration (${Buffer.byteLength(configuration)} bytes as Istio delivers it)`,
  );
}
