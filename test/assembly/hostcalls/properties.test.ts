/**
 * Property readers and writers (assembly/hostcalls/properties.ts) through probe-properties in the harness.
 * Envoy semantics: host-behaviour.md C.1 (path resolution), C.2 (encodings: strings raw, int/uint/timestamp/
 * duration 8 bytes LE, bool 1 byte, maps and lists as pairs, repeated header values comma-joined), C.4 and F.37
 * (set_property writes filter state `wasm.<path>`; NOT_FOUND from a root context); Envoy context.cc
 * getProperty / setProperty / serializeValue.
 */

import { describe, expect, test } from "vitest";
import { Status } from "../../../harness/index.js";
import { expectHostcalls, hostcallResults, probeHost, reported } from "../probes.js";

function run() {
  const host = probeHost("properties", {
    name: "probe-props",
    rootId: "props",
    xds: { node: { metadata: { weight: 2.5, region: "eu-west" } } },
  });
  const result = host.http({ path: "/p?q=1", headers: [["x-probe", "hi"], ["x-multi", "a"], ["x-multi", "b"]] });
  return { host, result, say: (what: string) => reported(result.logs, "properties", what) };
}

describe("reading attributes", () => {
  test("strings, multi-segment paths, and the request.headers map with repeated values comma-joined (C.2)", () => {
    const { host, say } = run();
    expect(say("request.path")).toBe('"/p?q=1"');
    expect(say("request.method")).toBe('"GET"');
    expect(say("request.headers.x-probe")).toBe('"hi"');
    expect(say("request.headers map x-multi")).toBe('"a,b"');
    expect(say("plugin_name")).toBe('"probe-props"');
    expect(say("plugin_root_id")).toBe('"props"');
    expectHostcalls(host, ["proxy_get_property"]);
  });

  test("typed values: timestamp, int64, uint64, bool, double (from Struct metadata), duration in onLog", () => {
    const { say } = run();
    expect(say("request.time positive")).toBe("true");
    expect(say("source.port")).toMatch(/^\d+$/);
    expect(say("connection.id present")).toBe("true");
    expect(say("connection.mtls")).toBe("false");
    expect(say("xds.node.metadata.weight")).toBe("2.5");
    expect(say("xds.node.metadata.region")).toBe('"eu-west"');
    expect(say("log response.code")).toBe("200");
    expect(say("log request.duration non-negative")).toBe("true");
  });

  test("NOT_FOUND, a NUL inside a segment, and values of the wrong size give null, never a trap", () => {
    const { host, say } = run();
    expect(say("missing top-level")).toBe("null");
    expect(say("missing header")).toBe("null");
    expect(say("NUL in segment")).toBe("null");
    for (const reader of ["int64", "bool", "double", "list", "map"]) expect(say(`request.path as ${reader}`), reader).toBe("null");
    expect(say("request.duration in headers phase")).toBe("null");
    expect(hostcallResults(host, "proxy_get_property")).toContain(Status.NotFound);
  });
});

describe("writing filter state", () => {
  test("setProperty writes wasm.<path>, readable back through the same path and in the access log's filter state", () => {
    const { host, result, say } = run();
    expect(say("setProperty probe_state")).toBe("OK");
    expect(say("read back probe_state")).toBe('"written"');
    expect(result.filterState["wasm.probe_state"]).toBe("written");
    expect(say("setProperty binary")).toBe("OK");
    expect(say("read back probe_binary")).toBe("c3bf");
    expectHostcalls(host, ["proxy_set_property"]);
  });

  test("a list written in Envoy's list encoding reads back through getPropertyList", () => {
    const { say } = run();
    expect(say("setProperty list")).toBe("OK");
    expect(say("read back list")).toBe("spiffe://a|spiffe://b");
  });

  test("a path segment containing NUL is refused without reaching the host", () => {
    const { host, say } = run();
    expect(say("setProperty NUL segment")).toBe("BAD_ARGUMENT");
    // Only the root contexts' NOT_FOUNDs (canary, main thread, worker) reach the host.
    expect(hostcallResults(host, "proxy_set_property").filter((status) => status !== Status.Ok)).toEqual([
      Status.NotFound,
      Status.NotFound,
      Status.NotFound,
    ]);
  });

  test("from a root context setProperty is NOT_FOUND (no stream info) and request attributes are absent (C.4)", () => {
    const { host } = run();
    const rootLines = host.logs().filter((record) => record.message.startsWith("properties: root "));
    // Once in the canary VM, the main thread's VM and the worker VM (F.9; Envoy 1.40 observed, docs/E2E.md).
    expect(rootLines.map((record) => record.message)).toEqual([
      "properties: root setProperty = NOT_FOUND",
      'properties: root plugin_name = "probe-props"',
      "properties: root request.path = null",
      "properties: root setProperty = NOT_FOUND",
      'properties: root plugin_name = "probe-props"',
      "properties: root request.path = null",
      "properties: root setProperty = NOT_FOUND",
      'properties: root plugin_name = "probe-props"',
      "properties: root request.path = null",
    ]);
  });
});
