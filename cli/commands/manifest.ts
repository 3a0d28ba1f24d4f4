/**
 * `as-proxy manifest istio|envoy-gateway|check`: generate deployment manifests pinned to the image digest and
 * validate them (and any other manifest) against the real CRD schemas.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { celRulesMarkdown, CrdRegistry, formatProblems, listCelRules, type ManifestReport } from "../lib/crd/validator.js";
import { readConfigFile } from "../lib/config-file.js";
import { CliError } from "../lib/errors.js";
import { envoyGatewayManifests } from "../lib/manifests/envoy-gateway.js";
import {
  istioWasmPlugin,
  parseIstioTargetRef,
  type IstioFailStrategy,
  type IstioMatchMode,
  type IstioPhase,
  type PullPolicy,
} from "../lib/manifests/istio.js";
import { formatImageReference, manifestReference, parseImageReference, type ImageReference } from "../lib/oci/reference.js";
import { RegistryClient } from "../lib/oci/registry.js";
import type { Output } from "../lib/output.js";
import { resolveCrdDir } from "../lib/project.js";
import { imageFor } from "./image.js";
import { validateConfiguration, type ValidateOptions } from "./validate.js";

export interface CommonManifestOptions {
  image: string;
  name?: string;
  namespace?: string;
  config?: string;
  sha256?: string;
  resolve?: boolean;
  layout?: string;
  plainHttp?: boolean;
  output?: string;
  crdDir?: string;
  pullPolicy?: string;
  pullSecret?: string;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new CliError(`${flag} "${value}": expected one of ${allowed.join(", ")}`);
  return value as T;
}

function parseKeyValues(flag: string, items: string[] | undefined): Record<string, string> | undefined {
  if (!items?.length) return undefined;
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new CliError(`${flag} "${item}": expected key=value`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function parseRef(text: string): ImageReference {
  try {
    return parseImageReference(text);
  } catch (error) {
    throw new CliError(`--image: ${(error as Error).message}`);
  }
}

/**
 * The manifest digest to pin: `--sha256` or the reference's `@sha256:`, else the digest of the locally
 * packaged module (packaging is reproducible, so it equals what `as-proxy push` uploaded). With `--resolve`,
 * the registry's digest for the tag is fetched and must agree.
 */
async function pinDigest(filter: string, ref: ImageReference, o: CommonManifestOptions, out: Output): Promise<string> {
  if (o.sha256 !== undefined && !/^[a-f0-9]{64}$/.test(o.sha256)) throw new CliError(`--sha256 "${o.sha256}": expected 64 lowercase hex digits`);
  const fromRef = ref.digest?.slice("sha256:".length);
  if (o.sha256 && fromRef && o.sha256 !== fromRef) {
    throw new CliError(`digest mismatch: --sha256 ${o.sha256} but --image names @sha256:${fromRef}`);
  }
  let digest = o.sha256 ?? fromRef;
  if (!digest) {
    digest = imageFor(filter, { layout: o.layout }).image.manifestDigest.slice("sha256:".length);
    out.progress(`pinning sha256 ${digest} (local ${o.layout ?? "compat"} image of ${filter})`);
  }
  if (o.resolve) {
    const client = new RegistryClient(ref, o.plainHttp ? { plainHttp: true } : {});
    out.progress(`resolving ${formatImageReference(ref)} in the registry`);
    const remote = (await client.getManifest(manifestReference(ref))).digest.slice("sha256:".length);
    if (remote !== digest) {
      throw new CliError(
        `digest mismatch: ${formatImageReference(ref)} is sha256:${remote} in the registry, expected sha256:${digest} (push the current build, or pin --sha256 ${remote})`,
      );
    }
  }
  return digest;
}

/** Reads `--config` and has the filter validate it, delivered as the target control plane delivers it. */
async function loadPluginConfig(filter: string, file: string | undefined, out: Output, options: ValidateOptions): Promise<unknown> {
  if (!file) return undefined;
  const config = readConfigFile(file);
  await validateConfiguration(filter, config, file, out, options);
  return config;
}

function loadRegistry(crdDir: string | undefined): CrdRegistry {
  const dir = resolveCrdDir(crdDir);
  try {
    return CrdRegistry.fromDirectory(dir);
  } catch (error) {
    throw new CliError(`CRDs in ${dir}: ${(error as Error).message}`);
  }
}

