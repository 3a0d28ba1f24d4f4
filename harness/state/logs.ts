/**
 * Captured log lines. Envoy writes a plugin's `proxy_log` as `wasm log<prefix>: <message>` on its `wasm` logger,
 * where the prefix is ` <plugin name> <root_id> <vm_id>` for stream contexts and ` <root_id> <vm_id>` for root
 * contexts (cpp-host `PluginBase::makeLogPrefix` / `ContextBase::makeRootLogPrefix`; empty parts are skipped), and
 * only when the level is at or above the logger's level. `fd_write` to stdout/stderr is logged at info/error.
 * Envoy's own lines about the VM (`Wasm VM failed …`, trap backtraces) are kept as `source: "envoy"`.
 */
import type { LogLevelName } from "../scenario/types";

export const LOG_LEVEL_NAMES: readonly LogLevelName[] = ["trace", "debug", "info", "warn", "error", "critical"];

export interface LogRecord {
  level: LogLevelName;
  /** The plugin's text (newline trimmed for fd_write), or Envoy's own message. */
  message: string;
  /** `proxy_log`, `stdout`/`stderr` (WASI fd_write), or `envoy` (the host's own lines). */
  source: "proxy_log" | "stdout" | "stderr" | "envoy";
  /** The Envoy prefix (` name root vm`), empty for `envoy` lines. */
  prefix: string;
  /** Plugin name (`PluginConfig.name`) when the line belongs to one. */
  plugin?: string;
  /** Context id that logged (0 = VM context, during `_initialize`/allocation). */
  contextId?: number;
  /** Which VM instance: `base`, `canary`, `worker-<n>` (a reload appends `#<generation>`). */
  vm?: string;
  /** Fake-clock monotonic ms. */
  atMs: number;
}

/** The full Envoy log line, e.g. `wasm log default.hello: hello from headers`. */
export function formatEnvoyLine(r: LogRecord): string {
  return r.source === "envoy" ? r.message : `wasm log${r.prefix}: ${r.message}`;
}

export class LogSink {
  readonly records: LogRecord[] = [];
  /** Called for each record (e.g. to echo to the console while debugging). */
  onRecord: ((r: LogRecord) => void) | null = null;

  push(r: LogRecord): void {
    this.records.push(r);
    if (this.onRecord) this.onRecord(r);
  }

  /** Records since `mark` (an index from {@link length}). */
  since(mark: number): LogRecord[] {
    return this.records.slice(mark);
  }

  get length(): number {
    return this.records.length;
  }

  clear(): void {
    this.records.length = 0;
  }
}
