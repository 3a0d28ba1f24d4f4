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
import { decimalText } from "../util/text-buffer";
import { encodeUtf8 } from "../util/utf8";

/**
 * Logs `abort: <message> at <file>:<line>:<column>` at CRITICAL, then traps. Called by the compiler for
 * failed assertions, `throw`, out-of-bounds checks and runtime errors; never call it directly.
 */
// @ts-ignore: decorator
@global function proxyWasmAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  // Guards against an abort raised while the message is being built (e.g. out of memory). A static byte, not
  // a global: an abort can happen while the module's top-level code runs, before globals are initialized.
  const aborting = memory.data(1);
  if (load<u8>(aborting) == 0) {
    store<u8>(aborting, 1);
    let text = E_ABORT + (message !== null ? message : "(no message)");
    if (fileName !== null) text += " at " + fileName + ":" + decimalText(line) + ":" + decimalText(column);
    const bytes = encodeUtf8(text);
    proxy_log(<u32>LogLevel.Critical, changetype<usize>(bytes), <usize>bytes.byteLength);
    store<u8>(aborting, 0);
  }
  unreachable();
}