/** Validates generated documents; throws one line (+ details) when any is invalid. */
function checkGenerated(documents: Array<Record<string, unknown>>, crdDir: string | undefined, out: Output): ManifestReport[] {
  const registry = loadRegistry(crdDir);
  const reports = documents.map((doc, i) => registry.validate(doc, `document ${i}`));
  const problems = reports.flatMap(formatProblems);
  if (problems.length > 0) throw new CliError(`generated manifest is invalid: ${problems[0]}`, 1, problems);
  for (const r of reports) {
    if (!r.schemaFound) out.warn(`no CRD loaded for ${r.apiVersion} ${r.kind}: ${r.kind} ${r.name} not schema-checked`);
    for (const rule of r.uncheckedRules) out.warn(`${r.kind} ${r.name}: CEL rule not checked: ${rule}`);
  }
  return reports;
}

function emit(documents: Array<Record<string, unknown>>, extra: Record<string, unknown>, o: CommonManifestOptions, out: Output): void {
  const yaml = documents.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
  if (o.output) {
    writeFileSync(o.output, yaml);
    out.progress(`wrote ${o.output}`);
  }
  if (out.json) out.result({ documents, ...extra, ...(o.output ? { output: o.output } : {}) }, "");
  else if (!o.output) process.stdout.write(yaml);
}

export interface IstioManifestOptions extends CommonManifestOptions {
  pluginName?: string;
  phase?: string;
  priority?: string;
  failStrategy?: string;
  matchMode?: string;
  matchPort?: string[];
  selector?: string[];
  targetRef?: string[];
  type?: string;
  env?: string[];
  hostEnv?: string[];
}

