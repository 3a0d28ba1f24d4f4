/**
 * Where things are: the project root (the package the CLI ships in), its filters (`filters/<name>/index.ts`),
 * their built modules (`build/<name>.wasm`, `build/<name>.debug.wasm`) and the CRD schemas.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "./errors.js";

export const projectRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Names of the filters in `filters/` (folders with an `index.ts`). */
export function listFilters(root = projectRoot): string[] {
  const dir = join(root, "filters");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, "index.ts")))
    .sort();
}

/** Throws a one-line error naming the known filters when `name` is not one of them. */
export function requireFilter(name: string, root = projectRoot): string {
  const known = listFilters(root);
  if (!known.includes(name)) {
    throw new CliError(`unknown filter "${name}" (known filters: ${known.length > 0 ? known.join(", ") : "none in filters/"})`);
  }
  return name;
}

export function modulePath(name: string, variant: "release" | "debug" = "release", root = projectRoot): string {
  return join(root, "build", variant === "debug" ? `${name}.debug.wasm` : `${name}.wasm`);
}

/**
 * The module a command works on: a path to a `.wasm` file, or a filter name whose release build must exist.
 * Returns the file and a display name.
 */
export function resolveModule(filterOrPath: string, root = projectRoot): { file: string; name: string } {
  if (filterOrPath.endsWith(".wasm")) {
    const file = resolve(filterOrPath);
    if (!existsSync(file) || !statSync(file).isFile()) throw new CliError(`${filterOrPath}: no such file`);
    const base = file.slice(file.lastIndexOf("/") + 1, -".wasm".length);
    return { file, name: base.replace(/\.debug$/, "") };
  }
  requireFilter(filterOrPath, root);
  const file = modulePath(filterOrPath, "release", root);
  if (!existsSync(file)) throw new CliError(`${file} not found: run \`as-proxy build ${filterOrPath}\` first`);
  return { file, name: filterOrPath };
}

/**
 * The CRD directory: `--crd-dir`, else `$AS_PROXY_CRD_DIR`, else `crds/` in the package, else the project's
 * shared reference copy (`../shared/crds` next to the repository). Validate against the CRDs of *your* cluster
 * with `kubectl get crd wasmplugins.extensions.istio.io -o yaml > crds/wasmplugins.yaml`.
 */
export function resolveCrdDir(explicit?: string, root = projectRoot): string {
  const candidates = explicit
    ? [explicit]
    : [process.env.AS_PROXY_CRD_DIR, join(root, "crds"), join(root, "..", "shared", "crds")].filter((c): c is string => !!c);
  for (const dir of candidates) if (existsSync(dir) && statSync(dir).isDirectory()) return resolve(dir);
  throw new CliError(
    `no CRD schemas found (looked in ${candidates.join(", ")}): pass --crd-dir <dir> with the WasmPlugin/EnvoyExtensionPolicy CRD YAML files`,
  );
}
