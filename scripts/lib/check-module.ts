/**
 * Checks a module against what Envoy needs to load a proxy-wasm 0.2.1 plugin (host-behaviour.md F.1–F.5,
 * deployment.md D.6). Returns every problem, each a sentence naming the import or export, so a failing build
 * check says exactly what Envoy would reject.
 */

import {
  ABI_0_1_0_ONLY,
  ENVOY_CALLBACKS,
  SPEC_CALLBACKS_0_2_1,
  envoyImportSignature,
  type FunctionSignature,
} from "./envoy-abi.js";
import { formatSignature, type ModuleInfo } from "./wasm-module.js";

function sameSignature(a: FunctionSignature | undefined, b: FunctionSignature): boolean {
  return (
    a !== undefined &&
    a.params.length === b.params.length &&
    a.params.every((type, i) => type === b.params[i]) &&
    a.results.length === b.results.length &&
    a.results.every((type, i) => type === b.results[i])
  );
}

export interface CheckOptions {
  /** Also require every ABI 0.2.1 callback (true for modules built with this SDK). */
  requireAllCallbacks?: boolean;
}

export function checkEnvoyModule(info: ModuleInfo, options: CheckOptions = {}): string[] {
  const problems: string[] = [];

  for (const entry of info.imports) {
    const where = `${entry.module}.${entry.name}`;
    if (entry.kind !== "function") {
      problems.push(`imports ${entry.kind} ${where}: Envoy provides only functions (imported memory/globals fail to link)`);
      continue;
    }
    if (entry.module === "env" && ABI_0_1_0_ONLY.includes(entry.name)) {
      problems.push(`imports ${where}, which Envoy provides only to ABI 0.1.0 modules`);
      continue;
    }
    const expected = envoyImportSignature(entry.module, entry.name);
    if (expected === undefined) {
      problems.push(`imports ${where}, which Envoy does not provide ("Failed to load Wasm module due to a missing import")`);
    } else if (!sameSignature(entry.signature, expected)) {
      problems.push(
        `imports ${where} as ${formatSignature(entry.signature)}, but Envoy provides ${formatSignature(expected)} (import type mismatch)`,
      );
    }
  }

  const exports = new Map(info.exports.map((entry) => [entry.name, entry]));
  if (!exports.has("proxy_abi_version_0_2_1")) {
    problems.push('does not export proxy_abi_version_0_2_1 ("Missing or unknown Proxy-Wasm ABI version")');
  }
  for (const other of ["proxy_abi_version_0_2_0", "proxy_abi_version_0_1_0"]) {
    if (exports.has(other)) problems.push(`also exports ${other}: the first ABI marker cpp-host finds wins`);
  }
  if (!exports.has("malloc") && !exports.has("proxy_on_memory_allocate")) {
    problems.push('exports neither malloc nor proxy_on_memory_allocate ("Wasm module is missing malloc function")');
  }
  if (info.hasStartSection) {
    problems.push("has a start section: it would run while the host has no context (build with --exportStart _initialize)");
  }
  const memory = exports.get("memory");
  if (memory === undefined || memory.kind !== "memory") problems.push("does not export its memory as `memory`");
  if (!exports.has("_initialize") && !exports.has("_start")) problems.push("exports neither _initialize nor _start");

  for (const entry of info.exports) {
    const expected = Object.hasOwn(ENVOY_CALLBACKS, entry.name) ? ENVOY_CALLBACKS[entry.name] : undefined;
    if (expected === undefined) continue;
    if (entry.kind !== "function") {
      problems.push(`exports ${entry.name} as a ${entry.kind}, not a function`);
    } else if (!sameSignature(entry.signature, expected)) {
      problems.push(
        `exports ${entry.name} as ${formatSignature(entry.signature)}, but Envoy requires ${formatSignature(expected)} ("Bad function signature")`,
      );
    }
  }

  if (options.requireAllCallbacks) {
    for (const name of SPEC_CALLBACKS_0_2_1) {
      if (!exports.has(name)) problems.push(`does not export the ABI 0.2.1 callback ${name}`);
    }
  }
  return problems;
}
