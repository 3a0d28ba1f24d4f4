/**
 * Log (assembly/hostcalls/logging.ts) through probe-lifecycle: level checks against the host's level, the
 * per-callback cache of proxy_get_log_level, and Envoy's line format. Envoy semantics: host-behaviour.md A.3 #1–2
 * (levels; get_log_level is ABI 0.2.1 only), F.35, F.40 (`wasm log <plugin> <root_id> <vm_id>: <msg>`);
 * Envoy context.cc log.
 */

import { expect, test } from "vitest";
import { formatEnvoyLine } from "../../../harness/index.js";
import { expectHostcalls, hostcallResults, probeHost, reported } from "../probes.js";

function levels(logLevel: "info" | "debug" | "critical") {
  const host = probeHost("lifecycle", { rootId: "lifecycle", logLevel });
  const result = host.http({ path: "/", headers: [["x-probe", "levels"]] });
  return { host, result };
}

test("at the default level (info) debug is off: Log.debug and Log.trace write nothing; info and above are written", () => {
  const { host, result } = levels("info");
  expect(reported(result.logs, "lifecycle", "getLogLevel")).toBe("2");
  expect(reported(result.logs, "lifecycle", "isEnabled debug")).toBe("false");
  expect(reported(result.logs, "lifecycle", "isEnabled warn")).toBe("true");
  const written = result.logs.filter((r) => /^lifecycle: \w+ line$/.test(r.message)).map((r) => `${r.level} ${r.message}`);
  expect(written).toEqual([
    "info lifecycle: info line",
    "warn lifecycle: warn line",
    "error lifecycle: error line",
    "critical lifecycle: critical line",
  ]);
  // Levels that are off never reach proxy_log: the SDK checked first.
  const stream = result.contextIds[0]!;
  const proxyLogCalls = host.calls.filter((c) => c.name === "env.proxy_log" && c.contextId === stream).length;
  expect(proxyLogCalls).toBe(result.logs.filter((r) => r.source === "proxy_log" && r.contextId === stream).length);
  expectHostcalls(host, ["proxy_log", "proxy_get_log_level"]);
});

test("at debug, Log.debug is written; at critical only critical lines are", () => {
  const debug = levels("debug").result.logs.map((r) => r.message);
  expect(debug).toContain("lifecycle: debug line");
  expect(debug).not.toContain("lifecycle: trace line");
  const critical = levels("critical").result.logs.filter((r) => /^lifecycle: \w+ line$/.test(r.message)).map((r) => r.message);
  expect(critical).toEqual(["lifecycle: critical line"]);
});

test("the host's level is asked at most once per callback, however many log calls the callback makes", () => {
  const { host } = levels("info");
  // One callback (onRequestHeaders) made 2 isEnabled checks and 6 Log.* calls: one proxy_get_log_level.
  expect(hostcallResults(host, "proxy_get_log_level")).toEqual([0]);
});

test("Envoy prefixes plugin lines with the plugin name, root id and vm id", () => {
  const { result } = levels("info");
  const line = result.logs.find((r) => r.message === "lifecycle: info line")!;
  expect(formatEnvoyLine(line)).toBe("wasm log default.probe-lifecycle lifecycle: lifecycle: info line");
});
