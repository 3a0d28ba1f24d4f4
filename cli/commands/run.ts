/**
 * `as-proxy run <filter> --config <file> [--upstream URL]`: the local development loop. Starts real Envoy
 * (provisioned by `scripts/provision.sh`, driven by the harness's `EnvoyProcess`) on 127.0.0.1 with the filter in
 * front of the upstream (default: a built-in echo server that answers with what reached it), prints the URL and
 * streams the filter's log lines until Ctrl-C.
 *
 * The configuration is delivered exactly as Istio would deliver the same `pluginConfig` (deployment.md §B.6), and
 * validated first.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvoyProcess, type EnvoyLogLine } from "../../harness/envoy/envoy-process.js";
import { freePort } from "../../harness/envoy/ports.js";
import { provisionTools } from "../../harness/envoy/tools.js";
import { readConfigFile } from "../lib/config-file.js";
import { startEchoServer, type EchoServer } from "../lib/echo-server.js";
import { localBootstrap, localWasmFilter, type UpstreamSpec } from "../lib/envoy-bootstrap.js";
import { CliError, errorMessage } from "../lib/errors.js";
import type { Output } from "../lib/output.js";
import { modulePath, resolveModule } from "../lib/project.js";
import { validateConfiguration } from "./validate.js";

export interface RunOptions {
  config?: string;
  upstream?: string;
  port?: string;
  adminPort?: string;
  rootId?: string;
  debug?: boolean;
  logLevel?: string;
}

function parseUpstream(text: string): UpstreamSpec {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--upstream "${text}": not a URL (expected http://host:port or https://host:port)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError(`--upstream "${text}": only http:// and https:// upstreams`);
  const tls = url.protocol === "https:";
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port: url.port ? Number(url.port) : tls ? 443 : 80, tls };
}

function parsePort(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`${flag} "${text}": expected 1..65535`);
  return port;
}

export async function runCommand(filter: string, o: RunOptions, out: Output): Promise<void> {
  const { file: release, name } = resolveModule(filter);
  const file = o.debug && !filter.endsWith(".wasm") ? modulePath(filter, "debug") : release;
  const upstreamSpec = o.upstream ? parseUpstream(o.upstream) : undefined;
  const listenerPortOption = parsePort("--port", o.port);
  const adminPortOption = parsePort("--admin-port", o.adminPort);
  const config = o.config ? readConfigFile(o.config) : undefined;
  const { configuration } = await validateConfiguration(filter, config, o.config ?? "(no configuration)", out, { rootId: o.rootId ?? "" });
  const listenerPort = listenerPortOption ?? (await freePort());
  const adminPort = adminPortOption ?? (await freePort());

  out.progress("provisioning Envoy (scripts/provision.sh)");
  let envoyBinary: string;
  try {
    const tools = provisionTools();
    if (!tools.ok) throw new Error(tools.skipReason);
    envoyBinary = tools.tools.envoy;
  } catch (error) {
    throw new CliError(`cannot provision Envoy: ${errorMessage(error).split("\n")[0]}`);
  }

  let echo: EchoServer | undefined;
  if (!upstreamSpec) echo = await startEchoServer();
  const upstream = upstreamSpec ?? { host: "127.0.0.1", port: echo!.port };
  const workDir = mkdtempSync(join(tmpdir(), "as-proxy-run-"));
  const bootstrapPath = join(workDir, "envoy.json");
  writeFileSync(
    bootstrapPath,
    JSON.stringify(
      localBootstrap({
        adminPort,
        listenerPort,
        upstream,
        httpFilters: [localWasmFilter({ name, rootId: o.rootId ?? "", configuration, filename: file, vmId: name })],
      }),
      null,
      2,
    ),
  );
  let envoy: EnvoyProcess | undefined;
  const cleanup = async () => {
    await envoy?.stop();
    await echo?.close();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    out.progress(`starting Envoy ${envoyBinary}`);
    envoy = await EnvoyProcess.start({
      envoyBinary,
      bootstrapPath,
      adminPort,
      componentLogLevel: `wasm:${o.logLevel ?? "debug"}`,
    });
  } catch (error) {
    await cleanup();
    throw new CliError(`Envoy did not start: ${errorMessage(error).split("\n")[0]}`);
  }
  const url = `http://127.0.0.1:${listenerPort}/`;
  const ready = { url, admin: `http://127.0.0.1:${adminPort}/`, upstream: `${upstream.tls ? "https" : "http"}://${upstream.host}:${upstream.port}`, pid: envoy.pid, bootstrap: bootstrapPath };
  if (out.json) process.stdout.write(`${JSON.stringify({ event: "ready", ...ready })}\n`);
  else process.stdout.write(`${name} is running in Envoy: ${url}  (admin ${ready.admin}, upstream ${ready.upstream})\nCtrl-C to stop.\n`);

  const print = (line: EnvoyLogLine) => {
    if (out.json) process.stdout.write(`${JSON.stringify({ event: "log", level: line.level, logger: line.logger, message: line.message })}\n`);
    else process.stdout.write(`[${line.level}] ${line.message}\n`);
  };
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await cleanup();
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  // Stream the plugin's lines (`wasm log <plugin> <root> <vm>: …`) and Envoy's own warnings and errors (a plugin
  // that fails to load, a trap) until Envoy exits; Envoy's VM bookkeeping lines at debug level are left out.
  const interesting = (l: EnvoyLogLine) =>
    (l.logger === "wasm" && l.message.startsWith("wasm log")) || l.level === "warning" || l.level === "error" || l.level === "critical";
  let next = envoy.lines.length;
  // Startup: plugin lines and errors only (Envoy warns about its default limits on every start).
  for (const line of envoy.lines) if (interesting(line) && (line.level !== "warning" || line.logger === "wasm")) print(line);
  while (envoy.running && !stopping) {
    try {
      const line = await envoy.waitForLine(interesting, next, "a log line", 3_600_000);
      next = line.index + 1;
      print(line);
    } catch {
      // Envoy exited, or an hour passed without a line (then keep waiting).
      if (!envoy.running) break;
    }
  }
  await stop();
}
