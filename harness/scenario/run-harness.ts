/**
 * Executes scenarios in the harness and returns, per scenario, the same {@link Outcome}s the Envoy runner
 * (`run-envoy.ts`) returns: one per request step, or a {@link LoadOutcome} saying the configuration was
 * rejected. The scenario is mapped onto a harness host with the facts the Envoy runner's configuration has
 * (docs/E2E.md "The Envoy configuration"), so a plugin observes the same values in both:
 *
 * - plugins `build/<filter>.wasm`, name `default.<filter>`, configuration as in Envoy (string verbatim, other
 *   values `JSON.stringify`d, absent = 0 bytes); VMs shared by plugins with the same `vm_id`/module;
 * - one worker (Envoy runs with `--concurrency 1`), the `wasm` logger at trace;
 * - node `as-proxy-runtime-e2e` / cluster `as-proxy-runtime`, route `default` in virtual host `local_service`,
 *   upstream cluster `upstream` (HTTP/2), the listener certificate `envoy.test`;
 * - the upstream answers 200 with the request body echoed unless the step scripts `upstream` (whose missing
 *   body also echoes), and adds `content-length`; callout clusters answer like the scenario collector
 *   (HTTP: status/headers/body; gRPC: one message, `grpc-status`/`grpc-message` from the scripted headers);
 * - request JWTs are signed with the same fixed test key (`scenarioToken`), so tokens are identical strings.
 *
 * What each outcome field holds is what the Envoy runner captures: the plugin log lines of the request on the
 * worker (no load-time lines, no main-thread lines), counters and gauges, callouts that reached a cluster, the
 * filter-state keys of `listener.accessLogFilterState`. Outcomes are normalized (`normalize.ts`).
 *
 * ```ts
 * const [{ scenario, where }] = loadScenarioFile("test/scenarios/headers/read.yaml");
 * const result = runScenarioInHarness(scenario, { where });
 * checkExpectation(scenario.requests[0].expect, result.outcomes[0]);
 * ```
 */
import { Buffer } from "node:buffer";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { scenarioToken } from "../envoy/jwt";
import { createMultiPluginHost, type Host, type MultiPluginOptions, type PluginSpecOptions } from "../host";
import type { ClusterBehaviour, GrpcCallRequest, GrpcReply, HttpReply } from "../http/callouts";
import type { UpstreamBehaviour, UpstreamRequestView } from "../http/router";
import type { HttpRequest } from "../http/stream";

import { httpToGrpcStatus } from "../properties/catalogue";
import type { LogRecord } from "../state/logs";
import { groupHeaders, normalizeOutcome } from "./normalize";
import type { ClusterSpec, LoadOutcome, Outcome, PluginSpec, RequestStep, Scenario } from "./types";

/** What running one scenario produced (the same shape as `run-envoy.ts`'s). */
export interface ScenarioRunResult {
  load: LoadOutcome;
  /** One per request step; empty when the configuration was rejected or `expectRejected` is set. */
  outcomes: Outcome[];
}

export interface HarnessRunOptions {
  /** Names the scenario in errors, e.g. `test/scenarios/headers/read.yaml#get-header`. Default: its name. */
  where?: string;
  /** Where `<filter>.wasm` files are; default `<project>/build`. */
  moduleDirectory?: string;
  /** Applied to every outcome; default {@link normalizeOutcome}. Pass `(o) => o` for the raw outcome. */
  normalize?: (outcome: Outcome) => Outcome;
  /** Extra proxy options merged over the scenario's (e.g. `echoLogs: true` while debugging). */
  proxy?: Partial<Omit<MultiPluginOptions, "plugins">>;
  /** Called with the host after the run (for inspection in tests); the host is not reused. */
  inspect?: (host: Host) => void;
}

/** The project root (two levels above this file). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Facts of the Envoy runner's configuration (docs/E2E.md), used for every scenario. */
export const SCENARIO_FACTS = {
  nodeId: "as-proxy-runtime-e2e",
  nodeCluster: "as-proxy-runtime",
  routeName: "default",
  virtualHostName: "local_service",
  upstreamCluster: "upstream",
  serverCertificate: {
    commonName: "envoy.test",
    uriSans: ["spiffe://cluster.local/ns/default/sa/envoy"],
    dnsSans: ["localhost", "envoy.test"],
  },
} as const;

