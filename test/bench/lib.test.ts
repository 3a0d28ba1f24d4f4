// The benchmark's pure parts: parsers of the load generators and /proc, the summaries and ratios, the workload
// (the request is allowed only by the policy evaluated last), the Envoy bootstrap and the report. No timing here.
import { describe, expect, test } from "vitest";
import { evaluate, policyId } from "../../filters/abac/node/evaluator";
import { translateToRbac } from "../../filters/abac/node/rbac";
import { buildBenchBootstrap, envoyVariants, UPSTREAM_ID } from "../../bench/lib/envoy-config";
import type { EnvoyRawResults, Measurement } from "../../bench/lib/envoy-bench";
import { parseFortioJson, parseWrkOutput, type LoadResult } from "../../bench/lib/loadgen";
import { clockTicksPerSecond, parseCpuTimes } from "../../bench/lib/proc";
import { ANALYSIS_MARKER, analyzeEnvoy, withAnalysis } from "../../bench/lib/report";
import { sectionSizes, sizeTarget } from "../../bench/lib/sizes";
import { median, rotate, summarize } from "../../bench/lib/stats";
import { BENCH_REQUEST, DENIED_REQUEST, POLICY_COUNTS, abacPolicies } from "../../bench/lib/workload";

describe("stats", () => {
  test("median of odd and even counts, unsorted input", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  test("summarize leaves out invalid rounds, and falls back to all rounds marked invalid", () => {
    expect(summarize([10, 100, 20, 30], [true, false, true, true])).toEqual({ median: 20, min: 10, max: 30, n: 3, valid: true });
    expect(summarize([10, 100], [false, false])).toEqual({ median: 55, min: 10, max: 100, n: 2, valid: false });
    expect(summarize([Number.NaN, 5, Number.POSITIVE_INFINITY])).toEqual({ median: 5, min: 5, max: 5, n: 1, valid: true });
  });

  test("rotate gives each round a different first variant", () => {
    expect(rotate(["a", "b", "c"], 0)).toEqual(["a", "b", "c"]);
    expect(rotate(["a", "b", "c"], 1)).toEqual(["b", "c", "a"]);
    expect(rotate(["a", "b", "c"], 5)).toEqual(["c", "a", "b"]);
    expect(rotate([], 3)).toEqual([]);
  });
});

describe("parsers", () => {
  test("/proc/<pid>/stat: CPU times after a command name with spaces and parentheses", () => {
    const hz = clockTicksPerSecond();
    // Fields 14–17: utime 150, stime 50, cutime 30, cstime 10 (clock ticks).
    const line = "4242 (wrk (x) y) S 1 2 3 4 5 6 7 8 9 10 150 50 30 10 20 0 1 0 99";
    expect(parseCpuTimes(line)).toEqual({ self: 200 / hz, children: 40 / hz });
    expect(() => parseCpuTimes("no parenthesis here")).toThrow(/unexpected \/proc stat line/);
  });

  test("wrk: the WRK_JSON summary and the non-2xx line", () => {
    const stdout = [
      "Running 1s test @ http://127.0.0.1:1/",
      "  12345 requests in 1.00s, 1.5MB read",
      "  Non-2xx or 3xx responses: 7",
      'WRK_JSON {"requests":12345,"durationUs":1000500,"connectErrors":0,"readErrors":1,"writeErrors":0,"statusErrors":7,"timeouts":2,"p50Us":210,"p90Us":400,"p99Us":1500}',
    ].join("\n");
    const { summary, non2xxOr3xx } = parseWrkOutput(stdout);
    expect(summary.requests).toBe(12345);
    expect(summary.p99Us).toBe(1500);
    expect(non2xxOr3xx).toBe(7);
    expect(() => parseWrkOutput("Running 1s test")).toThrow(/wrk printed no summary/);
  });

  test("fortio: rate, percentiles in ms, 2xx vs other codes vs socket errors (-1)", () => {
    const json = JSON.stringify({
      ActualQPS: 1999.5,
      ActualDuration: 2_000_000_000,
      DurationHistogram: {
        Count: 4000,
        Percentiles: [
          { Percentile: 50, Value: 0.0005 },
          { Percentile: 90, Value: 0.001 },
          { Percentile: 99, Value: 0.004 },
        ],
      },
      RetCodes: { "200": 3990, "403": 6, "-1": 4 },
    });
    expect(parseFortioJson(json)).toEqual({
      requests: 4000,
      seconds: 2,
      rps: 1999.5,
      non2xx: 6,
      socketErrors: 4,
      p50Ms: 0.5,
      p90Ms: 1,
      p99Ms: 4,
    });
  });

  test("Wasm section sizes (multi-byte LEB128 sizes included)", () => {
    const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const code = [10, 0x80, 0x01, ...new Array(128).fill(0)]; // id 10, size 128 (LEB128 0x80 0x01)
    const data = [11, 3, 1, 2, 3];
    const custom = [0, 2, 1, 0x61];
    const sizes = sectionSizes(new Uint8Array([...header, ...code, ...data, ...custom]));
    expect(sizes.get(10)).toBe(128);
    expect(sizes.get(11)).toBe(3);
    expect(sizes.get(0)).toBe(2);
  });
});

describe("workload", () => {
  const facts = (request: typeof BENCH_REQUEST | typeof DENIED_REQUEST) => ({
    headers: [
      [":method", request.method],
      [":path", request.path],
      [":authority", request.authority],
      [":scheme", "http"],
      ...request.headers,
    ] as Array<[string, string]>,
    sourceAddress: "127.0.0.1:50000",
    destinationAddress: "127.0.0.1:10000",
    destinationPort: 10000,
  });

  test.each(POLICY_COUNTS)("%i policies: the request is allowed by the policy evaluated last, the wrong tenant is denied", (n) => {
    const config = abacPolicies(n);
    expect(config.policies).toHaveLength(n);
    const allowIds = config.policies.filter((p) => (p.spec.action ?? "ALLOW") === "ALLOW").map((p) => policyId(p.name, 0));
    const lastAllow = [...allowIds].sort().pop();
    const verdict = evaluate(config, facts(BENCH_REQUEST));
    expect(verdict.decision).toBe("allow");
    expect(verdict.policyId).toBe(lastAllow);
    expect(verdict.policy).toBe(`bench/api-${String(n - 1).padStart(4, "0")}`);
    const denied = evaluate(config, facts(DENIED_REQUEST));
    expect(denied.decision).toBe("deny");
    expect(denied.policy).toBe("none");
  });

  test("DENY policies are every tenth, and the set translates to native RBAC (DENY filter, then ALLOW filter)", () => {
    const config = abacPolicies(50);
    expect(config.policies.filter((p) => p.spec.action === "DENY")).toHaveLength(5);
    const rbac = translateToRbac(config);
    expect(rbac.map((f) => (f.typedConfig["rules"] as { action: string }).action)).toEqual(["DENY", "ALLOW"]);
    expect(Object.keys((rbac[1]!.typedConfig["rules"] as { policies: object }).policies)).toHaveLength(45 * 2);
  });

  test("bad policy counts are refused", () => {
    expect(() => abacPolicies(0)).toThrow(/n must be an integer/);
    expect(() => abacPolicies(1.5)).toThrow(/n must be an integer/);
  });
});

describe("Envoy bootstrap", () => {
  const variants = envoyVariants();
  const bootstrap = buildBenchBootstrap({
    adminPort: 9901,
    upstreamPort: 9000,
    listeners: variants.map((variant, i) => ({ variant, port: 9100 + i })),
    modulePath: (variant, index) => `/tmp/${variant.id}-${index}.wasm`,
  }) as { static_resources: { listeners: Array<Record<string, unknown>>; clusters: Array<{ name: string }> } };
  const hcmOf = (listener: Record<string, unknown>) =>
    (listener["filter_chains"] as Array<{ filters: Array<{ typed_config: Record<string, unknown> }> }>)[0]!.filters[0]!.typed_config;

  test("one listener per variant plus the upstream, stat prefix = id, no access log anywhere", () => {
    const names = bootstrap.static_resources.listeners.map((l) => l["name"]);
    expect(names).toEqual([...variants.map((v) => v.id), UPSTREAM_ID]);
    for (const listener of bootstrap.static_resources.listeners) {
      const hcm = hcmOf(listener);
      expect(hcm["stat_prefix"]).toBe(listener["name"]);
      expect(hcm["access_log"]).toBeUndefined();
    }
    expect(JSON.stringify(bootstrap)).not.toContain("access_log");
  });

  test("the variants of issue #8 with their filter chains; `none` is first (every ratio is against it)", () => {
    expect(variants.map((v) => v.id)).toEqual(["none", "noop", "abac10", "abac50", "abac500", "rbac50", "recorder", "abac50_recorder"]);
    const chain = (id: string) =>
      (hcmOf(bootstrap.static_resources.listeners.find((l) => l["name"] === id)!)["http_filters"] as Array<{ name: string }>).map((f) => f.name);
    expect(chain("none")).toEqual(["envoy.filters.http.router"]);
    expect(chain("rbac50")).toEqual(["envoy.filters.http.rbac", "envoy.filters.http.rbac", "envoy.filters.http.router"]);
    expect(chain("abac50_recorder")).toEqual([
      "extensions.istio.io/wasmplugin/bench.abac.abac50_recorder.0",
      "extensions.istio.io/wasmplugin/bench.l7-metadata.abac50_recorder.1",
      "envoy.filters.http.router",
    ]);
  });

  test("every Wasm filter loads its own module copy; upstream and collector clusters point at the upstream listener", () => {
    const files = JSON.stringify(bootstrap).match(/\/tmp\/[a-z0-9_]+-\d\.wasm/g) ?? [];
    expect(files.length).toBe(7);
    expect(new Set(files).size).toBe(files.length);
    expect(bootstrap.static_resources.clusters.map((c) => c.name)).toEqual(["upstream", "collector"]);
    expect(JSON.stringify(bootstrap.static_resources.clusters)).toContain('"port_value":9000');
  });
});

describe("report", () => {
  const load = (rps: number): LoadResult => ({
    requests: rps,
    seconds: 1,
    rps,
    non2xx: 0,
    socketErrors: 0,
    p50Ms: 1,
    p90Ms: 2,
    p99Ms: 3,
    loadgenCpuSeconds: 0.1,
    loadgenCpuShare: 0.1,
  });
  const m = (round: number, variant: string, kind: Measurement["kind"], rps: number, cpuUs: number, invalid: string[] = []): Measurement => ({
    round,
    variant,
    kind,
    attempt: 0,
    load: load(rps),
    envoyCpuSeconds: 1,
    envoyCompleted: rps,
    envoy4xx: 0,
    envoy5xx: 0,
    envoyCpuUsPerRequest: cpuUs,
    envoyBusy: 1,
    invalid,
  });
  const ids = ["none", "noop", "abac10", "abac50", "abac500", "rbac50"];
  const cpu: Record<string, number> = { none: 40, noop: 44, abac10: 50, abac50: 52, abac500: 55, rbac50: 45, upstream: 20 };
  const measurements: Measurement[] = [];
  for (const round of [1, 2]) {
    for (const id of ids) {
      // Round 2 of abac50's saturation fails a gate: its throughput must not count.
      const failed = round === 2 && id === "abac50";
      measurements.push(
        m(round, id, "saturation", failed ? 1 : 1000 * (40 / cpu[id]!), cpu[id]!, failed ? ["Envoy busy only 10% during saturation"] : []),
      );
      // abac500 costs 5 µs more at the fixed rate than its saturation figure suggests.
      measurements.push(m(round, id, "fixed", 2000, cpu[id]! + round + (id === "abac500" ? 5 : 0)));
    }
    measurements.push(m(round, "upstream", "fixed", 2000, cpu["upstream"]!));
  }
  const raw: EnvoyRawResults = {
    envoyPid: 1,
    fixedRate: 2000,
    warmup: [],
    measurements,
    sharedRssBytes: 100 * 2 ** 20,
    rssBytes: { none: 60 * 2 ** 20, abac50: 80 * 2 ** 20 },
    variants: [...ids.map((id) => ({ id, label: id, port: 1 })), { id: "upstream", label: "upstream", port: 2 }],
    sanity: [],
  };
  const analysis = analyzeEnvoy(raw);
  const v = (id: string) => analysis.variants.find((x) => x.id === id)!;

  test("ratios and differences are per round; an invalid round is left out", () => {
    expect(v("abac50").throughputRatio).toMatchObject({ median: 40 / 52, n: 1, valid: true });
    expect(v("abac10").throughputRatio).toMatchObject({ median: 40 / 50, n: 2 });
    expect(v("abac10").addedCpuUs.median).toBeCloseTo(10);
    expect(v("abac10").proxyCpuUs.median).toBeCloseTo(31.5);
    expect(v("abac10").proxyThroughputRatio.median).toBeCloseTo(median([21 / 31, 22 / 32]));
    expect(analysis.scaling.median).toBeCloseTo(20 / 10);
    expect(analysis.saturationScaling.median).toBeCloseTo(15 / 10);
    expect(v("abac500").addedSaturationCpuUs.median).toBeCloseTo(15);
    expect(analysis.policyLogicVsRbac.median).toBeCloseTo(8 / 5);
    expect(v("abac50").addedRssMiB).toBe(20);
    expect(analysis.invalidMeasurements).toEqual([
      { round: 2, variant: "abac50", kind: "saturation", attempt: 0, reasons: ["Envoy busy only 10% during saturation"] },
    ]);
  });

  test("a retried measurement: the last attempt counts, the failed one is listed", () => {
    const retried: EnvoyRawResults = {
      ...raw,
      measurements: [
        ...raw.measurements.filter((x) => !(x.variant === "noop" && x.kind === "saturation" && x.round === 1)),
        { ...m(1, "noop", "saturation", 10, 44, ["Envoy busy only 50% during saturation"]), attempt: 0 },
        { ...m(1, "noop", "saturation", 900, 44), attempt: 1 },
      ],
    };
    const result = analyzeEnvoy(retried);
    expect(result.variants.find((x) => x.id === "noop")!.rps).toMatchObject({ n: 2, valid: true, min: 900 });
    expect(result.invalidMeasurements).toContainEqual({
      round: 1,
      variant: "noop",
      kind: "saturation",
      attempt: 0,
      reasons: ["Envoy busy only 50% during saturation"],
    });
  });

  test("regenerating keeps the hand-written analysis after the marker", () => {
    const first = withAnalysis("# Benchmarks\nold tables", undefined);
    expect(first).toBe(`# Benchmarks\nold tables\n\n${ANALYSIS_MARKER}\n`);
    const edited = `${first}\n## Where the time goes\nnotes\n`;
    expect(withAnalysis("# Benchmarks\nnew tables", edited)).toBe(`# Benchmarks\nnew tables\n\n${ANALYSIS_MARKER}\n\n## Where the time goes\nnotes\n`);
  });
});

describe("size targets", () => {
  test("issue #8: hello ≤ 20 KB, every other filter ≤ 64 KB (bench/size.ts budgets)", () => {
    expect(sizeTarget("hello")).toBe(20 * 1024);
    expect(sizeTarget("abac")).toBe(64 * 1024);
    expect(sizeTarget("l7-metadata")).toBe(64 * 1024);
    expect(sizeTarget("noop")).toBe(64 * 1024);
  });
});
