/**
 * Envoy's WASI preview1 subset (cpp-host `src/exports.cc wasi_unstable_*`), registered under both
 * `wasi_snapshot_preview1` and `wasi_unstable`, with cpp-host's signatures — including its quirks: `path_link`
 * and `path_symlink` take 6 and 4 i32s, and `proc_exit` does not trap. stdout/stderr become log lines at
 * info/error; there is no filesystem, no sockets, no arguments; the environment is only
 * `vm_config.environment_variables`; clocks are the harness's fake clock; `random_get` is seeded (deterministic)
 * unless the host asks for crypto randomness. Faults return errno FAULT (21) rather than trapping.
 */
import { Buffer } from "node:buffer";
import { sig } from "../module";
import type { WasmVm } from "../vm";
import type { HostcallDef } from "./registry";

const SUCCESS = 0;
const BADF = 8;
const NOTDIR = 20;
const FAULT = 21;
const INVAL = 28;
const NOENT = 44;
const NOSYS = 52;
const NOTSUP = 58;
/** cpp-host `PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES`. */
const RANDOM_GET_MAX = 64 * 1024;

const isStdio = (fd: number): boolean => fd === 1 || fd === 2;

export function wasiHostcalls(vm: WasmVm): HostcallDef[] {
  const mem = (): WasmVm["memory"] => vm.memory;

  /** cpp-host `writevImpl`: gather, trim one trailing newline, log; returns errno and bytes written. */
  const writev = (fd: number, iovs: number, iovsLen: number): { errno: number; written: number } => {
    let level: "info" | "error";
    if (fd === 1) level = "info";
    else if (fd === 2) level = "error";
    else return { errno: BADF, written: 0 };
    let s = "";
    for (let i = 0; i < iovsLen; i++) {
      const base = iovs + i * 8;
      const ptr = mem().readU32(base);
      const len = mem().readU32(base + 4);
      if (ptr === null || len === null) return { errno: FAULT, written: 0 };
      if (len !== 0) {
        const chunk = mem().readByteString(ptr, len);
        if (chunk === null) return { errno: FAULT, written: 0 };
        s += chunk;
      }
    }
    const written = s.length;
    if (written !== 0) {
      if (s.charCodeAt(written - 1) === 10) s = s.slice(0, -1);
      vm.ctx().logMessage(level, s, fd === 1 ? "stdout" : "stderr");
    }
    return { errno: SUCCESS, written };
  };

  const environ = (): Array<[string, string]> => [...vm.settings.environment];

  return [
    {
      name: "fd_write",
      type: sig("iiii", "i"),
      fn(fd: number, iovs: number, iovsLen: number, nwritten: number): number {
        const r = writev(fd >>> 0, iovs >>> 0, iovsLen >>> 0);
        if (r.errno !== SUCCESS) return r.errno;
        return mem().writeU32(nwritten >>> 0, r.written) ? SUCCESS : FAULT;
      },
    },
    { name: "fd_read", type: sig("iiii", "i"), fn: (): number => NOSYS },
    {
      name: "fd_seek",
      type: sig("iIii", "i"),
      fn(): number {
        vm.proxy.envoyLog("trace", "wasi_unstable fd_seek", vm.label);
        return SUCCESS;
      },
    },
    {
      name: "fd_close",
      type: sig("i", "i"),
      fn(): number {
        vm.proxy.envoyLog("trace", "wasi_unstable fd_close", vm.label);
        return SUCCESS;
      },
    },
    {
      name: "fd_fdstat_get",
      type: sig("ii", "i"),
      fn(fd: number, statOut: number): number {
        if (!isStdio(fd >>> 0)) return BADF;
        // 24-byte fdstat: rights_base = FD_WRITE (64), everything else 0; write errors are ignored (as cpp-host).
        const b = Buffer.alloc(24);
        b.writeBigUInt64LE(64n, 8);
        mem().writeBytes(statOut >>> 0, b);
        return SUCCESS;
      },
    },
    { name: "fd_fdstat_set_flags", type: sig("ii", "i"), fn: (): number => NOSYS },
    { name: "fd_fdstat_set_rights", type: sig("iII", "i"), fn: (fd: number): number => (isStdio(fd >>> 0) ? SUCCESS : BADF) },
    {
      name: "environ_get",
      type: sig("ii", "i"),
      fn(environPtr: number, environBuf: number): number {
        let ptr = environPtr >>> 0;
        let buf = environBuf >>> 0;
        for (const [k, v] of environ()) {
          if (!mem().writeU32(ptr, buf)) return FAULT;
          const entry = `${Buffer.from(k, "utf8").toString("latin1")}=${Buffer.from(v, "utf8").toString("latin1")}\0`;
          if (!mem().writeByteString(buf, entry)) return FAULT;
          buf += entry.length;
          ptr += 4;
        }
        return SUCCESS;
      },
    },
    {
      name: "environ_sizes_get",
      type: sig("ii", "i"),
      fn(countPtr: number, sizePtr: number): number {
        const env = environ();
        if (!mem().writeU32(countPtr >>> 0, env.length)) return FAULT;
        let size = 0;
        for (const [k, v] of env) size += Buffer.byteLength(k) + Buffer.byteLength(v) + 2;
        return mem().writeU32(sizePtr >>> 0, size) ? SUCCESS : FAULT;
      },
    },
    { name: "args_get", type: sig("ii", "i"), fn: (): number => SUCCESS },
    {
      name: "args_sizes_get",
      type: sig("ii", "i"),
      fn(argc: number, bufSize: number): number {
        if (!mem().writeU32(argc >>> 0, 0)) return FAULT;
        return mem().writeU32(bufSize >>> 0, 0) ? SUCCESS : FAULT;
      },
    },
    {
      name: "clock_time_get",
      type: sig("iIi", "i"),
      fn(id: number, _precision: bigint, retPtr: number): number {
        let t: bigint;
        if (id >>> 0 === 0) t = vm.proxy.clock.wallNanos();
        else if (id >>> 0 === 1) t = vm.proxy.clock.monotonicNanos();
        else return NOTSUP;
        return mem().writeU64(retPtr >>> 0, t) ? SUCCESS : FAULT;
      },
    },
    {
      name: "clock_res_get",
      type: sig("ii", "i"),
      fn(id: number, retPtr: number): number {
        if (id >>> 0 > 1) return NOTSUP;
        return mem().writeU64(retPtr >>> 0, 1n) ? SUCCESS : FAULT;
      },
    },
    { name: "fd_advise", type: sig("iIIi", "i"), fn: (): number => SUCCESS },
    { name: "fd_allocate", type: sig("iII", "i"), fn: (fd: number): number => (isStdio(fd >>> 0) ? SUCCESS : BADF) },
    { name: "fd_datasync", type: sig("i", "i"), fn: (fd: number): number => (isStdio(fd >>> 0) ? SUCCESS : BADF) },
    { name: "fd_filestat_set_size", type: sig("iI", "i"), fn: (fd: number): number => (isStdio(fd >>> 0) ? SUCCESS : BADF) },
    { name: "fd_filestat_set_times", type: sig("iIIi", "i"), fn: (fd: number): number => (isStdio(fd >>> 0) ? SUCCESS : BADF) },
    { name: "fd_pread", type: sig("iiiIi", "i"), fn: (): number => NOSYS },
    {
      name: "fd_pwrite",
      type: sig("iiiIi", "i"),
      fn(fd: number, iovs: number, iovsLen: number, _offset: bigint, nwritten: number): number {
        if (!isStdio(fd >>> 0)) return BADF;
        const r = writev(fd >>> 0, iovs >>> 0, iovsLen >>> 0);
        if (r.errno !== SUCCESS) return r.errno;
        return mem().writeU32(nwritten >>> 0, r.written) ? SUCCESS : FAULT;
      },
    },
    {
      name: "fd_readdir",
      type: sig("iiiIi", "i"),
      fn(_fd: number, _buf: number, _len: number, _cookie: bigint, nread: number): number {
        return mem().writeU32(nread >>> 0, 0) ? NOTDIR : FAULT;
      },
    },
    {
      name: "fd_renumber",
      type: sig("ii", "i"),
      fn: (fd: number, to: number): number => (isStdio(fd >>> 0) && isStdio(to >>> 0) ? NOTSUP : BADF),
    },
    { name: "fd_sync", type: sig("i", "i"), fn: (fd: number): number => (isStdio(fd >>> 0) ? SUCCESS : BADF) },
    {
      name: "fd_tell",
      type: sig("ii", "i"),
      fn(fd: number, retPtr: number): number {
        if (!isStdio(fd >>> 0)) return BADF;
        return mem().writeU64(retPtr >>> 0, 0n) ? SUCCESS : FAULT;
      },
    },
    { name: "path_create_directory", type: sig("iii", "i"), fn: (): number => NOTSUP },
    { name: "path_filestat_set_times", type: sig("iiiiIIi", "i"), fn: (): number => NOTSUP },
    // cpp-host declares 6 parameters (WASI has 7): a module importing the real signature fails to link in Envoy.
    { name: "path_link", type: sig("iiiiii", "i"), fn: (): number => NOTSUP },
    {
      name: "path_readlink",
      type: sig("iiiiii", "i"),
      fn(_fd: number, _p: number, _pl: number, _b: number, _bl: number, retPtr: number): number {
        return mem().writeU32(retPtr >>> 0, 0) ? NOTSUP : FAULT;
      },
    },
    { name: "path_remove_directory", type: sig("iii", "i"), fn: (): number => NOTSUP },
    { name: "path_rename", type: sig("iiiiii", "i"), fn: (): number => NOTSUP },
    // cpp-host declares 4 parameters (WASI has 5).
    { name: "path_symlink", type: sig("iiii", "i"), fn: (): number => NOTSUP },
    { name: "path_unlink_file", type: sig("iii", "i"), fn: (): number => NOTSUP },
    {
      name: "sock_accept",
      type: sig("iii", "i"),
      fn(_fd: number, _flags: number, retPtr: number): number {
        // cpp-host writes an `unsigned long` (8 bytes) here.
        return mem().writeU64(retPtr >>> 0, 0n) ? NOTSUP : FAULT;
      },
    },
    {
      name: "sock_recv",
      type: sig("iiiiii", "i"),
      fn(_fd: number, _d: number, _l: number, _f: number, ret0: number, ret1: number): number {
        if (!mem().writeU32(ret0 >>> 0, 0)) return FAULT;
        return mem().writeU16(ret1 >>> 0, 0) ? NOTSUP : FAULT;
      },
    },
    {
      name: "sock_send",
      type: sig("iiiii", "i"),
      fn(_fd: number, _d: number, _l: number, _f: number, ret0: number): number {
        return mem().writeU32(ret0 >>> 0, 0) ? NOTSUP : FAULT;
      },
    },
    { name: "sock_shutdown", type: sig("ii", "i"), fn: (): number => NOTSUP },
    {
      name: "random_get",
      type: sig("ii", "i"),
      fn(buf: number, len: number): number {
        const n = len >>> 0;
        if (n > RANDOM_GET_MAX) return INVAL;
        if (n === 0) return SUCCESS;
        return mem().writeBytes(buf >>> 0, vm.proxy.randomBytes(n)) ? SUCCESS : FAULT;
      },
    },
    { name: "sched_yield", type: sig("", "i"), fn: (): number => SUCCESS },
    {
      // Go's runtime needs SUCCESS with zero events (cpp-host issue #497).
      name: "poll_oneoff",
      type: sig("iiii", "i"),
      fn(_in: number, _out: number, _n: number, nevents: number): number {
        return mem().writeU32(nevents >>> 0, 0) ? SUCCESS : FAULT;
      },
    },
    {
      // Does not trap: Envoy logs and returns, and the guest carries on (host-behaviour.md F.36).
      name: "proc_exit",
      type: sig("i"),
      fn(): void {
        vm.proxy.envoyLog("trace", "wasi_unstable proc_exit", vm.label);
      },
    },
    { name: "path_open", type: sig("iiiiiIIii", "i"), fn: (): number => NOENT },
    { name: "fd_prestat_get", type: sig("ii", "i"), fn: (): number => BADF },
    { name: "fd_prestat_dir_name", type: sig("iii", "i"), fn: (): number => NOSYS },
    { name: "path_filestat_get", type: sig("iiiii", "i"), fn: (): number => NOTSUP },
    { name: "fd_filestat_get", type: sig("ii", "i"), fn: (): number => BADF },
  ];
}
