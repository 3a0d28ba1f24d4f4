/**
 * Compiles filters with the project's build script (`scripts/build.ts`: asc with the asconfig.json targets,
 * content-hash cache, atomic writes). It runs as a child process so that the CLI and `npm run build` share one
 * implementation and one cache (`build/.cache.json`); its per-output lines become progress lines.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { CliError } from "./errors.js";
import { projectRoot } from "./project.js";

export async function buildFilters(names: string[], progress: (message: string) => void): Promise<void> {
  const script = join(projectRoot, "scripts", "build.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script, ...names], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let pending = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      progress(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (pending) progress(pending);
  if (code !== 0) {
    const lines = stderr.split("\n").filter((l) => l.trim() !== "");
    const failed = lines.find((l) => l.startsWith("FAILED")) ?? lines[0] ?? `exit code ${code}`;
    const diagnostic = lines.find((l) => /ERROR|error/.test(l) && !l.startsWith("FAILED") && !l.startsWith("build:"));
    throw new CliError(`build failed: ${failed.replace(/^FAILED\s+/, "")}${diagnostic ? `: ${diagnostic.trim()}` : ""}`, 1, lines);
  }
}
