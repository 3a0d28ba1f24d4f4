/**
 * Logging through `proxy_log`, checking the host's level first.
 *
 * Level cache: asking the host (`proxy_get_log_level`) costs a hostcall, so the SDK asks at most once per
 * top-level callback. The dispatcher calls {@link forgetLogLevel} when a callback starts; the first
 * {@link Log.isEnabled} in that callback reads the level. Envoy's level can change at runtime (admin
 * `/logging`), and the new level applies from the next callback on. Before the first callback (top-level code
 * run by `_initialize`) the host forbids `proxy_get_log_level`, so every level counts as enabled then.
 */

import { proxy_get_log_level, proxy_log } from "../abi/imports";
import { LogLevel, Status } from "../abi/enums";
import { RETURN_0, stageStrings, stagedLen0, stagedPtr0 } from "../abi/memory";

let hostLogLevel: i32 = LogLevel.Trace;
let hostLogLevelKnown: bool = true;

/** Marks the cached host log level stale. Called by the dispatcher at the start of every callback. */
export function forgetLogLevel(): void {
  hostLogLevelKnown = false;
}

/**
 * The host's current log level (Envoy: the `wasm` logger level; 6 = off). Wraps `proxy_get_log_level`,
 * at most once per callback. When the host fails to answer, every level counts as enabled.
 */
export function getLogLevel(): LogLevel {
  if (!hostLogLevelKnown) {
    hostLogLevelKnown = true;
    hostLogLevel = proxy_get_log_level(RETURN_0) == Status.Ok ? load<i32>(RETURN_0) : LogLevel.Trace;
  }
  return hostLogLevel;
}

/**
 * Writes `message` at `level` without checking the host's level. Wraps `proxy_log`. Valid in every callback,
 * in top-level code and in the allocator. `level` must be Trace..Critical (else BAD_ARGUMENT).
 */
export function logMessage(level: LogLevel, message: string): Status {
  stageStrings(message);
  return <Status>proxy_log(<u32>level, stagedPtr0, stagedLen0);
}

/**
 * Level-checked logging. Envoy prefixes each line with `wasm log <plugin_name> <root_id> <vm_id>: `.
 * AssemblyScript has no closures, so a message built by concatenation is built even when the level is
 * disabled; guard expensive messages with `if (Log.isEnabled(LogLevel.Debug))`.
 */
export class Log {
  /** True when the host would keep a message at `level`. Wraps `proxy_get_log_level` (cached per callback). */
  static isEnabled(level: LogLevel): bool {
    return <i32>level >= <i32>getLogLevel();
  }

  /** Logs at `level` if enabled. Wraps `proxy_log`. */
  static log(level: LogLevel, message: string): void {
    if (Log.isEnabled(level)) logMessage(level, message);
  }

  /** Logs at TRACE if enabled. Wraps `proxy_log`. */
  static trace(message: string): void {
    Log.log(LogLevel.Trace, message);
  }

  /** Logs at DEBUG if enabled. Wraps `proxy_log`. */
  static debug(message: string): void {
    Log.log(LogLevel.Debug, message);
  }

  /** Logs at INFO if enabled. Wraps `proxy_log`. */
  static info(message: string): void {
    Log.log(LogLevel.Info, message);
  }

  /** Logs at WARN if enabled. Wraps `proxy_log`. */
  static warn(message: string): void {
    Log.log(LogLevel.Warn, message);
  }

  /** Logs at ERROR if enabled. Wraps `proxy_log`. */
  static error(message: string): void {
    Log.log(LogLevel.Error, message);
  }

  /** Logs at CRITICAL if enabled. Wraps `proxy_log`. */
  static critical(message: string): void {
    Log.log(LogLevel.Critical, message);
  }
}
