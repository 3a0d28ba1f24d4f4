/**
 * Helpers for the SDK's probe tests: load a probe plugin (build/probe-<name>.wasm) into the harness, read the
 * `<probe>: <what> = <result>` lines it logs (test/probes/lib/report.ts), and check through the harness's
 * hostcall log that the SDK really made the hostcalls a test is about (scripts/lib/abi-coverage.ts reads the
 * `expectHostcalls` lists to fill the "Tested by" column of docs/ABI-COVERAGE.md).
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { createHost, type Host, type HostOptions, type LogRecord } from "../../harness/index.js";

/** Path of a built probe; fails with the build command when it is missing. */
export function probePath(name: string): string {
  const path = fileURLToPath(new URL(`../../build/probe-${name}.wasm`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` (it compiles test/probes/${name}.ts)`);
  return path;
}

/** A host running probe `name`, recording hostcalls. */
export function probeHost(name: string, options: HostOptions = {}): Host {
  return createHost(probePath(name), { recordCalls: true, ...options });
}

/**
 * The results probe `probe` logged, by `what`, in order (a `what` logged twice has two entries).
 * `reports(logs, "headers").get("get x-single")` → `['"one"']`.
 */
export function reports(logs: LogRecord[], probe: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const prefix = `${probe}: `;
  for (const record of logs) {
    if (!record.message.startsWith(prefix)) continue;
    const line = record.message.slice(prefix.length);
    const separator = line.indexOf(" = ");
    if (separator < 0) continue;
    const what = line.slice(0, separator);
    const list = out.get(what) ?? [];
    list.push(line.slice(separator + 3));
    out.set(what, list);
  }
  return out;
}

/** The single result logged for `what` (fails when it was not logged exactly once). */
export function reported(logs: LogRecord[], probe: string, what: string): string {
  const results = reports(logs, probe).get(what) ?? [];
  expect(results, `${probe}: ${what} (logged ${results.length} times)`).toHaveLength(1);
  return results[0]!;
}

/** The statuses the host returned for each call of `hostcall` (e.g. "proxy_get_header_map_value"). */
export function hostcallResults(host: Host, hostcall: string): Array<number | bigint | undefined> {
  return host.calls.filter((call) => call.name.endsWith(`.${hostcall}`)).map((call) => call.result);
}

/** Asserts that the module made each hostcall in `names` at least once (the host recorded it). */
export function expectHostcalls(host: Host, names: string[]): void {
  const made = new Set(host.calls.map((call) => call.name.slice(call.name.indexOf(".") + 1)));
  expect(names.filter((name) => !made.has(name)), "hostcalls the SDK should have made").toEqual([]);
}
