/**
 * Validates Kubernetes manifests against the real CRD schemas (the `openAPIV3Schema` of the served version) the
 * way the apiserver does on `kubectl apply` (server-side field validation `Strict`, kubectl's default):
 *
 *  1. apiVersion/kind must name a CRD we loaded; `metadata.name` a DNS-1123 subdomain, `metadata.namespace` a
 *     DNS-1123 label (both CRDs here are Namespaced);
 *  2. JSON Schema (ajv) over the structural schema, converted from OpenAPI v3: `nullable` → `type: [T, "null"]`,
 *     `x-kubernetes-int-or-string` → integer|string, `x-kubernetes-preserve-unknown-fields` → any extra keys,
 *     otherwise unknown fields are errors (additionalProperties: false, as Strict field validation rejects them),
 *     formats int32/int64/byte/date-time;
 *  3. `x-kubernetes-list-type: map` (unique keys) and `set` (unique items);
 *  4. the CEL `x-kubernetes-validations` rules ({@link celPredicate}), on the object after schema defaults;
 *     rules without an implementation are returned in `uncheckedRules` (never silently passed).
 *
 * Errors carry JSON paths (`spec.targetRefs[0].kind: …`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import { celPredicate, normalizeRule } from "./cel-rules.js";

type Schema = Record<string, unknown>;

export interface LoadedCrd {
  group: string;
  kind: string;
  /** Served versions with their schema. */
  versions: Map<string, { schema: Schema; validate: ValidateFunction }>;
  namespaced: boolean;
  file: string;
}

export interface ManifestProblem {
  /** JSON path in the manifest (`spec.url`), "" for the document itself. */
  path: string;
  message: string;
}

export interface ManifestReport {
  /** `<file>#<document index>` or the name given by the caller. */
  source: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  /** false when no CRD is loaded for this apiVersion/kind (nothing was checked). */
  schemaFound: boolean;
  errors: ManifestProblem[];
  /** CEL rule texts met on this object that have no implementation (not checked). */
  uncheckedRules: string[];
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const K8S_KEYWORDS = [
  "x-kubernetes-validations",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-embedded-resource",
];

function createAjv(): Ajv {
  // strictSchema: unknown keywords are an error (the K8s ones are registered below). strictTypes off: int-or-string
  // fields put string keywords (pattern) beside integer alternatives, which is valid for the apiserver.
  const ajv = new Ajv({ allErrors: true, strictSchema: true, strictTypes: false, allowUnionTypes: true, validateFormats: true });
  ajv.addVocabulary(K8S_KEYWORDS);
  ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat("byte", { type: "string", validate: (s: string) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 });
  ajv.addFormat("date-time", { type: "string", validate: (s: string) => RFC3339.test(s) });
  return ajv;
}

/** OpenAPI v3 (Kubernetes structural schema) → JSON Schema for ajv. Returns a converted deep copy. */
export function toJsonSchema(node: unknown, isRoot = false): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n));
  if (typeof node !== "object" || node === null) return node;
  const src = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(src)) {
    if (key === "properties") {
      out.properties = Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, toJsonSchema(v)]));
    } else if (key === "description" || key === "nullable" || key === "x-kubernetes-int-or-string") {
      continue;
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  if (src.nullable === true && typeof src.type === "string") out.type = [src.type, "null"];
  if (src["x-kubernetes-int-or-string"] === true && !src.anyOf) out.anyOf = [{ type: "integer" }, { type: "string" }];
  if (isRoot) {
    // Every object carries these even when the CRD's schema omits them (Istio's does).
    const props = (out.properties ?? {}) as Schema;
    props.apiVersion ??= { type: "string" };
    props.kind ??= { type: "string" };
    props.metadata ??= { type: "object" };
    out.properties = props;
  }
  const preserve = src["x-kubernetes-preserve-unknown-fields"] === true;
  if (out.properties && out.additionalProperties === undefined && !preserve) out.additionalProperties = false;
  return out;
}

/** Loads every CustomResourceDefinition in the given YAML files (leading `#` comment lines are fine). */
export class CrdRegistry {
  private readonly byKey = new Map<string, LoadedCrd>();
  private readonly ajv = createAjv();

  static fromDirectory(dir: string): CrdRegistry {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
      .sort()
      .map((f) => join(dir, f));
    if (files.length === 0) throw new Error(`${dir}: no CRD files (*.yaml)`);
    const registry = new CrdRegistry();
    for (const file of files) registry.addFile(file);
    return registry;
  }

