/**
 * What the benchmarks run: the request, the ABAC policy sets (10 / 50 / 500 policies), the recorder and `hello`
 * configurations. One definition serves the Envoy benchmark and the harness benchmark, so both measure the same
 * work.
 *
 * The request is the *honest* case for an authorization filter: it is allowed, and only by the ALLOW policy
 * whose RBAC policy id sorts last, so an evaluator that walks the policies in id order (Envoy RBAC does) has
 * evaluated every DENY and every ALLOW policy before it allows. The ABAC filter indexes exact/prefix paths,
 * hosts and methods (filters/abac/README.md "Compiled policies"), so it evaluates only candidate rules — plus
 * the rules nothing can index, which every tenth policy has (a `remoteIpBlocks` DENY rule), so that part of the
 * work still grows with the number of policies, as it would in a real policy set.
 */
import type { AbacConfig, PolicyEntry } from "../../filters/abac/node/types";

/** Sizes of the ABAC policy sets measured (issue #8: 10, 50, 500; RBAC is translated from the 50-policy set). */
export const POLICY_COUNTS = [10, 50, 500] as const;

/** The service the benchmark request addresses: it belongs to the last policy of every set. */
const TARGET_SERVICE = "orders";
const TARGET_TENANT = "acme";

/** The request every variant receives (HTTP/1.1, keep-alive, no body). */
export const BENCH_REQUEST = {
  method: "GET",
  path: "/api/orders/items/42?view=full",
  authority: `${TARGET_SERVICE}.example.com`,
  headers: [
    ["x-tenant", TARGET_TENANT],
    ["user-agent", "as-proxy-bench/1.0"],
    ["accept", "application/json"],
    ["authorization", "Bearer opaque-benchmark-token"],
  ] as Array<[string, string]>,
} as const;

/** A request every ABAC/RBAC variant must deny (wrong tenant): the sanity check that policies are enforced. */
export const DENIED_REQUEST = {
  ...BENCH_REQUEST,
  headers: BENCH_REQUEST.headers.map(([name, value]) => [name, name === "x-tenant" ? "mallory" : value]) as Array<
    [string, string]
  >,
};

function pad(i: number): string {
  return String(i).padStart(4, "0");
}

/**
 * `n` AuthorizationPolicies of a multi-service API, named `bench/api-0000` … so that their RBAC ids sort in
 * index order. Policy `i` protects service `svc-<i>` (the last one protects `orders`, the request's service);
 * every tenth (`i % 10 == 4`) is a DENY policy, the others ALLOW:
 *
 * - ALLOW: GET/HEAD on `/api/<svc>/*` for host `<svc>.example.com` when `x-tenant` is one of the service's
 *   tenants; POST/PUT/PATCH on `/api/<svc>/items[/*]` with a JSON content type.
 * - DENY: `/api/<svc>/admin[/*]`; anything from one `remoteIpBlocks` address (not indexable: evaluated for
 *   every request); DELETE when an `x-debug` header is present.
 *
 * Only Istio-translatable features are used, so `translateToRbac` gives the equivalent native RBAC.
 */
export function abacPolicies(n: number): AbacConfig {
  if (!Number.isInteger(n) || n < 1 || n > 9999) throw new RangeError(`abacPolicies: n must be an integer in 1..9999, got ${n}`);
  const policies: PolicyEntry[] = [];
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const service = last ? TARGET_SERVICE : `svc-${i}`;
    const name = `bench/api-${pad(i)}`;
    if (i % 10 === 4 && !last) {
      policies.push({
        name,
        spec: {
          action: "DENY",
          rules: [
            { to: [{ operation: { paths: [`/api/${service}/admin`, `/api/${service}/admin/*`] } }] },
            { from: [{ source: { remoteIpBlocks: [`198.51.100.${i % 256}/32`] } }] },
            {
              to: [{ operation: { methods: ["DELETE"] } }],
              when: [{ key: "request.headers[x-debug]", values: ["*"] }],
            },
          ],
        },
      });
      continue;
    }
    const tenants = last ? [TARGET_TENANT, "tenant-ops"] : [`tenant-${i % 7}`, "tenant-ops"];
    policies.push({
      name,
      spec: {
        rules: [
          {
            to: [{ operation: { hosts: [`${service}.example.com`], methods: ["GET", "HEAD"], paths: [`/api/${service}/*`] } }],
            when: [{ key: "request.headers[x-tenant]", values: tenants }],
          },
          {
            to: [{ operation: { methods: ["POST", "PUT", "PATCH"], paths: [`/api/${service}/items`, `/api/${service}/items/*`] } }],
            when: [{ key: "request.headers[content-type]", values: ["application/json*"] }],
          },
        ],
      },
    });
  }
  return { policies };
}

/**
 * The recorder's configuration: the typical one of bench/l7-metadata.ts (12 fields, 5 route templates, request
 * metrics, batched export to a collector cluster) with the route templates of the benchmark's API and the ABAC
 * decision fields (read from filter state; absent when ABAC is not in the chain).
 */
export const RECORDER_CONFIG = {
  fields: [
    "method",
    "path",
    "query",
    "route",
    "authority",
    "userAgent",
    "clientAddress",
    "status",
    "duration",
    "responseCodeDetails",
    { fact: "requestHeader", header: "x-tenant" },
    { fact: "requestHeader", header: "authorization" },
    "abacDecision",
    "abacPolicy",
  ],
  routes: [
    { template: "/api/{service}/items/{id}" },
    { template: "/api/{service}/items" },
    { template: "/api/{service}/admin/{rest...}" },
    { template: "/health" },
    { template: "/static/{rest...}" },
  ],
  metrics: {},
  export: { cluster: "collector", batchRecords: 100, flushIntervalMs: 1000 },
};

/** The collector cluster the recorder exports to (Envoy: the same direct_response upstream; harness: a 200). */
export const COLLECTOR_CLUSTER = "collector";

export const HELLO_CONFIG = { header: "x-hello", value: "world" };
