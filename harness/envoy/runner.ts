/**
 * Runs scenarios in a real Envoy: one Envoy process (and one echo upstream) serves any number of scenarios,
 * one after another.
 *
 * Per scenario:
 *   1. copy each module with a scenario-unique custom section (own VMs — see wasm-module.ts), start the
 *      collector servers for its callout clusters, write CDS, then write LDS with the scenario's listener;
 *   2. wait for Envoy to accept it (LDS `update_success`, then `listener_create_success`: the worker holds
 *      the listener and its VM) or to reject it (LDS `update_rejected`: the NACK of a plugin whose
 *      on_vm_start/on_configure failed — the process lives on);
 *   3. for each request: send it, then send a *marker* request to the static Lua listener, which logs
 *      `as-proxy-marker <n>` on the same worker thread. With `--concurrency 1` every plugin log line of a
 *      request is written on that thread between the previous marker and this one, so attribution is exact
 *      (on_log/on_done/on_delete included). Then wait for the request's access-log entry and read `/stats`;
 *   4. remove the listener (LDS without it) and wait until its VMs and their metrics are gone, so the next
 *      scenario's counters start from zero.
 *
 * Process-wide Envoy state that a fresh VM cannot reset — shared data and queue tokens (keyed by vm_id,
 * not by VM) and connection ids — is listed in docs/E2E.md; scenarios must not depend on it.
 */
import { mkdtemp, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { groupHeaders } from "../scenario/normalize";
import type {
  HeaderList,
  LoadOutcome,
  LogLevelName,
  Outcome,
  RequestStep,
  Scenario,
} from "../scenario/types";
import { AccessLogReader, type AccessLogEntry } from "./access-log";
import {
  MARKER_HEADER,
  MARKER_LOG_PREFIX,
  UPSTREAM_CLUSTER,
  buildBootstrap,
  buildScenarioListener,
  discoveryDocument,
  h2cCluster,
  pluginName,
} from "./bootstrap";
import { CertificateAuthority, type CertificateFiles } from "./certs";
import { send, type ClientRequest, type ClientResponse } from "./client";
import { EnvoyProcess, type EnvoyLogLine } from "./envoy-process";
import { JwtSigner } from "./jwt";
import { freePort } from "./ports";
import { CalloutCollector, EchoUpstream, type RecordedRequest } from "./servers";
import { projectRoot } from "./tools";
import { SCENARIO_SECTION, appendCustomSection } from "./wasm-module";

export interface EnvoyRunnerOptions {
  envoyBinary: string;
  /** Where `<filter>.wasm` files are found; default `<project>/build`. */
  moduleDirectory?: string;
  /** Scratch directory (bootstrap, xDS files, certificates, module copies, access log); default a temp dir. */
  workDirectory?: string;
  /** Keep the scratch directory after {@link EnvoyRunner.close} (for debugging). */
  keepWorkDirectory?: boolean;
  /** Default `wasm:trace,lua:info`: every plugin log level reaches the log. */
  componentLogLevel?: string;
  /** Per-request client timeout; default 10 s. */
  requestTimeoutMs?: number;
  /** Applied to every outcome before it is returned (the shared `normalize.ts`). */
  normalize?: (outcome: Outcome) => Outcome;
}

export interface EnvoyScenarioResult {
  load: LoadOutcome;
  /** One per request step; empty when the configuration was rejected (or `expectRejected` was set). */
  outcomes: Outcome[];
  /** Every Envoy log line printed while the scenario ran, for failure messages. */
  envoyLog: string[];
  /** `wasm.envoy.wasm.runtime.*` stats read while the scenario's VMs were alive (proof that V8 ran them). */
  runtimeStats: Record<string, number>;
}

const LOG_LEVELS: Record<string, LogLevelName> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warning: "warn",
  error: "error",
  critical: "critical",
};

/**
 * Envoy's log messages for a module V8 could not compile or link (proxy-wasm-cpp-host `src/v8/v8.cc`,
 * `src/wasm.cc`), as opposed to a plugin that loaded and then rejected its configuration.
 */
export const ENVOY_LOAD_FAILURE =
  /Failed to load Wasm module|missing import|import type mismatch|Missing or unknown Proxy-Wasm ABI|missing malloc|Failed to (initialize|create) Wasm code|CompileError/;

const RESERVED_CLUSTERS = new Set([UPSTREAM_CLUSTER, "marker"]);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes `file` atomically: Envoy's filesystem xDS watches for a rename into place. */
async function writeAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}