  addFile(file: string): void {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const crd = doc.toJS() as Schema | null;
      if (!crd || crd.kind !== "CustomResourceDefinition") continue;
      this.addCrd(crd, file);
    }
  }

  private addCrd(crd: Schema, file: string): void {
    const spec = crd.spec as { group: string; names: { kind: string }; scope: string; versions: Schema[] };
    const versions = new Map<string, { schema: Schema; validate: ValidateFunction }>();
    for (const version of spec.versions) {
      if (version.served === false) continue;
      const schema = (version.schema as { openAPIV3Schema?: Schema } | undefined)?.openAPIV3Schema;
      if (!schema) continue;
      let validate: ValidateFunction;
      try {
        validate = this.ajv.compile(toJsonSchema(schema, true) as Schema);
      } catch (error) {
        throw new Error(`${file}: schema of ${spec.names.kind} ${String(version.name)} does not compile: ${(error as Error).message}`);
      }
      versions.set(String(version.name), { schema, validate });
    }
    this.byKey.set(`${spec.group}/${spec.names.kind}`, {
      group: spec.group,
      kind: spec.names.kind,
      versions,
      namespaced: spec.scope === "Namespaced",
      file,
    });
  }

  find(group: string, kind: string): LoadedCrd | undefined {
    return this.byKey.get(`${group}/${kind}`);
  }

  kinds(): string[] {
    return [...this.byKey.values()].map((c) => `${c.kind}.${c.group}`);
  }

  /** Validates one parsed manifest object. */
  validate(manifest: unknown, source: string): ManifestReport {
    const obj = (typeof manifest === "object" && manifest !== null ? manifest : {}) as Schema;
    const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
    const kind = typeof obj.kind === "string" ? obj.kind : "";
    const metadata = (typeof obj.metadata === "object" && obj.metadata !== null ? obj.metadata : {}) as Schema;
    const report: ManifestReport = {
      source,
      apiVersion,
      kind,
      name: typeof metadata.name === "string" ? metadata.name : "",
      namespace: typeof metadata.namespace === "string" ? metadata.namespace : "",
      schemaFound: false,
      errors: [],
      uncheckedRules: [],
    };
    if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
      report.errors.push({ path: "", message: "a manifest must be a YAML mapping" });
      return report;
    }
    if (!apiVersion) report.errors.push({ path: "apiVersion", message: "required" });
    if (!kind) report.errors.push({ path: "kind", message: "required" });
    if (report.errors.length > 0) return report;
    const slash = apiVersion.lastIndexOf("/");
    const group = slash === -1 ? "" : apiVersion.slice(0, slash);
    const version = apiVersion.slice(slash + 1);
    const crd = this.find(group, kind);
    if (!crd) return report;
    report.schemaFound = true;
    const served = crd.versions.get(version);
    if (!served) {
      report.errors.push({
        path: "apiVersion",
        message: `${kind} has no served version "${version}" (served: ${[...crd.versions.keys()].join(", ")})`,
      });
      return report;
    }
    checkMetadata(metadata, crd.namespaced, report.errors);
    if (!served.validate(manifest)) report.errors.push(...ajvProblems(served.validate.errors ?? []));
    walkKubernetesExtensions(served.schema, applyDefaults(served.schema, manifest), "", report);
    report.errors = dedupe(report.errors);
    return report;
  }

  /** Validates every document of a (multi-document) YAML text. */
  validateYaml(text: string, source: string): ManifestReport[] {
    const reports: ManifestReport[] = [];
    parseAllDocuments(text).forEach((doc, index) => {
      const where = `${source}#${index}`;
      if (doc.errors.length > 0) {
        reports.push({
          source: where, apiVersion: "", kind: "", name: "", namespace: "", schemaFound: false,
          errors: [{ path: "", message: `YAML: ${doc.errors[0]!.message.split("\n")[0]}` }], uncheckedRules: [],
        });
        return;
      }
      const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
      if (value === null || value === undefined) return; // empty document (e.g. trailing ---)
      reports.push(this.validate(value, where));
    });
    return reports;
  }
}