export async function istioManifestCommand(filter: string, o: IstioManifestOptions, out: Output): Promise<void> {
  const ref = parseRef(o.image);
  const pluginConfig = await loadPluginConfig(filter, o.config, out, { encoding: "istio", rootId: o.pluginName ?? "" });
  if (pluginConfig !== undefined && (typeof pluginConfig !== "object" || pluginConfig === null || Array.isArray(pluginConfig))) {
    throw new CliError(`${o.config}: pluginConfig must be a mapping (google.protobuf.Struct)`);
  }
  const sha256 = await pinDigest(filter, ref, o, out);
  let priority: number | undefined;
  if (o.priority !== undefined) {
    priority = Number(o.priority);
    if (!Number.isInteger(priority) || priority < -(2 ** 31) || priority >= 2 ** 31) throw new CliError(`--priority "${o.priority}": expected a 32-bit integer`);
  }
  const ports = (o.matchPort ?? []).map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new CliError(`--match-port "${p}": expected 1..65535`);
    return n;
  });
  const env = [
    ...Object.entries(parseKeyValues("--env", o.env) ?? {}).map(([name, value]) => ({ name, value })),
    ...(o.hostEnv ?? []).map((name) => ({ name, valueFrom: "HOST" as const })),
  ];
  let document: Record<string, unknown>;
  try {
    const selector = parseKeyValues("--selector", o.selector);
    document = istioWasmPlugin({
      name: o.name ?? filter.replace(/\.wasm$/, "").replace(/.*\//, ""),
      namespace: o.namespace ?? "default",
      url: `oci://${formatImageReference({ ...ref, digest: undefined } as ImageReference)}`,
      sha256,
      ...(o.pluginName ? { pluginName: o.pluginName } : {}),
      ...(pluginConfig ? { pluginConfig: pluginConfig as Record<string, unknown> } : {}),
      ...(o.phase ? { phase: oneOf<IstioPhase>("--phase", o.phase, ["AUTHN", "AUTHZ", "STATS"]) } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(o.failStrategy ? { failStrategy: oneOf<IstioFailStrategy>("--fail-strategy", o.failStrategy, ["FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"]) } : {}),
      ...(o.pullPolicy ? { imagePullPolicy: oneOf<PullPolicy>("--pull-policy", o.pullPolicy, ["IfNotPresent", "Always"]) } : {}),
      ...(o.pullSecret ? { imagePullSecret: o.pullSecret } : {}),
      ...(o.type ? { type: oneOf<"HTTP" | "NETWORK">("--type", o.type, ["HTTP", "NETWORK"]) } : {}),
      ...(o.matchMode || ports.length
        ? { match: { ...(o.matchMode ? { mode: oneOf<IstioMatchMode>("--match-mode", o.matchMode, ["CLIENT", "SERVER", "CLIENT_AND_SERVER"]) } : {}), ports } }
        : {}),
      ...(selector ? { selector } : {}),
      ...(o.targetRef?.length ? { targetRefs: o.targetRef.map(parseIstioTargetRef) } : {}),
      ...(env.length ? { env } : {}),
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError((error as Error).message);
  }
  checkGenerated([document], o.crdDir, out);
  emit([document], { sha256 }, o, out);
}

export interface EnvoyGatewayManifestOptions extends CommonManifestOptions {
  rootId?: string;
  wasmName?: string;
  failOpen?: boolean;
  hostEnv?: string[];
  gateway?: string;
  gatewayNamespace?: string;
  route?: string;
  hostname?: string[];
  pathPrefix?: string;
  backend?: string;
  targetRef?: string[];
}

export async function envoyGatewayManifestCommand(filter: string, o: EnvoyGatewayManifestOptions, out: Output): Promise<void> {
  const ref = parseRef(o.image);
  const config = await loadPluginConfig(filter, o.config, out, { encoding: "envoy-gateway", rootId: o.rootId ?? "" });
  const sha256 = await pinDigest(filter, ref, o, out);
  const name = o.name ?? filter.replace(/\.wasm$/, "").replace(/.*\//, "");
  let route;
  if (o.gateway || o.backend) {
    if (!o.gateway || !o.backend) throw new CliError("a generated HTTPRoute needs both --gateway <name> and --backend <service>:<port>");
    const [service, portText] = o.backend.split(":");
    const port = Number(portText);
    if (!service || !Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`--backend "${o.backend}": expected <service>:<port>`);
    route = {
      name: o.route ?? name,
      gateway: o.gateway,
      ...(o.gatewayNamespace ? { gatewayNamespace: o.gatewayNamespace } : {}),
      ...(o.hostname?.length ? { hostnames: o.hostname } : {}),
      ...(o.pathPrefix ? { pathPrefix: o.pathPrefix } : {}),
      backend: { name: service, port },
    };
  }
  const targetRefs = (o.targetRef ?? []).map((text) => {
    const [kind, refName, ...rest] = text.split("/");
    if (!kind || !refName || rest.length) throw new CliError(`--target-ref "${text}": expected Kind/name, e.g. Gateway/eg or HTTPRoute/backend`);
    return { kind, name: refName };
  });
  let documents: Array<Record<string, unknown>>;
  try {
    documents = envoyGatewayManifests({
      name,
      namespace: o.namespace ?? "default",
      imageUrl: formatImageReference({ ...ref, digest: undefined } as ImageReference),
      sha256,
      ...(o.wasmName ? { wasmName: o.wasmName } : {}),
      ...(o.rootId ? { rootId: o.rootId } : {}),
      ...(config !== undefined ? { config } : {}),
      ...(o.failOpen ? { failOpen: true } : {}),
      ...(o.hostEnv?.length ? { hostEnvKeys: o.hostEnv } : {}),
      ...(o.pullPolicy ? { pullPolicy: oneOf<PullPolicy>("--pull-policy", o.pullPolicy, ["IfNotPresent", "Always"]) } : {}),
      ...(o.pullSecret ? { pullSecret: o.pullSecret } : {}),
      ...(route ? { route } : {}),
      ...(targetRefs.length ? { targetRefs } : {}),
    });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  checkGenerated(documents, o.crdDir, out);
  emit(documents, { sha256 }, o, out);
}

export async function checkManifestsCommand(files: string[], o: { crdDir?: string }, out: Output): Promise<void> {
  const registry = loadRegistry(o.crdDir);
  const reports: ManifestReport[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new CliError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    reports.push(...registry.validateYaml(text, file));
  }
  const problems = reports.flatMap(formatProblems);
  for (const r of reports) {
    if (!r.schemaFound && r.errors.length === 0) out.warn(`${r.source}: no CRD loaded for ${r.apiVersion} ${r.kind} (not checked)`);
    for (const rule of r.uncheckedRules) out.warn(`${r.source}: CEL rule not checked: ${rule}`);
  }
  if (problems.length > 0) {
    throw new CliError(`invalid manifest: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ""}`, 1, problems, {
      valid: false,
      reports,
    });
  }
  const checked = reports.filter((r) => r.schemaFound).length;
  out.result({ valid: true, reports }, `ok: ${checked} of ${reports.length} document(s) validated against the CRDs`);
}

export function listRulesCommand(o: { crdDir?: string }, out: Output): void {
  const rules = listCelRules(loadRegistry(o.crdDir));
  const unchecked = rules.filter((r) => !r.implemented);
  for (const r of unchecked) out.warn(`${r.kind}: CEL rule not checked: ${r.rule}`);
  out.result({ rules }, celRulesMarkdown(rules));
}
