/**
 * Conformance with Envoy's own RBAC, in real Envoy 1.40: every policy set of the conformance corpus (and every
 * translatable policy set of the security corpus) is translated the way istiod does (filters/abac/node/rbac.ts)
 * and run through native `envoy.filters.http.rbac`, and run through the filter; the same requests go through
 * both. Decisions and response details must agree, except the listed divergences, where the filter denies and
 * RBAC allows (filters/abac/README.md "Divergences"). For the security corpus, the test also counts how many
 * attacks get past native RBAC and asserts that none gets past the filter.
 *
 * The filter reads `source.ip` from filter state set by `set_filter_state` with
 * %DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT% (its safe default), the same address RBAC `direct_remote_ip` uses.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EnvoyRunner } from "../../../harness/envoy/runner";
import { e2eTools } from "../../../harness/envoy/tools";
import type { ListenerSpec, Outcome, RequestSpec, Scenario } from "../../../harness/scenario/types";
import { isTranslatable, translateToRbac } from "../../../filters/abac/node/rbac";
import type { AbacConfig } from "../../../filters/abac/node/types";
import { CONFORMANCE_CASES, type ConformanceCase } from "./conformance-corpus";
import { loadAbacScenarios } from "./support";

const tools = e2eTools();

const DIRECT_REMOTE_IP_FILTER = {
  name: "envoy.filters.http.set_filter_state",
  typedConfig: {
    "@type": "type.googleapis.com/envoy.extensions.filters.http.set_filter_state.v3.Config",
    on_request_headers: [
      {
        object_key: "abac.direct_remote_ip",
        factory_key: "envoy.string",
        format_string: { text_format_source: { inline_string: "%DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT%" } },
      },
    ],
  },
};

function rbacScenario(name: string, config: AbacConfig, listener: ListenerSpec | undefined, requests: RequestSpec[]): Scenario {
  return {
    name: `rbac: ${name}`,
    plugins: [],
    listener: { ...listener, nativeFilters: [...(listener?.nativeFilters ?? []), ...translateToRbac(config)] },
    requests: requests.map((request) => ({ request, expect: {} })),
  };
}

function abacScenario(name: string, config: AbacConfig, listener: ListenerSpec | undefined, requests: RequestSpec[]): Scenario {
  return {
    name: `abac: ${name}`,
    plugins: [{ filter: "abac", configuration: config }],
    listener: { ...listener, nativeFilters: [...(listener?.nativeFilters ?? []), DIRECT_REMOTE_IP_FILTER] },
    requests: requests.map((request) => ({ request, expect: {} })),
  };
}

/** A local reply from an authorization filter (RBAC or the filter): the request never reached the upstream. */
function denied(o: Outcome): boolean {
  return o.upstream === null;
}

interface Comparison {
  what: string;
  rbac: Outcome;
  abac: Outcome;
  divergence?: number;
}