/** Raised for a scenario the harness cannot run (names the scenario and the field). */
export class ScenarioRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScenarioRunError";
  }
}

// Module bytes by path: the same Uint8Array object lets the harness reuse its compiled module across scenarios.
const moduleCache = new Map<string, { mtimeMs: number; size: number; bytes: Uint8Array }>();

function moduleBytes(file: string, where: string): Uint8Array {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new ScenarioRunError(`${where}: module ${file} does not exist (run \`npm run build\` first)`);
  }
  const cached = moduleCache.get(file);
  if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.bytes;
  const bytes = new Uint8Array(readFileSync(file));
  moduleCache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, bytes });
  return bytes;
}

/** The plugin configuration bytes exactly as the Envoy runner writes them. */
export function scenarioConfiguration(configuration: unknown): string | undefined {
  if (configuration === undefined) return undefined;
  return typeof configuration === "string" ? configuration : JSON.stringify(configuration);
}

function pluginOptions(plugin: PluginSpec, index: number, where: string, moduleDirectory: string): PluginSpecOptions {
  const at = `${where}.plugins[${index}]`;
  if (typeof plugin?.filter !== "string" || plugin.filter === "") throw new ScenarioRunError(`${at}.filter: expected a module name`);
  const options: PluginSpecOptions = {
    wasm: moduleBytes(path.join(moduleDirectory, `${plugin.filter}.wasm`), `${at}.filter`),
    name: plugin.name ?? `default.${plugin.filter}`,
    rootId: plugin.rootId ?? "",
    vmId: plugin.vmId ?? "",
    failurePolicy: plugin.failurePolicy ?? "FAIL_CLOSED",
  };
  const configuration = scenarioConfiguration(plugin.configuration);
  if (configuration !== undefined) options.configuration = configuration;
  if (plugin.vmConfiguration !== undefined) options.vmConfiguration = plugin.vmConfiguration;
  if (plugin.allowOnHeadersStopIteration !== undefined) options.allowOnHeadersStopIteration = plugin.allowOnHeadersStopIteration;
  if (plugin.environment !== undefined) options.environment = plugin.environment;
  return options;
}

/** grpc-status / grpc-message travel in the trailers; the rest of the scripted headers are initial metadata. */
const GRPC_STATUS_HEADERS = new Set(["grpc-status", "grpc-message"]);

/** A callout cluster behaving like the scenario collector (`harness/envoy/servers.ts` CalloutCollector). */
function clusterBehaviour(spec: ClusterSpec): ClusterBehaviour {
  if (spec.down) return { down: true };
  const respond = spec.respond ?? {};
  const headers = Object.entries(respond.headers ?? {});
  const http: HttpReply = { status: respond.status ?? 200, headers, body: respond.body ?? "" };
  if (respond.delayMs !== undefined) http.delayMs = respond.delayMs;
  return {
    respond: http,
    grpc: (request: GrpcCallRequest): GrpcReply => {
      const status = respond.status ?? 200;
      const metadata = headers.filter(([k]) => !GRPC_STATUS_HEADERS.has(k.toLowerCase()));
      const grpcStatus = headers.find(([k]) => k.toLowerCase() === "grpc-status")?.[1];
      const grpcMessage = headers.find(([k]) => k.toLowerCase() === "grpc-message")?.[1];
      const reply: GrpcReply = {};
      if (respond.delayMs !== undefined) reply.delayMs = respond.delayMs;
      if (status !== 200) {
        // Envoy's async client maps a non-200 answer with httpToGrpcStatus (no grpc-status in the headers:
        // the collector sends it in the trailers).
        reply.status = httpToGrpcStatus(status);
        if (request.kind === "stream") reply.initialMetadata = [];
        return reply;
      }
      const framed = respond.body ? 5 + Buffer.byteLength(respond.body, "utf8") : 0;
      reply.initialMetadata = [["content-type", "application/grpc"], ...metadata, ["content-length", String(framed)]];
      reply.messages = respond.body ? [respond.body] : [];
      const trailers: Array<[string, string]> = [["grpc-status", grpcStatus ?? "0"]];
      if (grpcMessage !== undefined) trailers.push(["grpc-message", grpcMessage]);
      reply.trailingMetadata = trailers;
      reply.status = Number(grpcStatus ?? "0");
      if (grpcMessage !== undefined) reply.statusMessage = grpcMessage;
      return reply;
    },
  };
}

