/**
 * Envoy's stats store, for the metrics plugins define. A stat is keyed by its full name: Envoy prefixes every
 * Wasm metric with `wasmcustom.` (`Wasm::custom_stat_namespace_`, `stats_handler.h CustomStatNamespace`) and strips
 * it again on `/stats`, so inspectors take the name without the prefix. Stats are process-wide: two VMs (workers,
 * or plugins) defining the same name update the same stat, each through its own metric ids.
 */

export type StatType = "counter" | "gauge" | "histogram";

export const CUSTOM_STAT_NAMESPACE = "wasmcustom.";

export interface Stat {
  /** Name as the plugin defined it (no `wasmcustom.`). */
  readonly name: string;
  readonly type: StatType;
  /** Counter or gauge value (u64; gauges wrap like Envoy's in release builds). */
  value: bigint;
  /** Histogram samples in recording order. */
  readonly samples: bigint[];
}

export class StatsStore {
  private readonly stats = new Map<string, Stat>();

  /**
   * `Stats::Utility::counterFromElements` & co.: returns the stat of that name and type, creating it. Envoy keeps
   * one stat per (name, type); the harness keys by type too.
   */
  getOrCreate(name: string, type: StatType): Stat {
    const key = `${type}\u0000${name}`;
    let stat = this.stats.get(key);
    if (!stat) {
      stat = { name, type, value: 0n, samples: [] };
      this.stats.set(key, stat);
    }
    return stat;
  }

  find(name: string, type?: StatType): Stat | undefined {
    if (type) return this.stats.get(`${type}\u0000${name}`);
    for (const t of ["counter", "gauge", "histogram"] as const) {
      const s = this.stats.get(`${t}\u0000${name}`);
      if (s) return s;
    }
    return undefined;
  }

  all(): Stat[] {
    return [...this.stats.values()];
  }

  /** Counter and gauge values by name, as `/stats` would print them (histograms excluded). */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.stats.values()) if (s.type !== "histogram") out[s.name] = Number(s.value);
    return out;
  }
}