/** `wasm log <name> <root_id> <vm_id>: ` for each plugin (empty parts omitted, as Envoy does), longest first. */
function logPrefixes(scenario: Scenario): string[] {
  const prefixes = new Set<string>(["wasm log: "]);
  for (const plugin of scenario.plugins) {
    const parts = [pluginName(plugin), plugin.rootId ?? "", plugin.vmId ?? ""].filter((part) => part !== "");
    prefixes.add(`wasm log ${parts.join(" ")}: `);
  }
  return [...prefixes].sort((a, b) => b.length - a.length);
}

/** The plugin message of a `wasm log …: msg` line, or undefined for any other Envoy line. */
function pluginMessage(line: EnvoyLogLine, prefixes: string[]): string | undefined {
  if (line.logger !== "wasm" || !line.message.startsWith("wasm log")) return undefined;
  for (const prefix of prefixes) if (line.message.startsWith(prefix)) return line.message.slice(prefix.length);
  const generic = /^wasm log[^:]*: /.exec(line.message);
  return generic ? line.message.slice(generic[0].length) : undefined;
}

function pluginLogs(lines: EnvoyLogLine[], prefixes: string[]): Outcome["logs"] {
  const logs: Outcome["logs"] = [];
  for (const line of lines) {
    const message = pluginMessage(line, prefixes);
    if (message !== undefined) logs.push({ level: LOG_LEVELS[line.level] ?? "info", message });
  }
  return logs;
}

/** An access-log value: Envoy prints a missing value as null (JSON format) or "-". */
function accessLogValue(value: unknown): string | null {
  if (value === null || value === undefined || value === "-") return null;
  return String(value);
}

export class EnvoyRunner {
  private scenarioCount = 0;
  private markerCount = 0;
  private markerThread: number | undefined;
  private cdsContent = "";
  private queue: Promise<unknown> = Promise.resolve();
  private readonly moduleDirectory: string;

  private constructor(
    private readonly options: EnvoyRunnerOptions,
    private currentEnvoy: EnvoyProcess,
    readonly upstream: EchoUpstream,
    private readonly workDirectory: string,
    private readonly paths: { lds: string; cds: string; accessLog: string; bootstrap: string },
    private readonly markerPort: number,
    private readonly accessLog: AccessLogReader,
    private readonly certificates: CertificateAuthority,
    private readonly jwt: JwtSigner,
  ) {
    this.moduleDirectory = options.moduleDirectory ?? path.join(projectRoot, "build");
  }

  /** The Envoy process (a new one after a crash: see {@link run}). */
  get envoy(): EnvoyProcess {
    return this.currentEnvoy;
  }

  private restartCount = 0;

  /** How many times Envoy had to be restarted because it died during a scenario. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Starts a fresh Envoy when the previous one died (a crashing plugin call must not fail every later scenario). */
  private async ensureEnvoy(): Promise<void> {
    if (this.currentEnvoy.running) return;
    const empty = JSON.stringify(discoveryDocument([]));
    await writeFile(this.paths.lds, empty);
    await writeFile(this.paths.cds, empty);
    this.cdsContent = "";
    this.markerThread = undefined;
    this.currentEnvoy = await EnvoyProcess.start({
      envoyBinary: this.options.envoyBinary,
      bootstrapPath: this.paths.bootstrap,
      adminPort: this.currentEnvoy.adminPort,
      componentLogLevel: this.options.componentLogLevel,
    });
    this.restartCount++;
  }

