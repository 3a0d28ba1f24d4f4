/**
 * Metrics: counters, gauges and histograms, plus a naming convention for tags.
 *
 * Envoy (host-behaviour.md A.3 #36–39, C.5, F.33): every define call returns a new id bound to the same
 * stat; counters reject increments ≤ 0; recording on a counter adds; histograms cannot be read. Envoy stores
 * the stat as `wasmcustom.<name>` and strips the prefix in `/stats`.
 *
 * Tags: the ABI has none. Envoy extracts tags from stat names with the bootstrap's
 * `stats_config.stats_tags` regexes, so {@link metricName} encodes each tag as `<tag>=.=<value>;.;` in front
 * of the base name — the convention Istio's stats plugin uses. The regex for tag `<tag>` is
 * `(<tag>=\.=(.*?);\.;)`: its first group is removed from the name, the second is the value. Example:
 * `metricName("abac_denied_total", [new TagPair("policy", "ns1.deny-all")])` →
 * `policy=.=ns1.deny-all;.;abac_denied_total`, shown by Envoy as `abac_denied_total` with tag
 * `policy="ns1.deny-all"` (docs/OVERVIEW.md "Metric tags").
 */

import { proxy_define_metric, proxy_get_metric, proxy_increment_metric, proxy_record_metric } from "../abi/imports";
import { MetricType, Status } from "../abi/enums";
import { RETURN_0, RETURN_U64, stageStrings, stagedLen0, stagedPtr0 } from "../abi/memory";

function defineMetric(metricType: MetricType, name: string): u32 {
  stageStrings(name);
  return proxy_define_metric(<u32>metricType, stagedPtr0, stagedLen0, RETURN_0) == Status.Ok ? load<u32>(RETURN_0) : 0;
}

/**
 * A monotonically increasing count. Define once (in `onConfigure` or at first use) and keep the object: each
 * define call costs a hostcall and returns a new id.
 */
export class Counter {
  /** The host's metric id; 0 when the define call failed (then every operation returns NOT_FOUND). */
  readonly id: u32;

  constructor(id: u32) {
    this.id = id;
  }

  /** Defines (or re-binds to) counter `name`. Wraps `proxy_define_metric(COUNTER)`. */
  static define(name: string): Counter {
    return new Counter(defineMetric(MetricType.Counter, name));
  }

  /** Adds `delta` (must be > 0: Envoy answers BAD_ARGUMENT otherwise). Wraps `proxy_increment_metric`. */
  increment(delta: u64 = 1): Status {
    return <Status>proxy_increment_metric(this.id, <i64>delta);
  }

  /** Current value (0 on failure). Wraps `proxy_get_metric`. */
  get(): u64 {
    return proxy_get_metric(this.id, RETURN_U64) == Status.Ok ? load<u64>(RETURN_U64) : 0;
  }
}

/** A value that goes up and down. */
export class Gauge {
  /** The host's metric id; 0 when the define call failed. */
  readonly id: u32;

  constructor(id: u32) {
    this.id = id;
  }

  /** Defines (or re-binds to) gauge `name`. Wraps `proxy_define_metric(GAUGE)`. */
  static define(name: string): Gauge {
    return new Gauge(defineMetric(MetricType.Gauge, name));
  }

  /** Adds `delta`, which may be negative. Wraps `proxy_increment_metric`. */
  increment(delta: i64): Status {
    return <Status>proxy_increment_metric(this.id, delta);
  }

  /** Sets the gauge to `value`. Wraps `proxy_record_metric`. */
  record(value: i64): Status {
    return <Status>proxy_record_metric(this.id, <u64>value);
  }

  /** Current value (0 on failure). Wraps `proxy_get_metric`. */
  get(): i64 {
    return proxy_get_metric(this.id, RETURN_U64) == Status.Ok ? load<i64>(RETURN_U64) : 0;
  }
}

/** A distribution of recorded values (Envoy histogram); it cannot be read back from Wasm. */
export class Histogram {
  /** The host's metric id; 0 when the define call failed. */
  readonly id: u32;

  constructor(id: u32) {
    this.id = id;
  }

  /** Defines (or re-binds to) histogram `name`. Wraps `proxy_define_metric(HISTOGRAM)`. */
  static define(name: string): Histogram {
    return new Histogram(defineMetric(MetricType.Histogram, name));
  }

  /** Records one sample. Wraps `proxy_record_metric`. */
  record(value: u64): Status {
    return <Status>proxy_record_metric(this.id, value);
  }
}

/** One tag of a metric name; see {@link metricName}. */
export class TagPair {
  constructor(
    public name: string,
    public value: string,
  ) {}
}

/** Tag names keep `[A-Za-z0-9_]`; anything else becomes `_` so the tag regex stays a literal. */
function sanitizeTagName(name: string): string {
  let out = name;
  for (let i = 0, n = name.length; i < n; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
    if (!ok) {
      out = out.slice(0, i) + "_" + out.slice(i + 1);
    }
  }
  return out.length == 0 ? "_" : out;
}

/**
 * Tag values may hold anything but `;` (which could end the value early: `;.;` is the terminator) and control
 * characters (which stat sinks mangle); both become `_`.
 */
function sanitizeTagValue(value: string): string {
  let out = value;
  for (let i = 0, n = value.length; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c == 0x3b || c < 0x20 || c == 0x7f) {
      out = out.slice(0, i) + "_" + out.slice(i + 1);
    }
  }
  return out;
}

/**
 * Builds a stat name carrying `tags` for Envoy's `stats_tags` extraction: `<tag>=.=<value>;.;` per tag, in
 * order, then `base` (see the file comment for the matching regex). Keep tag values bounded (route templates,
 * policy names, status classes), as every distinct name is a separate stat in Envoy.
 */
export function metricName(base: string, tags: TagPair[]): string {
  let name = "";
  for (let i = 0, n = tags.length; i < n; i++) {
    const tag = unchecked(tags[i]);
    name += sanitizeTagName(tag.name) + "=.=" + sanitizeTagValue(tag.value) + ";.;";
  }
  return name + base;
}
