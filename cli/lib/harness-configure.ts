/**
 * Loads a module in the project's harness (the Node proxy-wasm host that behaves like Envoy, `harness/`) and
 * runs VM start + `proxy_on_configure` with a configuration, as Envoy does when it receives the filter: the
 * outcome is whether Envoy would accept the plugin, and what the plugin logged while deciding.
 */
import { createHost } from "../../harness/index.js";

export interface ConfigureOutcome {
  accepted: boolean;
  /** Envoy's reason when rejected (`Unable to create Wasm HTTP filter …`, failure details). */
  reason?: string;
  /** The plugin's own log lines (proxy_log and WASI stdout/stderr). */
  logs: Array<{ level: string; message: string }>;
}

export async function configureInHarness(wasm: Uint8Array, configuration: string, rootId = ""): Promise<ConfigureOutcome> {
  const host = createHost(wasm, { configuration, rootId, allowRejection: true });
  const logs = host
    .logs()
    .filter((r) => r.source !== "envoy")
    .map((r) => ({ level: r.level, message: r.message }));
  if (host.rejection) {
    return { accepted: false, reason: [host.rejection.message, ...host.rejection.details].join(": "), logs };
  }
  return { accepted: true, logs };
}
