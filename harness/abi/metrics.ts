/**
 * Metric hostcalls (spec v0.2.1 "Metrics"). Ids carry the type in their low 2 bits (counter 4, 8, …; gauge 5,
 * 9, …; histogram 6, 10, …) and every define returns a new id, even for a name already defined (cpp-host `wasm.h`,
 * Envoy `Context::defineMetric/incrementMetric/recordMetric/getMetric`, host-behaviour.md F.33).
 * https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#metrics
 */
import { Status } from "../enums";
import { sig } from "../module";
import type { StatType } from "../state/stats";
import type { WasmVm } from "../vm";
import type { HostcallDef } from "./registry";

const TYPES: StatType[] = ["counter", "gauge", "histogram"];
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export function metricHostcalls(vm: WasmVm): HostcallDef[] {
  return [
    {
      name: "proxy_define_metric",
      type: sig("iiii", "i"),
      fn(type: number, namePtr: number, nameSize: number, retId: number): number {
        const name = vm.memory.readByteString(namePtr >>> 0, nameSize >>> 0);
        if (name === null) return Status.InvalidMemoryAccess;
        const t = type >>> 0;
        if (t > 2) return Status.BadArgument;
        let id: number;
        if (t === 0) id = vm.nextCounterId = (vm.nextCounterId + 4) >>> 0;
        else if (t === 1) id = vm.nextGaugeId = (vm.nextGaugeId + 4) >>> 0;
        else id = vm.nextHistogramId = (vm.nextHistogramId + 4) >>> 0;
        vm.metrics.set(id, vm.proxy.stats.getOrCreate(name, TYPES[t]!));
        return vm.memory.writeU32(retId >>> 0, id) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      // Counter: offset ≤ 0 → BAD_ARGUMENT. Gauge: add or subtract. Histogram → BAD_ARGUMENT.
      name: "proxy_increment_metric",
      type: sig("iI", "i"),
      fn(metricId: number, offset: bigint): number {
        const id = metricId >>> 0;
        const type = id & 3;
        if (type === 0 || type === 1) {
          const stat = vm.metrics.get(id);
          if (!stat) return Status.NotFound;
          if (type === 0 && offset <= 0n) return Status.BadArgument;
          stat.value = u64(stat.value + offset);
          return Status.Ok;
        }
        return Status.BadArgument;
      },
    },
    {
      // Counter: *adds* the value. Gauge: sets it. Histogram: records it.
      name: "proxy_record_metric",
      type: sig("iI", "i"),
      fn(metricId: number, value: bigint): number {
        const stat = vm.metrics.get(metricId >>> 0);
        if (!stat) return Status.NotFound;
        const v = u64(value);
        if (stat.type === "counter") stat.value = u64(stat.value + v);
        else if (stat.type === "gauge") stat.value = v;
        else stat.samples.push(v);
        return Status.Ok;
      },
    },
    {
      // Counter or gauge value; histogram (or type 3) → BAD_ARGUMENT.
      name: "proxy_get_metric",
      type: sig("ii", "i"),
      fn(metricId: number, retPtr: number): number {
        const id = metricId >>> 0;
        const type = id & 3;
        if (type !== 0 && type !== 1) return Status.BadArgument;
        const stat = vm.metrics.get(id);
        if (!stat) return Status.NotFound;
        return vm.memory.writeU64(retPtr >>> 0, stat.value) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
  ];
}