function checkMetadata(metadata: Schema, namespaced: boolean, errors: ManifestProblem[]): void {
  const name = metadata.name;
  if (typeof name !== "string" || name === "") errors.push({ path: "metadata.name", message: "required" });
  else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    errors.push({ path: "metadata.name", message: `"${name}" is not a DNS-1123 subdomain (lowercase alphanumerics, '-', '.')` });
  }
  const ns = metadata.namespace;
  if (ns !== undefined) {
    if (!namespaced) errors.push({ path: "metadata.namespace", message: "the resource is cluster-scoped" });
    else if (typeof ns !== "string" || ns.length > 63 || !DNS1123_LABEL.test(ns)) {
      errors.push({ path: "metadata.namespace", message: `"${String(ns)}" is not a DNS-1123 label` });
    }
  }
  for (const field of ["labels", "annotations"]) {
    const map = metadata[field];
    if (map === undefined) continue;
    if (typeof map !== "object" || map === null || Array.isArray(map) || Object.values(map).some((v) => typeof v !== "string")) {
      errors.push({ path: `metadata.${field}`, message: "must be a map of strings" });
    }
  }
}

/** `/spec/targetRefs/0/kind` → `spec.targetRefs[0].kind`. */
export function jsonPointerToPath(pointer: string): string {
  let out = "";
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += /^[A-Za-z_$][\w$-]*$/.test(part) ? `${out ? "." : ""}${part}` : `[${JSON.stringify(part)}]`;
  }
  return out;
}

function ajvProblems(errors: ErrorObject[]): ManifestProblem[] {
  const out: ManifestProblem[] = [];
  for (const e of errors) {
    const path = jsonPointerToPath(e.instancePath);
    const at = (child: string) => (path ? `${path}.${child}` : child);
    switch (e.keyword) {
      case "additionalProperties":
        out.push({ path: at(String(e.params.additionalProperty)), message: "unknown field" });
        break;
      case "required":
        out.push({ path: at(String(e.params.missingProperty)), message: "required" });
        break;
      case "enum":
        out.push({ path, message: `must be one of: ${(e.params.allowedValues as unknown[]).map(String).join(", ")}` });
        break;
      case "anyOf":
        break; // the branch errors say more
      default:
        out.push({ path, message: e.message ?? e.keyword });
    }
  }
  return out;
}

function dedupe(problems: ManifestProblem[]): ManifestProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isObject(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A copy of `value` with the schema's `default`s filled in for absent fields (apiserver defaulting). */
export function applyDefaults(schema: Schema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return isObject(items) ? value.map((v) => applyDefaults(items, v)) : value;
  }
  if (!isObject(value)) return value;
  const out: Schema = { ...value };
  const props = isObject(schema.properties) ? schema.properties : {};
  for (const [key, sub] of Object.entries(props)) {
    if (!isObject(sub)) continue;
    if (out[key] === undefined && sub.default !== undefined) out[key] = structuredClone(sub.default);
    if (out[key] !== undefined) out[key] = applyDefaults(sub, out[key]);
  }
  if (isObject(schema.additionalProperties)) {
    for (const key of Object.keys(out)) {
      if (!(key in props)) out[key] = applyDefaults(schema.additionalProperties, out[key]);
    }
  }
  for (const combinator of ["allOf"] as const) {
    for (const sub of (schema[combinator] as Schema[] | undefined) ?? []) Object.assign(out, applyDefaults(sub, out));
  }
  return out;
}

