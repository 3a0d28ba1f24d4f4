/**
 * probe-foreign: foreign functions (proxy_call_foreign_function, proxy_on_foreign_function) and the helpers
 * built on them: `declare_property` (then writing the declared property twice), `set_envoy_filter_state`,
 * `clear_route_cache`, `compress`/`uncompress`, and an unknown function (NOT_FOUND).
 */

export * from "../../assembly/exports";
import {
  Action,
  HttpContext,
  LifeSpan,
  PropertyType,
  RootContext,
  callForeignFunction,
  clearRouteCache,
  declareProperty,
  getForeignFunctionArguments,
  getPropertyString,
  registerRootContext,
  setEnvoyFilterState,
  setPropertyString,
} from "../../assembly";
import { hex, quote, report, statusName, utf8 } from "./lib/report";

const P = "foreign";

class ForeignProbe extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const unknown = callForeignFunction("no_such_function", utf8("x"));
    report(P, "unknown function", statusName(unknown.status) + " " + hex(unknown.result));
    report(P, "declareProperty", statusName(declareProperty("probe_declared", PropertyType.String, true, LifeSpan.DownstreamRequest)));
    report(P, "declareProperty again", statusName(declareProperty("probe_declared", PropertyType.String, true, LifeSpan.DownstreamRequest)));
    report(P, "set declared", statusName(setPropertyString(["probe_declared"], "first")));
    report(P, "set declared again (read-only)", statusName(setPropertyString(["probe_declared"], "second")));
    report(P, "read declared", quote(getPropertyString(["probe_declared"])));
    report(P, "setEnvoyFilterState unregistered key", statusName(setEnvoyFilterState("probe.unregistered", "v")));
    report(P, "setEnvoyFilterState envoy.tcp_proxy.cluster", statusName(setEnvoyFilterState("envoy.tcp_proxy.cluster", "probe-cluster")));
    report(P, "clearRouteCache", statusName(clearRouteCache()));
    const compressed = callForeignFunction("compress", utf8("hello hello hello hello"));
    report(P, "compress", statusName(compressed.status));
    if (compressed.result !== null) {
      const restored = callForeignFunction("uncompress", compressed.result);
      report(P, "uncompress", statusName(restored.status) + " " + (restored.result === null ? "null" : quote(String.UTF8.decode(restored.result!))));
    }
    return Action.Continue;
  }
}

class ForeignRoot extends RootContext {
  onForeignFunction(functionId: u32, argumentsSize: usize): void {
    report(P, "onForeignFunction", functionId.toString() + " size " + argumentsSize.toString() + " args " + hex(getForeignFunctionArguments()));
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new ForeignProbe(contextId, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new ForeignRoot(contextId));
