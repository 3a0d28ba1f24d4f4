/**
 * Shared helpers of the ABAC tests: loading the scenario corpus under test/scenarios/abac and running it in the
 * harness.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { createHost, type HttpRequest, type HttpResult } from "../../../harness";
import { expect } from "vitest";
import type { Expectation, RequestSpec, Scenario } from "../../../harness/scenario/types";

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const SCENARIO_DIR = path.join(ROOT, "test", "scenarios", "abac");
export const ABAC_WASM = path.join(ROOT, "build", "abac.wasm");

/** Every scenario of test/scenarios/abac/<prefix>*.yaml, with its `file#name` id. */
export function loadAbacScenarios(prefix = ""): Array<{ scenario: Scenario; where: string }> {
  const out: Array<{ scenario: Scenario; where: string }> = [];
  for (const file of readdirSync(SCENARIO_DIR).sort()) {
    if (!file.endsWith(".yaml") || !file.startsWith(prefix)) continue;
    const doc = parse(readFileSync(path.join(SCENARIO_DIR, file), "utf8")) as { scenarios?: Scenario[] } | Scenario;
    const scenarios = "scenarios" in doc && doc.scenarios ? doc.scenarios : [doc as Scenario];
    for (const scenario of scenarios) out.push({ scenario, where: `test/scenarios/abac/${file}#${scenario.name}` });
  }
  return out;
}

export interface HarnessScenarioRun {
  rejected: boolean;
  /** Plugin log lines while loading. */
  loadLogs: string[];
  results: HttpResult[];
}

/**
 * Runs one ABAC scenario in the harness (single plugin; the listener facts the ABAC corpus uses). The project's
 * general scenario runner (harness/scenario/run-harness.ts) covers every field; this keeps the ABAC suites
 * independent of it.
 */
export function runScenarioInHarness(scenario: Scenario, wasm: Uint8Array | string = ABAC_WASM): HarnessScenarioRun {
  if (scenario.plugins.length !== 1 || scenario.plugins[0]!.filter !== "abac") {
    throw new Error(`${scenario.name}: the ABAC harness runner takes exactly one abac plugin`);
  }
  const l = scenario.listener ?? {};
  if (l.nativeFilters?.length) throw new Error(`${scenario.name}: native filters run only in Envoy`);
  const host = createHost(wasm, {
    configuration: scenario.plugins[0]!.configuration,
    allowRejection: true,
    listener: {
      ...(l.protocol ? { protocol: l.protocol } : {}),
      ...(l.tls !== undefined ? { tls: { ...(l.tls.sni ? { sni: l.tls.sni } : {}), clientCertificate: l.tls.clientCertificate ?? null } } : {}),
      ...(l.jwt ? { jwt: l.jwt as never } : {}),
      ...(l.useRemoteAddress !== undefined ? { useRemoteAddress: l.useRemoteAddress } : {}),
      ...(l.xffNumTrustedHops !== undefined ? { xffNumTrustedHops: l.xffNumTrustedHops } : {}),
      ...(l.peerPrincipalFilterState !== undefined ? { peerPrincipalFilterState: l.peerPrincipalFilterState } : {}),
    },
  });
  const loadLogs = host.logs({ source: "proxy_log" }).map((x) => x.message);
  if (host.rejection !== null) return { rejected: true, loadLogs, results: [] };
  const results = scenario.requests.map((step) => host.http(toHarnessRequest(step.request)));
  return { rejected: false, loadLogs, results };
}

export function toHarnessRequest(r: RequestSpec): HttpRequest {
  return {
    path: r.path,
    ...(r.method ? { method: r.method } : {}),
    ...(r.authority ? { authority: r.authority } : {}),
    ...(r.headers ? { headers: r.headers } : {}),
    ...(r.body !== undefined ? { body: r.body } : {}),
    ...(r.jwt ? { jwt: r.jwt } : {}),
  };
}

/** Checks the parts of an expectation the harness result carries (status, headers, body, upstream, details, filter state, logs). */
export function checkExpectation(what: string, expect_: Expectation, r: { status: number; headers: Record<string, string[]> | Array<[string, string]>; body: string; upstream: unknown; responseCodeDetails: string | null; filterState: Record<string, string | null>; logs: Array<{ level: string; message: string }> }): void {
  if (expect_.status !== undefined) expect(r.status, what).toBe(expect_.status);
  if (expect_.upstream === false) expect(r.upstream, `${what}: reached the upstream`).toBeNull();
  if (expect_.responseCodeDetails !== undefined) expect(r.responseCodeDetails, what).toBe(expect_.responseCodeDetails);
  if (typeof expect_.body === "string") expect(r.body, what).toBe(expect_.body);
  for (const [name, value] of Object.entries(expect_.headers ?? {})) {
    const all = Array.isArray(r.headers) ? r.headers.filter(([n]) => n === name).map(([, v]) => v) : (r.headers[name] ?? []);
    expect(all[0] ?? null, `${what}: header ${name}`).toBe(value);
  }
  for (const [key, value] of Object.entries(expect_.filterState ?? {})) expect(r.filterState[key] ?? null, `${what}: ${key}`).toBe(value);
  for (const l of expect_.logs ?? []) {
    const lines = r.logs.filter((x) => l.level === undefined || x.level === l.level).map((x) => x.message);
    if (l.equals !== undefined) expect(lines, what).toContain(l.equals);
    if (l.contains !== undefined) expect(lines.some((m) => m.includes(l.contains!)), `${what}: log containing ${l.contains}`).toBe(true);
  }
}

