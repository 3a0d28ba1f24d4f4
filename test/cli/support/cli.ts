/** Runs the real `bin/as-proxy.js` in a child process (what a user runs), capturing both streams. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
export const crdDir = fileURLToPath(new URL("../../../crds", import.meta.url));
const bin = fileURLToPath(new URL("../../../bin/as-proxy.js", import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, AS_PROXY_CRD_DIR: crdDir, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** The lines of stderr that are errors (`as-proxy: …`). */
export function errorLines(result: CliResult): string[] {
  return result.stderr.split("\n").filter((l) => l.startsWith("as-proxy: "));
}