  /** Starts the echo upstream and Envoy (static part of the bootstrap) and waits until Envoy is ready. */
  static async start(options: EnvoyRunnerOptions): Promise<EnvoyRunner> {
    const workDirectory = options.workDirectory ?? (await mkdtemp(path.join(tmpdir(), "as-proxy-envoy-")));
    await mkdir(path.join(workDirectory, "modules"), { recursive: true });
    const paths = {
      lds: path.join(workDirectory, "lds.json"),
      cds: path.join(workDirectory, "cds.json"),
      accessLog: path.join(workDirectory, "access.log"),
      bootstrap: path.join(workDirectory, "bootstrap.json"),
    };
    const empty = JSON.stringify(discoveryDocument([]));
    await writeFile(paths.lds, empty);
    await writeFile(paths.cds, empty);
    const upstream = await EchoUpstream.start();
    let envoy: EnvoyProcess | undefined;
    try {
      const [certificates, adminPort, markerPort] = await Promise.all([
        CertificateAuthority.create(path.join(workDirectory, "certs")),
        freePort(),
        freePort(),
      ]);
      await certificates.serverCertificate();
      const bootstrap = buildBootstrap({ admin: adminPort, marker: markerPort, upstream: upstream.port }, paths);
      await writeFile(paths.bootstrap, JSON.stringify(bootstrap, null, 2));
      envoy = await EnvoyProcess.start({
        envoyBinary: options.envoyBinary,
        bootstrapPath: paths.bootstrap,
        adminPort,
        componentLogLevel: options.componentLogLevel,
      });
      return new EnvoyRunner(
        options,
        envoy,
        upstream,
        workDirectory,
        paths,
        markerPort,
        new AccessLogReader(paths.accessLog),
        certificates,
        new JwtSigner(),
      );
    } catch (error) {
      await envoy?.stop();
      await upstream.close();
      if (!options.keepWorkDirectory && !options.workDirectory) await rm(workDirectory, { recursive: true, force: true });
      throw error;
    }
  }