describe.runIf(tools.ok)("ABAC vs native Envoy RBAC (real Envoy 1.40)", () => {
  let runner: EnvoyRunner;
  const comparisons: Comparison[] = [];

  beforeAll(async () => {
    if (!tools.ok) return;
    runner = await EnvoyRunner.start({ envoyBinary: tools.tools.envoy });
  });

  afterAll(async () => {
    await runner?.close();
    const agree = comparisons.filter((c) => denied(c.rbac) === denied(c.abac)).length;
    console.log(
      `ABAC vs RBAC: ${comparisons.length} requests, ${agree} same decision, ` +
        `${comparisons.filter((c) => c.divergence !== undefined).length} listed divergences`,
    );
  });

  async function runBoth(c: ConformanceCase): Promise<Comparison[]> {
    const requests = c.requests.map((x) => x.request);
    const rbac = await runner.run(rbacScenario(c.name, c.config, c.listener, requests));
    const abac = await runner.run(abacScenario(c.name, c.config, c.listener, requests));
    expect(rbac.load.rejected, `RBAC config rejected: ${rbac.envoyLog.slice(-5).join("\n")}`).toBe(false);
    expect(abac.load.rejected, `ABAC config rejected: ${JSON.stringify(abac.load.logs)}`).toBe(false);
    return c.requests.map((x, i) => ({
      what: `${c.name}: ${x.request.method ?? "GET"} ${x.request.path} ${JSON.stringify(x.request.headers ?? [])} ${x.request.authority ?? ""}`,
      rbac: rbac.outcomes[i]!,
      abac: abac.outcomes[i]!,
      divergence: x.divergence,
    }));
  }

  test.each(CONFORMANCE_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const results = await runBoth(c);
    comparisons.push(...results);
    for (const r of results) {
      if (r.divergence === undefined) {
        expect({ what: r.what, denied: denied(r.abac), details: r.abac.responseCodeDetails }).toEqual({
          what: r.what,
          denied: denied(r.rbac),
          details: r.rbac.responseCodeDetails,
        });
      } else {
        // A listed divergence: the filter is stricter (denies), RBAC lets it through.
        expect({ what: r.what, abacDenied: denied(r.abac), rbacDenied: denied(r.rbac) }).toEqual({
          what: r.what,
          abacDenied: true,
          rbacDenied: false,
        });
      }
    }
  });

  test("random translatable policies × random requests: the filter never allows what RBAC denies", async () => {
    const ISSUER = "https://issuer.example.com";
    const pick = <T,>(xs: readonly T[]) => fc.subarray([...xs], { minLength: 1, maxLength: Math.min(2, xs.length) });
    const operation = fc
      .record(
        {
          paths: pick(["/a", "/a/*", "*/b", "/admin*", "/a/{*}", "/{**}", "*.css"]),
          notPaths: pick(["/a/b", "/admin/*"]),
          hosts: pick(["example.com", "*.example.com", "admin.*", "example.com:*"]),
          methods: pick(["GET", "POST", "DELETE"]),
          notMethods: pick(["GET"]),
        },
        { requiredKeys: [] },
      )
      .filter((o) => Object.keys(o).length > 0);
    const source = fc.oneof(
      fc.record({ requestPrincipals: pick([`${ISSUER}/alice`, `${ISSUER}/*`, "*"]) }),
      fc.record({ notRequestPrincipals: pick(["*"]) }),
      fc.record({ ipBlocks: pick(["127.0.0.0/8", "10.0.0.0/8"]) }),
      fc.record({ remoteIpBlocks: pick(["10.9.9.9", "127.0.0.1"]) }),
    );
    const condition = fc.oneof(
      fc.record({ key: fc.constant("request.headers[x-a]"), values: pick(["1", "adm*", "*"]) }),
      fc.record({ key: fc.constant("request.headers[x-a]"), notValues: pick(["1"]) }),
      fc.record({ key: fc.constant("request.auth.claims[groups]"), values: pick(["admins", "users"]) }),
    );
    const rule = fc.record(
      {
        from: fc.array(source.map((x) => ({ source: x })), { minLength: 1, maxLength: 2 }),
        to: fc.array(operation.map((x) => ({ operation: x })), { minLength: 1, maxLength: 2 }),
        when: fc.array(condition, { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: [] },
    );
    const config = fc.array(
      fc.record({ deny: fc.boolean(), rules: fc.array(rule, { minLength: 1, maxLength: 2 }) }),
      { minLength: 1, maxLength: 3 },
    ).map((ps): AbacConfig => ({
      policies: ps.map((p, i) => ({ name: `r/p${i}`, spec: { ...(p.deny ? { action: "DENY" as const } : {}), rules: p.rules as never } })),
    }));
    const request = fc.record({
      path: fc.constantFrom("/a", "/a/b", "/admin/x", "/x.css", "/a/../admin/x", "//a/b", "/a%2Fb", "/A"),
      method: fc.constantFrom("GET", "POST", "DELETE"),
      authority: fc.constantFrom("example.com", "admin.example.com", "EXAMPLE.com:8080", "example.org"),
      headers: fc.array(fc.tuple(fc.constant("x-a"), fc.constantFrom("1", "admin", "2")), { maxLength: 2 }),
      xff: fc.option(fc.constantFrom("10.9.9.9", "127.0.0.1"), { nil: undefined }),
      groups: fc.option(fc.constantFrom(["admins"], ["users", "admins"], "users"), { nil: undefined }),
      sub: fc.constantFrom("alice", "bob"),
    });
    const samples = fc.sample(fc.tuple(config, fc.array(request, { minLength: 12, maxLength: 12 })), { numRuns: 25, seed: 20260801 });
    let total = 0;
    let same = 0;
    for (const [cfg, reqs] of samples) {
      const requests: RequestSpec[] = reqs.map((r) => ({
        path: r.path,
        method: r.method,
        authority: r.authority,
        headers: [...r.headers, ...(r.xff ? ([["x-forwarded-for", r.xff]] as Array<[string, string]>) : [])],
        ...(r.groups ? { jwt: { claims: { iss: ISSUER, sub: r.sub, groups: r.groups } } } : {}),
      }));
      const listener: ListenerSpec = { jwt: { issuer: ISSUER } };
      const rbac = await runner.run(rbacScenario("random", cfg, listener, requests));
      const abac = await runner.run(abacScenario("random", cfg, listener, requests));
      expect(rbac.load.rejected || abac.load.rejected).toBe(false);
      requests.forEach((req, i) => {
        total++;
        const rbacDenied = denied(rbac.outcomes[i]!);
        const abacDenied = denied(abac.outcomes[i]!);
        if (rbacDenied === abacDenied) same++;
        // Never wider than native RBAC.
        if (rbacDenied) expect({ config: cfg, request: req, abacDenied }).toEqual({ config: cfg, request: req, abacDenied: true });
      });
    }
    console.log(`random ABAC vs RBAC: ${total} requests, ${same} same decision, ${total - same} where the filter is stricter`);
    expect(total).toBe(300);
  });

  test("security corpus: how many attacks native RBAC lets through; none gets past the filter", async () => {
    let attacks = 0;
    let rbacBypassed = 0;
    for (const { scenario } of loadAbacScenarios("security-")) {
      if (scenario.expectRejected) continue;
      const config = scenario.plugins[0]!.configuration as AbacConfig;
      if (!isTranslatable(config)) continue;
      const steps = scenario.requests.filter((s) => (s.name ?? "").startsWith("attack"));
      if (steps.length === 0) continue;
      // The security scenarios read source.ip from source.address; RBAC's direct_remote_ip is the same address there.
      const listener = scenario.listener;
      const rbac = await runner.run(rbacScenario(scenario.name, config, listener, steps.map((s) => s.request)));
      const abac = await runner.run({ ...scenario, name: `abac: ${scenario.name}`, requests: steps.map((s) => ({ request: s.request, expect: {} })) });
      steps.forEach((s, i) => {
        attacks++;
        expect({ attack: `${scenario.name}: ${s.name}`, reachedUpstream: !denied(abac.outcomes[i]!) }).toEqual({
          attack: `${scenario.name}: ${s.name}`,
          reachedUpstream: false,
        });
        if (!denied(rbac.outcomes[i]!)) rbacBypassed++;
      });
    }
    console.log(`security corpus in Envoy: ${attacks} translatable attacks, native RBAC let ${rbacBypassed} through, the filter 0`);
    expect(attacks).toBeGreaterThan(40);
  });
});