/** Checks list-type map/set uniqueness and CEL rules, recursively along schema and value. */
function walkKubernetesExtensions(schema: Schema, value: unknown, path: string, report: ManifestReport): void {
  if (value === undefined || value === null) return;
  const rules = schema["x-kubernetes-validations"];
  if (Array.isArray(rules)) {
    for (const entry of rules as Array<{ rule: string; message?: string }>) {
      const predicate = celPredicate(entry.rule);
      if (!predicate) {
        const text = normalizeRule(entry.rule);
        if (!report.uncheckedRules.includes(text)) report.uncheckedRules.push(text);
        continue;
      }
      if (!predicate(value)) {
        report.errors.push({ path, message: entry.message ?? `failed rule: ${normalizeRule(entry.rule)}` });
      }
    }
  }
  if (Array.isArray(value)) {
    const listType = schema["x-kubernetes-list-type"];
    if (listType === "map") {
      const keys = (schema["x-kubernetes-list-map-keys"] as string[] | undefined) ?? [];
      const seen = new Map<string, number>();
      value.forEach((item, i) => {
        const key = JSON.stringify(keys.map((k) => (isObject(item) ? item[k] : undefined)));
        const first = seen.get(key);
        if (first !== undefined) {
          report.errors.push({ path: `${path}[${i}]`, message: `duplicate entry: same ${keys.join(", ")} as ${path}[${first}]` });
        } else seen.set(key, i);
      });
    } else if (listType === "set") {
      const seen = new Map<string, number>();
      value.forEach((item, i) => {
        const key = JSON.stringify(item);
        const first = seen.get(key);
        if (first !== undefined) report.errors.push({ path: `${path}[${i}]`, message: `duplicate value (same as ${path}[${first}])` });
        else seen.set(key, i);
      });
    }
    if (isObject(schema.items)) value.forEach((item, i) => walkKubernetesExtensions(schema.items as Schema, item, `${path}[${i}]`, report));
    return;
  }
  if (!isObject(value)) return;
  const props = isObject(schema.properties) ? schema.properties : {};
  for (const [key, sub] of Object.entries(props)) {
    if (isObject(sub)) walkKubernetesExtensions(sub, value[key], path ? `${path}.${key}` : key, report);
  }
  if (isObject(schema.additionalProperties)) {
    for (const [key, v] of Object.entries(value)) {
      if (!(key in props)) walkKubernetesExtensions(schema.additionalProperties, v, `${path}[${JSON.stringify(key)}]`, report);
    }
  }
}

/** One line per problem: `<source> <Kind> <ns>/<name>: <path>: <message>`. */
export function formatProblems(report: ManifestReport): string[] {
  const who = `${report.kind || "object"} ${report.namespace ? `${report.namespace}/` : ""}${report.name || "(unnamed)"}`;
  return report.errors.map((p) => `${report.source}: ${who}: ${p.path ? `${p.path}: ` : ""}${p.message}`);
}

export interface CrdRuleInfo {
  kind: string;
  file: string;
  /** Schema paths where the rule appears (`spec.wasm[].code`). */
  paths: string[];
  rule: string;
  message: string;
  implemented: boolean;
}

/** Every CEL rule of every loaded CRD (served versions), with whether {@link celPredicate} implements it. */
export function listCelRules(registry: CrdRegistry): CrdRuleInfo[] {
  const out: CrdRuleInfo[] = [];
  for (const key of registry.kinds()) {
    const [kind, ...groupParts] = key.split(".");
    const crd = registry.find(groupParts.join("."), kind!)!;
    const byRule = new Map<string, CrdRuleInfo>();
    const walk = (node: unknown, path: string) => {
      if (!isObject(node)) return;
      for (const entry of (node["x-kubernetes-validations"] as Array<{ rule: string; message?: string }> | undefined) ?? []) {
        const rule = normalizeRule(entry.rule);
        const info = byRule.get(rule) ?? { kind: crd.kind, file: crd.file, paths: [], rule, message: entry.message ?? "", implemented: celPredicate(rule) !== undefined };
        if (!info.paths.includes(path || "(object)")) info.paths.push(path || "(object)");
        byRule.set(rule, info);
      }
      if (isObject(node.properties)) for (const [k, v] of Object.entries(node.properties)) walk(v, path ? `${path}.${k}` : k);
      if (isObject(node.items)) walk(node.items, `${path}[]`);
      if (isObject(node.additionalProperties)) walk(node.additionalProperties, `${path}{}`);
    };
    for (const version of crd.versions.values()) walk(version.schema, "");
    out.push(...byRule.values());
  }
  return out;
}

/** The rule list as Markdown tables, one per kind (docs/DEPLOY.md embeds this output). */
export function celRulesMarkdown(rules: CrdRuleInfo[]): string {
  const kinds = [...new Set(rules.map((r) => r.kind))].sort();
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  return kinds
    .map((kind) => {
      const rows = rules
        .filter((r) => r.kind === kind)
        .map((r) => {
          const where = r.paths.length > 2 ? `${r.paths[0]} (+${r.paths.length - 1} more)` : r.paths.join(", ");
          return `| \`${cell(where)}\` | \`${cell(r.rule)}\` | ${cell(r.message)} | ${r.implemented ? "yes" : "**no**"} |`;
        });
      return [`#### ${kind}`, "", "| where | rule | message | checked |", "|---|---|---|---|", ...rows].join("\n");
    })
    .join("\n\n");
}