  /** Stops Envoy and the servers and removes the scratch directory. Safe to call more than once. */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.envoy.stop();
    await this.upstream.close();
    await this.accessLog.close();
    if (!this.options.keepWorkDirectory && !this.options.workDirectory) {
      await rm(this.workDirectory, { recursive: true, force: true });
    }
  }

  /**
   * Runs one scenario (calls are queued: scenarios never overlap). `where` names the scenario in errors,
   * e.g. `test/scenarios/headers/basic.yaml#add-header`.
   */
  run(scenario: Scenario, where = scenario.name): Promise<EnvoyScenarioResult> {
    const result = this.queue.then(() => this.runNow(scenario, where));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runNow(scenario: Scenario, where: string): Promise<EnvoyScenarioResult> {
    await this.ensureEnvoy();
    const id = ++this.scenarioCount;
    const listenerName = `scenario-${id}`;
    const firstLine = this.envoy.lines.length;
    const collector = new CalloutCollector();
    const prefixes = logPrefixes(scenario);
    try {
      const modulePaths = await this.moduleCopies(scenario, id, where);
      await this.applyClusters(scenario, collector, where);
      const port = await freePort();
      const listener = scenario.listener ?? {};
      let tls: { certPath: string; keyPath: string; caPath: string } | undefined;
      if (listener.tls) {
        const server = await this.certificates.serverCertificate();
        tls = { certPath: server.certPath, keyPath: server.keyPath, caPath: this.certificates.files.certPath };
      }
      const resource = buildScenarioListener({
        scenario,
        where,
        listenerName,
        port,
        modulePaths,
        accessLogPath: this.paths.accessLog,
        tls,
        jwks: listener.jwt ? this.jwt.jwks : undefined,
      });
      const accepted = await this.applyListener(listenerName, resource, where);
      const loadLogs = pluginLogs(this.envoy.lines.slice(firstLine), prefixes);
      if (!accepted || scenario.expectRejected) {
        const runtimeStats = accepted ? await this.runtimeStats() : {};
        if (accepted) await this.removeListener(listenerName);
        return { load: { rejected: !accepted, logs: loadLogs }, outcomes: [], envoyLog: this.logSince(firstLine), runtimeStats };
      }
      let markerLine = await this.marker();
      const outcomes: Outcome[] = [];
      for (const [index, step] of scenario.requests.entries()) {
        const result = await this.request(step, index, {
          scenario,
          where,
          port,
          listenerName,
          prefixes,
          markerLine,
          collector,
        });
        outcomes.push(result.outcome);
        markerLine = result.markerLine;
      }
      const runtimeStats = await this.runtimeStats();
      await this.removeListener(listenerName);
      return { load: { rejected: false, logs: loadLogs }, outcomes, envoyLog: this.logSince(firstLine), runtimeStats };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (await this.envoy.exitsWithin(500)) {
        // The next run() starts a new Envoy; say loudly that this one died, with its crash report.
        const crash = this.envoy.unformatted.slice(0, 60).join("\n");
        throw new Error(
          `${where}: Envoy CRASHED during the scenario (${this.envoy.exitDescription}); the runner restarts it for the next scenario.\n` +
            `--- Envoy crash output ---\n${crash}`,
        );
      }
      // Leave Envoy clean for the next scenario even after a failure.
      await this.removeListener(listenerName).catch(() => undefined);
      const log = this.logSince(firstLine);
      throw new Error(`${where}: Envoy run failed: ${message}\n--- Envoy log during the scenario (last 80 lines) ---\n${log.slice(-80).join("\n")}`);
    } finally {
      await collector.close();
    }
  }

  private logSince(index: number): string[] {
    return this.envoy.lines.slice(index).map((line) => `[${line.thread}][${line.level}][${line.logger}] ${line.message}`);
  }

  private async moduleCopies(scenario: Scenario, id: number, where: string): Promise<string[]> {
    const copies = new Map<string, string>();
    const paths: string[] = [];
    for (const [index, plugin] of scenario.plugins.entries()) {
      if (!plugin.filter || /[/\\]/.test(plugin.filter)) {
        throw new Error(`${where}.plugins[${index}].filter: ${JSON.stringify(plugin.filter)} must be a module name (build/<filter>.wasm)`);
      }
      let copy = copies.get(plugin.filter);
      if (!copy) {
        const source = path.join(this.moduleDirectory, `${plugin.filter}.wasm`);
        let bytes: Buffer;
        try {
          bytes = await readFile(source);
        } catch {
          throw new Error(`${where}.plugins[${index}].filter: ${source} does not exist (run npm run build)`);
        }
        copy = path.join(this.workDirectory, "modules", `${id}-${plugin.filter}.wasm`);
        await writeFile(copy, appendCustomSection(bytes, SCENARIO_SECTION, String(id)));
        copies.set(plugin.filter, copy);
      }
      paths.push(copy);
    }
    return paths;
  }

  private async counter(name: string): Promise<number> {
    const stats = await this.envoy.stats(`^${name.replaceAll(".", "\\.")}$`);
    return stats.get(name) ?? 0;
  }

  /** Polls `/stats` until `done` holds for the counters `names`; returns their final values. */
  private async waitForStats(
    names: string[],
    done: (values: Map<string, number>) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<Map<string, number>> {
    const deadline = Date.now() + timeoutMs;
    const filter = `^(${names.map((name) => name.replaceAll(".", "\\.")).join("|")})$`;
    for (;;) {
      const values = await this.envoy.stats(filter);
      if (done(values)) return values;
      if (!this.envoy.running || Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; last log lines:\n${this.envoy.tail()}`);
      }
      await delay(4);
    }
  }

  private async applyClusters(scenario: Scenario, collector: CalloutCollector, where: string): Promise<void> {
    const resources = [];
    for (const [name, script] of Object.entries(scenario.listener?.clusters ?? {})) {
      if (RESERVED_CLUSTERS.has(name)) {
        throw new Error(`${where}.listener.clusters: "${name}" is reserved by the runner (the route's upstream / marker)`);
      }
      const port = await collector.addCluster(name, script, freePort);
      resources.push(h2cCluster(name, port));
    }
    const content = JSON.stringify(discoveryDocument(resources));
    // Unchanged CDS content would be a no-op update that Envoy may not count; only write real changes.
    if (content === this.cdsContent || (resources.length === 0 && this.cdsContent === "")) return;
    const before = await this.counter("cluster_manager.cds.update_success");
    const rejectedBefore = await this.counter("cluster_manager.cds.update_rejected");
    await writeAtomically(this.paths.cds, content);
    const values = await this.waitForStats(
      ["cluster_manager.cds.update_success", "cluster_manager.cds.update_rejected"],
      (v) => (v.get("cluster_manager.cds.update_success") ?? 0) > before || (v.get("cluster_manager.cds.update_rejected") ?? 0) > rejectedBefore,
      "the CDS update with the scenario's clusters",
    );
    if ((values.get("cluster_manager.cds.update_rejected") ?? 0) > rejectedBefore) {
      throw new Error(`${where}.listener.clusters: Envoy rejected the clusters; last log lines:\n${this.envoy.tail(15)}`);
    }
    this.cdsContent = content;
  }

  /** Writes LDS with the scenario's listener; true when Envoy accepted it (and the worker holds it). */
  private async applyListener(listenerName: string, resource: Record<string, unknown>, where: string): Promise<boolean> {
    const names = [
      "listener_manager.lds.update_success",
      "listener_manager.lds.update_rejected",
      "listener_manager.listener_create_success",
    ];
    const before = await this.waitForStats(names, () => true, "stats");
    const get = (values: Map<string, number>, name: string): number => values.get(name) ?? 0;
    const fromLine = this.envoy.lines.length;
    await writeAtomically(this.paths.lds, JSON.stringify(discoveryDocument([resource])));
    const after = await this.waitForStats(
      names,
      (v) => get(v, names[0]!) > get(before, names[0]!) || get(v, names[1]!) > get(before, names[1]!),
      `the LDS update adding ${listenerName}`,
    );
    if (get(after, names[1]!) > get(before, names[1]!)) {
      // The NACK message names the listener; waiting for it also guarantees every log line of the attempt is in.
      const rejection = await this.envoy.waitForLine(
        (line) => line.message.includes(`'${listenerName}'`) && line.message.includes("rejected"),
        fromLine,
        `the rejection message for ${listenerName}`,
      );
      if (!/Wasm|wasm/.test(rejection.message)) {
        throw new Error(`${where}: Envoy rejected the generated listener (not a plugin failure): ${rejection.message}`);
      }
      return false;
    }
    await this.waitForStats(
      [names[2]!],
      (v) => get(v, names[2]!) > get(before, names[2]!),
      `the worker to add ${listenerName}`,
    );
    return true;
  }

  private async removeListener(listenerName: string): Promise<void> {
    const removed = await this.counter("listener_manager.listener_removed");
    await writeAtomically(this.paths.lds, JSON.stringify(discoveryDocument([])));
    // A listener that was never added (rejected) is not "removed": do not wait for it then.
    const present = (await this.envoy.admin("/listeners?format=json")).includes(`"${listenerName}"`);
    if (present) {
      await this.waitForStats(["listener_manager.listener_removed"], (v) => (v.get("listener_manager.listener_removed") ?? 0) > removed, `removal of ${listenerName}`);
    }
    // The VMs (and the plugin's metrics, which live as long as a VM references them) go away after the drain.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const stats = await this.envoy.stats("^(wasmcustom\\..*|wasm\\.envoy\\.wasm\\.runtime\\.v8\\.active|listener_manager\\.total_listeners_draining)$");
      const busy =
        (stats.get("wasm.envoy.wasm.runtime.v8.active") ?? 0) > 0 ||
        (stats.get("listener_manager.total_listeners_draining") ?? 0) > 0 ||
        [...stats.keys()].some((name) => name.startsWith("wasmcustom."));
      if (!busy) return;
      if (Date.now() > deadline) throw new Error(`the VMs of ${listenerName} were not destroyed within 15 s`);
      await delay(4);
    }
  }

  private async runtimeStats(): Promise<Record<string, number>> {
    return Object.fromEntries(await this.envoy.stats("^wasm\\.envoy\\.wasm\\.runtime\\."));
  }

  /**
   * Sends a marker request and returns the index of its log line. Every worker-thread line before it was
   * written before Envoy accepted the marker request.
   */
  private async marker(): Promise<number> {
    const id = ++this.markerCount;
    const fromLine = this.envoy.lines.length;
    const response = await send({
      protocol: "http1",
      port: this.markerPort,
      method: "GET",
      path: "/",
      authority: "marker",
      headers: [[MARKER_HEADER, String(id)]],
      body: "",
      trailers: [],
    });
    if (response.status !== 200) throw new Error(`marker request answered ${response.status}`);
    const line = await this.envoy.waitForLine(
      (l) => l.logger === "lua" && l.message.endsWith(`${MARKER_LOG_PREFIX}${id}`),
      fromLine,
      `marker ${id} in the Envoy log`,
    );
    this.markerThread = line.thread;
    return line.index;
  }

  private clientRequest(step: RequestStep, scenario: Scenario, port: number, stepName: string): Promise<ClientRequest> | ClientRequest {
    const request = step.request;
    for (const field of ["method", "path", "authority", "body"] as const) {
      if (request[field] !== undefined && typeof request[field] !== "string") {
        throw new Error(`${stepName}: request.${field} must be a string, got ${JSON.stringify(request[field])}`);
      }
    }
    for (const field of ["headers", "trailers"] as const) {
      const list = request[field];
      if (list !== undefined && (!Array.isArray(list) || list.some((pair) => !Array.isArray(pair) || pair.length !== 2 || pair.some((part) => typeof part !== "string")))) {
        throw new Error(`${stepName}: request.${field} must be a list of [name, value] string pairs`);
      }
    }
    const listener = scenario.listener ?? {};
    const headers: HeaderList = [...(request.headers ?? [])];
    if (request.jwt) {
      headers.push(["authorization", `Bearer ${this.jwt.sign(request.jwt.claims, { badSignature: request.jwt.badSignature })}`]);
    }
    const base: ClientRequest = {
      protocol: listener.protocol ?? "http1",
      port,
      method: request.method ?? "GET",
      path: request.path,
      authority: request.authority ?? "example.com",
      headers,
      body: request.body ?? "",
      trailers: request.trailers ?? [],
      timeoutMs: this.options.requestTimeoutMs ?? 10_000,
    };
    if (!listener.tls) return base;
    const client = listener.tls.clientCertificate;
    return (client ? this.certificates.clientCertificate(client) : Promise.resolve<CertificateFiles | undefined>(undefined)).then(
      (files) => ({
        ...base,
        tls: { ca: this.certificates.files.cert, cert: files?.cert, key: files?.key, servername: listener.tls?.sni },
      }),
    );
  }

  private async request(
    step: RequestStep,
    index: number,
    context: {
      scenario: Scenario;
      where: string;
      port: number;
      listenerName: string;
      prefixes: string[];
      markerLine: number;
      collector: CalloutCollector;
    },
  ): Promise<{ outcome: Outcome; markerLine: number }> {
    const { scenario, where } = context;
    const stepName = `${where} request[${index}]${step.name ? ` (${step.name})` : ""}`;
    this.upstream.respondWith(
      step.upstream
        ? { status: step.upstream.status, headers: step.upstream.headers, body: step.upstream.body, trailers: step.upstream.trailers }
        : undefined,
    );
    const upstreamBefore = this.upstream.records.length;
    const calloutsBefore = context.collector.calls.length;
    const request = await this.clientRequest(step, scenario, context.port, stepName);
    // The marker and the access-log entry are awaited while the client connection is still open.
    let markerLine = -1;
    let entry: AccessLogEntry | undefined;
    const settle = async (): Promise<void> => {
      markerLine = await this.marker();
      entry = await this.accessLog.waitForEntry(context.listenerName, index + 1);
    };
    let response: ClientResponse;
    try {
      response = await send(request, settle);
    } catch (error) {
      const message = `${(error as Error).message} ${(error as NodeJS.ErrnoException).code ?? ""}`;
      // A reset or closed stream is an observable outcome (status 0), not a runner failure.
      if (entry === undefined && /ECONNRESET|socket hang up|closed before|ERR_HTTP2_STREAM_ERROR|ERR_HTTP2_SESSION_ERROR|EPIPE|NGHTTP2/.test(message)) {
        response = { status: 0, headers: [], body: "", trailers: [] };
        await settle();
      } else {
        throw new Error(`${stepName}: ${message}`);
      }
    }
    if (entry === undefined) throw new Error(`${stepName}: no access-log entry`);
    const metrics: Record<string, number> = {};
    for (const [name, value] of await this.envoy.stats("^wasmcustom\\.")) metrics[name.slice("wasmcustom.".length)] = value;
    const workerLines = this.envoy.lines
      .slice(context.markerLine + 1, markerLine)
      .filter((line) => line.thread === this.markerThread);
    const reached = this.upstream.records.slice(upstreamBefore);
    const filterState: Record<string, string | null> = {};
    for (const key of scenario.listener?.accessLogFilterState ?? []) filterState[key] = accessLogValue(entry.filter_state?.[key]);
    const outcome: Outcome = {
      status: response.status,
      headers: groupHeaders(response.headers),
      body: response.body,
      upstream: reached.length > 0 ? upstreamView(reached[0]!) : null,
      responseCodeDetails: accessLogValue(entry.details),
      filterState,
      logs: pluginLogs(workerLines, context.prefixes),
      metrics,
      callouts: context.collector.calls
        .slice(calloutsBefore)
        .map((call) => ({ cluster: call.cluster, method: call.method, path: call.path, body: call.body })),
    };
    return { outcome: this.options.normalize ? this.options.normalize(outcome) : outcome, markerLine };
  }
}

/** What reached the upstream: `:method`/`:path` become fields; `:authority`/`:scheme` stay as headers. */
function upstreamView(record: RecordedRequest): NonNullable<Outcome["upstream"]> {
  return {
    method: record.method,
    path: record.path,
    headers: groupHeaders(record.headers.filter(([name]) => name !== ":method" && name !== ":path")),
    body: record.body,
  };
}
