/**
 * Foreign functions (assembly/hostcalls/foreign.ts) through probe-foreign: the raw call, Envoy's
 * declare_property / set_envoy_filter_state argument protobufs, clear_route_cache, compress/uncompress, and the
 * proxy_on_foreign_function callback. Envoy semantics: host-behaviour.md A.3 #42 (unknown name → NOT_FOUND),
 * C.4 (declare twice → BAD_ARGUMENT; a read-only property written twice → BAD_ARGUMENT; set_envoy_filter_state
 * needs an ObjectFactory for the key, else NOT_FOUND); Envoy foreign.cc, ext/declare_property.proto,
 * ext/set_envoy_filter_state.proto.
 */

import { expect, test } from "vitest";
import { expectHostcalls, probeHost, reported } from "../probes.js";

test("foreign functions: unknown → NOT_FOUND; declare_property, set_envoy_filter_state, clear_route_cache, compress", () => {
  const host = probeHost("foreign", { filterStateFactories: ["envoy.tcp_proxy.cluster"] });
  const result = host.http({ path: "/" });
  const say = (what: string): string => reported(result.logs, "foreign", what);
  expect(say("unknown function")).toBe("NOT_FOUND null");
  expect(say("declareProperty")).toBe("OK");
  expect(say("declareProperty again")).toBe("BAD_ARGUMENT");
  expect(say("set declared")).toBe("OK");
  // Envoy 1.40 (observed, docs/E2E.md): a property declared read-only can still be written a second time
  // (host-behaviour.md C.4 expects BAD_ARGUMENT).
  expect(say("set declared again (read-only)")).toBe("OK");
  expect(say("read declared")).toBe('"second"');
  expect(say("setEnvoyFilterState unregistered key")).toBe("NOT_FOUND");
  expect(say("setEnvoyFilterState envoy.tcp_proxy.cluster")).toBe("OK");
  expect(say("clearRouteCache")).toBe("OK");
  expect(say("compress")).toBe("OK");
  expect(say("uncompress")).toBe('OK "hello hello hello hello"');
  expect(result.filterState["wasm.probe_declared"]).toBe("second");
  expect(result.filterState["envoy.tcp_proxy.cluster"]).toBe("probe-cluster");
  expectHostcalls(host, ["proxy_call_foreign_function"]);
});

test("proxy_on_foreign_function reaches the root with its id; the arguments are in buffer 8", () => {
  const host = probeHost("foreign");
  host.callOnForeignFunction(7, "abc");
  expect(host.logs().map((record) => record.message)).toContain("foreign: onForeignFunction = 7 size 3 args 616263");
  expectHostcalls(host, ["proxy_get_buffer_bytes"]);
});
