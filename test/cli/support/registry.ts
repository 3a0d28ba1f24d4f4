/**
 * A real OCI registry for the tests: Debian's `docker-registry` (github.com/docker/distribution 2.8) on
 * 127.0.0.1 with a config of our own — no auth, storage in a temporary directory, deletes enabled — started
 * per test file and stopped by its pid afterwards (deployment.md §E.3).
 *
 * Outside CI a missing binary skips the registry tests with one loud line; with CI=true it is a failure
 * (install: `apt-get install -y docker-registry skopeo`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../../harness/envoy/ports";

export const REGISTRY_BINARY = process.env.DOCKER_REGISTRY_BIN ?? "/usr/bin/docker-registry";
export const SKOPEO_BINARY = process.env.SKOPEO_BIN ?? "/usr/bin/skopeo";

export function requireTool(binary: string, aptPackage: string): boolean {
  if (existsSync(binary)) return true;
  if (process.env.CI === "true") throw new Error(`CI=true: ${binary} is missing (apt-get install -y ${aptPackage})`);
  console.warn(`\n!!! registry tests SKIPPED: ${binary} not found (apt-get install -y ${aptPackage}) !!!\n`);
  return false;
}

export class LocalRegistry {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    /** What the registry printed (for failure messages). */
    readonly log: string[],
  ) {}

  /** host:port to use in image references. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(): Promise<LocalRegistry> {
    const dir = mkdtempSync(join(tmpdir(), "as-proxy-registry-"));
    const port = await freePort();
    const config = join(dir, "config.yml");
    writeFileSync(
      config,
      [
        "version: 0.1",
        "log: {level: warn}",
        "storage:",
        `  filesystem: {rootdirectory: ${join(dir, "storage")}}`,
        "  delete: {enabled: true}",
        `http: {addr: "127.0.0.1:${port}"}`,
        "",
      ].join("\n"),
    );
    const child = spawn(REGISTRY_BINARY, ["serve", config], { stdio: ["ignore", "pipe", "pipe"] });
    const log: string[] = [];
    child.stdout!.setEncoding("utf8").on("data", (c: string) => log.push(c));
    child.stderr!.setEncoding("utf8").on("data", (c: string) => log.push(c));
    const registry = new LocalRegistry(child, dir, port, log);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited: ${log.join("")}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/v2/`);
        if (response.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await registry.stop();
        throw new Error(`docker-registry did not answer GET /v2/ within 20 s: ${log.join("")}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return registry;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
