// Logging (host-behaviour.md A.3 #1–2, F.35, F.40; Envoy context.cc log/getLogLevel; cpp-host
// PluginBase::makeLogPrefix/ContextBase::makeRootLogPrefix, exports.cc writevImpl).
import { Buffer } from "node:buffer";
import { expect, test } from "vitest";
import { createHost, formatEnvoyLine } from "../../harness";
import { data, proxyModule, RECORDER, slots } from "./support/wat";

const iov = (ptr: number, len: number): Uint8Array => Uint8Array.from([...u32(ptr), ...u32(len)]);
const u32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];

const mod = proxyModule({
  imports: ["proxy_log", "proxy_get_log_level", "fd_write"],
  body: `${RECORDER} ${data({ 16: "root says", 32: "stream says", 64: "debug line", 96: "out\n", 112: "err", 128: iov(96, 4), 136: iov(112, 3) })}
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (call $r (call $proxy_log (i32.const 2) (i32.const 16) (i32.const 9)))
    (call $r (call $proxy_log (i32.const 6) (i32.const 16) (i32.const 9)))
    (call $r (call $proxy_get_log_level (i32.const 2048)))
    (call $r (i32.load (i32.const 2048)))
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $proxy_log (i32.const 3) (i32.const 32) (i32.const 11)))
    (drop (call $proxy_log (i32.const 1) (i32.const 64) (i32.const 10)))
    (call $r (call $fd_write (i32.const 1) (i32.const 128) (i32.const 1) (i32.const 2052)))
    (call $r (i32.load (i32.const 2052)))
    (call $r (call $fd_write (i32.const 2) (i32.const 136) (i32.const 1) (i32.const 2052)))
    (call $r (call $fd_write (i32.const 5) (i32.const 136) (i32.const 1) (i32.const 2052)))
    (i32.const 0))`,
});

test("prefix: streams ' <name> <root_id> <vm_id>', roots ' <root_id> <vm_id>' (the plugin name only on streams)", () => {
  const host = createHost(mod, { name: "ns.plugin", rootId: "root", vmId: "vm" });
  host.http();
  const lines = host.logs({ source: "proxy_log" }).map(formatEnvoyLine);
  expect(lines).toContain("wasm log root vm: root says");
  expect(lines).toContain("wasm log ns.plugin root vm: stream says");
});

test("level > 5 → BAD_ARGUMENT; proxy_get_log_level returns the logger level; lines below it are dropped", () => {
  const host = createHost(mod, { logLevel: "warn" });
  host.http();
  expect(slots(host, 4)).toEqual([0, 2, 0, 3]);
  expect(host.logs().map((l) => l.message)).toEqual(["stream says", "err"]);
  const debug = createHost(mod, { logLevel: "debug" });
  debug.http();
  expect(debug.logs({ level: "debug" }).map((l) => l.message)).toEqual(["debug line"]);
});

test("fd_write: stdout → info, stderr → error, one trailing newline trimmed, other fds → BADF (cpp-host writevImpl)", () => {
  const host = createHost(mod);
  host.http();
  expect(slots(host, 8).slice(4)).toEqual([0, 4, 0, 8]);
  expect(host.logs({ source: "stdout" }).map((l) => [l.level, l.message])).toEqual([["info", "out"]]);
  expect(host.logs({ source: "stderr" }).map((l) => [l.level, l.message])).toEqual([["error", "err"]]);
});

test("non-UTF-8 bytes in a message survive as U+FFFD in the captured text", () => {
  const host = createHost(
    proxyModule({
      imports: ["proxy_log"],
      body: `${data({ 16: Buffer.from([0x61, 0xff, 0x62]) })}
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (drop (call $proxy_log (i32.const 2) (i32.const 16) (i32.const 3))) (i32.const 1))`,
    }),
  );
  expect(host.logs()[0]!.message).toBe("a\ufffdb");
});