/** The scenario upstream: the step's scripted answer, its missing body echoing the request (like the echo server). */
function upstreamBehaviour(step: RequestStep): UpstreamBehaviour {
  const scripted = step.upstream;
  return (request: UpstreamRequestView) => ({
    status: scripted?.status ?? 200,
    headers: scripted?.headers ?? [],
    body: scripted?.body ?? request.body,
    trailers: scripted?.trailers ?? [],
  });
}

function harnessRequest(step: RequestStep, scenario: Scenario): HttpRequest {
  const r = step.request;
  const l = scenario.listener ?? {};
  const request: HttpRequest = { path: r.path, protocol: l.protocol ?? "http1" };
  if (r.method !== undefined) request.method = r.method;
  if (r.authority !== undefined) request.authority = r.authority;
  if (r.headers !== undefined) request.headers = r.headers;
  if (r.body !== undefined) request.body = r.body;
  if (r.trailers !== undefined) request.trailers = r.trailers;
  if (r.jwt !== undefined) request.jwt = r.jwt;
  return request;
}

const PLUGIN_SOURCES = new Set<LogRecord["source"]>(["proxy_log", "stdout", "stderr"]);

function pluginLines(records: LogRecord[], worker?: number): Outcome["logs"] {
  const vm = worker === undefined ? null : new RegExp(`^worker-${worker}(#|$)`);
  return records
    .filter((r) => PLUGIN_SOURCES.has(r.source) && (vm === null || (r.vm !== undefined && vm.test(r.vm))))
    .map((r) => ({ level: r.level, message: r.message }));
}

function checkRunnable(scenario: Scenario, where: string): void {
  if (scenario === null || typeof scenario !== "object") throw new ScenarioRunError(`${where}: expected a scenario object`);
  if (!Array.isArray(scenario.plugins) || scenario.plugins.length === 0) {
    throw new ScenarioRunError(`${where}.plugins: expected at least one plugin`);
  }
  if (!Array.isArray(scenario.requests)) throw new ScenarioRunError(`${where}.requests: expected a list`);
  if (scenario.listener?.nativeFilters?.length) {
    const names = scenario.listener.nativeFilters.map((f) => f.name).join(", ");
    throw new ScenarioRunError(
      `${where}.listener.nativeFilters: native Envoy filters (${names}) run only in Envoy; run this scenario with run-envoy.ts`,
    );
  }
  for (const name of Object.keys(scenario.listener?.clusters ?? {})) {
    if (name === SCENARIO_FACTS.upstreamCluster || name === "marker") {
      throw new ScenarioRunError(`${where}.listener.clusters: "${name}" is reserved by the runners (the route's upstream / marker)`);
    }
  }
}

/** Whether the harness can run this scenario (it has no native Envoy filters). */
export function harnessCanRun(scenario: Scenario): boolean {
  return !scenario.listener?.nativeFilters?.length;
}

