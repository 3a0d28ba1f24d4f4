// Shared helpers for the recorder's harness tests: the module, a host factory, the rejection line.
import { fileURLToPath } from "node:url";
import { createHost, type Host, type HostOptions } from "../../../harness";

/** The release module, as Envoy loads it. */
export const L7_MODULE = fileURLToPath(new URL("../../../build/l7-metadata.wasm", import.meta.url));
export const ABAC_MODULE = fileURLToPath(new URL("../../../build/abac.wasm", import.meta.url));

/** A host running the recorder with `configuration`. */
export function recorder(configuration: unknown, options: HostOptions = {}): Host {
  return createHost(L7_MODULE, { ...options, configuration });
}

/**
 * Loads `configuration` expecting Envoy to reject it; returns the plugin's CRITICAL line (without the
 * `l7-metadata: invalid configuration: ` prefix), or throws when the configuration was accepted.
 */
export function rejection(configuration: unknown): string {
  const host = createHost(L7_MODULE, { configuration, allowRejection: true });
  if (host.rejection === null) throw new Error(`configuration was accepted: ${JSON.stringify(configuration)}`);
  const critical = host.logs({ level: "critical" }).map((r) => r.message);
  const prefix = "l7-metadata: invalid configuration: ";
  const line = critical.find((m) => m.startsWith(prefix));
  if (line === undefined) throw new Error(`no configuration error line; critical lines: ${JSON.stringify(critical)}`);
  return line.slice(prefix.length);
}

/** The JSON document the recorder wrote to filter state `wasm.<prefix>`. */
export function documentOf(filterState: Record<string, string | null>, prefix = "l7"): Record<string, unknown> {
  const text = filterState[`wasm.${prefix}`];
  if (text === undefined || text === null) throw new Error(`no filter state wasm.${prefix}: ${JSON.stringify(filterState)}`);
  return JSON.parse(text) as Record<string, unknown>;
}
