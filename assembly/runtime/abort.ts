/**
 * The abort handler every module is built with (`--use abort=proxyWasmAbort`, see asconfig.json).
 *
 * AssemblyScript's default `abort` is the import `env.abort`, which Envoy does not provide: such a module
 * fails to load ("missing import: env.abort", host-behaviour.md F.2). This handler instead logs one line at
 * CRITICAL through `proxy_log` (allowed in every phase, even during `_initialize` and the allocator) and then
 * traps, which puts the VM into Envoy's failed state (fail-open/fail-closed/reload, F.24).
 */

import { proxy_log } from "../abi/imports";
import { LogLevel } from "../abi/enums";
import { E_ABORT } from "../util/errors";

/** Guards against an abort raised while the abort message is being built (e.g. out of memory). */
let aborting = false;

/**
 * Logs `abort: <message> at <file>:<line>:<column>` at CRITICAL, then traps. Called by the compiler for
 * failed assertions, `throw`, out-of-bounds checks and runtime errors; never call it directly.
 */
// @ts-ignore: decorator
@global function proxyWasmAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  if (!aborting) {
    aborting = true;
    let text = E_ABORT + (message !== null ? message : "(no message)");
    if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
    const bytes = String.UTF8.encode(text);
    proxy_log(<u32>LogLevel.Critical, changetype<usize>(bytes), <usize>bytes.byteLength);
    aborting = false;
  }
  unreachable();
}