/** Runs one scenario in a fresh harness host. */
export function runScenarioInHarness(scenario: Scenario, options: HarnessRunOptions = {}): ScenarioRunResult {
  const where = options.where ?? scenario?.name ?? "scenario";
  checkRunnable(scenario, where);
  const normalize = options.normalize ?? normalizeOutcome;
  const moduleDirectory = options.moduleDirectory ?? path.join(PROJECT_ROOT, "build");
  const l = scenario.listener ?? {};
  const clusters: Record<string, ClusterBehaviour> = {};
  for (const [name, spec] of Object.entries(l.clusters ?? {})) clusters[name] = clusterBehaviour(spec ?? {});

  const hostOptions: MultiPluginOptions = {
    plugins: scenario.plugins.map((p, i) => pluginOptions(p, i, where, moduleDirectory)),
    workers: 1,
    logLevel: "trace",
    allowRejection: true,
    clusters,
    jwtSigner: (claims, badSignature) => scenarioToken({ claims, badSignature }),
    xds: {
      node: { id: SCENARIO_FACTS.nodeId, cluster: SCENARIO_FACTS.nodeCluster },
      clusterName: SCENARIO_FACTS.upstreamCluster,
      routeName: SCENARIO_FACTS.routeName,
      virtualHostName: SCENARIO_FACTS.virtualHostName,
    },
    listener: {
      protocol: l.protocol ?? "http1",
      tls: l.tls ? { ...(l.tls.sni !== undefined ? { sni: l.tls.sni } : {}), clientCertificate: l.tls.clientCertificate ?? null } : null,
      serverCertificate: {
        commonName: SCENARIO_FACTS.serverCertificate.commonName,
        uriSans: [...SCENARIO_FACTS.serverCertificate.uriSans],
        dnsSans: [...SCENARIO_FACTS.serverCertificate.dnsSans],
      },
      ...(l.jwt ? { jwt: l.jwt } : {}),
      ...(l.useRemoteAddress !== undefined ? { useRemoteAddress: l.useRemoteAddress } : {}),
      ...(l.xffNumTrustedHops !== undefined ? { xffNumTrustedHops: l.xffNumTrustedHops } : {}),
      ...(l.normalizePath !== undefined ? { normalizePath: l.normalizePath } : {}),
      ...(l.mergeSlashes !== undefined ? { mergeSlashes: l.mergeSlashes } : {}),
      ...(l.pathWithEscapedSlashesAction !== undefined ? { pathWithEscapedSlashesAction: l.pathWithEscapedSlashesAction } : {}),
      ...(l.peerPrincipalFilterState !== undefined ? { peerPrincipalFilterState: l.peerPrincipalFilterState } : {}),
    },
    ...options.proxy,
  };

  let host: Host;
  try {
    host = createMultiPluginHost(hostOptions);
  } catch (e) {
    if (e instanceof ScenarioRunError) throw e;
    throw new ScenarioRunError(`${where}: ${(e as Error).message}`);
  }
  try {
    const load: LoadOutcome = { rejected: host.rejection !== null, logs: pluginLines(host.logs()) };
    if (load.rejected || scenario.expectRejected) return { load, outcomes: [] };
    const accessLogKeys = l.accessLogFilterState ?? [];
    const outcomes: Outcome[] = scenario.requests.map((step, index) => {
      const stepName = `${where} requests[${index}]${step?.name ? ` (${step.name})` : ""}`;
      if (!step?.request || typeof step.request.path !== "string") {
        throw new ScenarioRunError(`${stepName}.request.path: expected a string`);
      }
      const grpcMark = host.grpcCalls.length;
      let r;
      try {
        r = host.http(harnessRequest(step, scenario), upstreamBehaviour(step));
      } catch (e) {
        throw new ScenarioRunError(`${stepName}: ${(e as Error).message}`);
      }
      const filterState: Record<string, string | null> = {};
      for (const key of accessLogKeys) filterState[key] = r.filterState[key] ?? null;
      const grpc = host.grpcCalls.slice(grpcMark).map((c) => ({
        cluster: c.cluster,
        method: "POST",
        path: `/${c.service}/${c.method}`,
        body: Buffer.concat(c.messages.map((m) => Buffer.from(m))).toString("utf8"),
      }));
      const outcome: Outcome = {
        status: r.status,
        headers: groupHeaders(r.headers),
        body: r.body,
        upstream: r.upstream
          ? {
              method: r.upstream.method,
              path: r.upstream.path,
              headers: groupHeaders(r.upstream.headers),
              body: r.upstream.body,
            }
          : null,
        responseCodeDetails: r.responseCodeDetails,
        filterState,
        logs: pluginLines(r.logs, r.worker),
        metrics: { ...r.metrics },
        callouts: [...r.callouts.map((c) => ({ cluster: c.cluster, method: c.method, path: c.path, body: c.body })), ...grpc],
      };
      return normalize(outcome);
    });
    return { load, outcomes };
  } finally {
    options.inspect?.(host);
    host.shutdown();
  }
}

/** Runs scenarios one after another (each in its own host), in order. */
export function runScenariosInHarness(
  scenarios: ReadonlyArray<{ scenario: Scenario; where?: string }>,
  options: Omit<HarnessRunOptions, "where"> = {},
): ScenarioRunResult[] {
  return scenarios.map(({ scenario, where }) => runScenarioInHarness(scenario, { ...options, ...(where ? { where } : {}) }));
}
