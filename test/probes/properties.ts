/**
 * probe-properties: exercises the property readers and writers (proxy_get_property, proxy_set_property) with
 * Envoy's attribute catalogue and encodings, NOT_FOUND paths, and filter state written from a stream and
 * (refused) from the root. Results are logged as `properties: <what> = <result>`.
 */

export * from "../../assembly/exports";
import {
  Action,
  HttpContext,
  RootContext,
  getProperty,
  getPropertyBool,
  getPropertyDouble,
  getPropertyDurationNanos,
  getPropertyInt64,
  getPropertyList,
  getPropertyMap,
  getPropertyString,
  getPropertyTimestampNanos,
  getPropertyUint64,
  registerRootContext,
  setProperty,
  setPropertyString,
} from "../../assembly";
import { HeaderPair } from "../../assembly";
import { encodeHeaderMap } from "../../assembly/codec/header-map";
import { hex, quote, report, statusName, utf8 } from "./lib/report";

const P = "properties";

class PropertiesProbe extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    report(P, "request.path", quote(getPropertyString(["request", "path"])));
    report(P, "request.method", quote(getPropertyString(["request", "method"])));
    report(P, "request.headers.x-probe", quote(getPropertyString(["request", "headers", "x-probe"])));
    const headers = getPropertyMap(["request", "headers"]);
    let found = "absent";
    if (headers !== null) {
      for (let i = 0; i < headers.length; i++) if (headers[i].name == "x-multi") found = quote(headers[i].value);
    }
    report(P, "request.headers map x-multi", found);
    const time = getPropertyTimestampNanos(["request", "time"]);
    report(P, "request.time positive", time === null ? "null" : time.value > 0 ? "true" : "false");
    const port = getPropertyInt64(["source", "port"]);
    report(P, "source.port", port === null ? "null" : port.value.toString());
    const connectionId = getPropertyUint64(["connection", "id"]);
    report(P, "connection.id present", connectionId === null ? "null" : "true");
    const mtls = getPropertyBool(["connection", "mtls"]);
    report(P, "connection.mtls", mtls === null ? "null" : mtls.value ? "true" : "false");
    report(P, "plugin_name", quote(getPropertyString(["plugin_name"])));
    report(P, "plugin_root_id", quote(getPropertyString(["plugin_root_id"])));
    report(P, "missing top-level", hex(getProperty(["no_such_attribute"])));
    report(P, "missing header", quote(getPropertyString(["request", "headers", "x-absent"])));
    report(P, "NUL in segment", hex(getProperty(["request", "head\0ers"])));
    // Wrong-size reads never trap: a string read as int64/bool/double gives null.
    report(P, "request.path as int64", getPropertyInt64(["request", "path"]) === null ? "null" : "value");
    report(P, "request.path as bool", getPropertyBool(["request", "path"]) === null ? "null" : "value");
    report(P, "request.path as double", getPropertyDouble(["request", "path"]) === null ? "null" : "value");
    report(P, "request.path as list", getPropertyList(["request", "path"]) === null ? "null" : "value");
    report(P, "request.path as map", getPropertyMap(["request", "path"]) === null ? "null" : "value");
    const duration = getPropertyDurationNanos(["request", "duration"]);
    report(P, "request.duration in headers phase", duration === null ? "null" : "value");

    // Filter state: written as wasm.<path>, readable back through the same path.
    report(P, "setProperty probe_state", statusName(setPropertyString(["probe_state"], "written")));
    report(P, "read back probe_state", quote(getPropertyString(["probe_state"])));
    report(P, "setProperty binary", statusName(setProperty(["probe_binary"], utf8("\u00ff"))));
    report(P, "read back probe_binary", hex(getProperty(["probe_binary"])));
    report(P, "setProperty NUL segment", statusName(setProperty(["a\0b"], utf8("x"))));
    // Typed readers over values with Envoy's encodings: a list (pairs with empty values) and a double.
    const list = encodeHeaderMap([new HeaderPair("spiffe://a", ""), new HeaderPair("spiffe://b", "")]);
    report(P, "setProperty list", statusName(setProperty(["probe_list"], list)));
    const items = getPropertyList(["probe_list"]);
    report(P, "read back list", items === null ? "null" : items.join("|"));
    const weight = getPropertyDouble(["xds", "node", "metadata", "weight"]);
    report(P, "xds.node.metadata.weight", weight === null ? "null" : weight.value.toString());
    const region = getPropertyString(["xds", "node", "metadata", "region"]);
    report(P, "xds.node.metadata.region", quote(region));
    return Action.Continue;
  }

  onLog(): void {
    const code = getPropertyInt64(["response", "code"]);
    report(P, "log response.code", code === null ? "null" : code.value.toString());
    const duration = getPropertyDurationNanos(["request", "duration"]);
    report(P, "log request.duration non-negative", duration === null ? "null" : duration.value >= 0 ? "true" : "false");
  }
}

class PropertiesRoot extends RootContext {
  onConfigure(pluginConfigurationSize: usize): bool {
    // No stream info in a root context: Envoy answers NOT_FOUND.
    report(P, "root setProperty", statusName(setPropertyString(["root_state"], "x")));
    report(P, "root plugin_name", quote(getPropertyString(["plugin_name"])));
    report(P, "root request.path", quote(getPropertyString(["request", "path"])));
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new PropertiesProbe(contextId, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new PropertiesRoot(contextId));
