/**
 * The conformance corpus: Istio-translatable policy sets and requests that run through native Envoy RBAC
 * (translated the way istiod does, filters/abac/node/rbac.ts) and through the filter, in real Envoy
 * (conformance.e2e.test.ts). Decisions and response details must agree, except the requests flagged
 * `divergence`, where the filter must deny and RBAC allow, for the reason the README lists under that number.
 *
 * Envoy facts the corpus relies on (harness/envoy): the client is 127.0.0.1; the listener port is chosen at run
 * time (so `ports` use values that can never or always match); TLS client certificates carry the scenario's SANs;
 * jwt_authn verifies tokens from `https://issuer.example.com` and writes the payload to dynamic metadata.
 */
import type { ListenerSpec, RequestSpec } from "../../../harness/scenario/types";
import type { AbacConfig } from "../../../filters/abac/node/types";

export interface ConformanceRequest {
  request: RequestSpec;
  /** README "Divergences" row number: the filter denies, RBAC allows. */
  divergence?: number;
}

export interface ConformanceCase {
  name: string;
  config: AbacConfig;
  listener?: ListenerSpec;
  requests: ConformanceRequest[];
}

const ISSUER = "https://issuer.example.com";
const r = (path: string, extra: Partial<RequestSpec> = {}): ConformanceRequest => ({ request: { path, ...extra } });
const div = (n: number, path: string, extra: Partial<RequestSpec> = {}): ConformanceRequest => ({ request: { path, ...extra }, divergence: n });
const jwt = (claims: Record<string, unknown>): Partial<RequestSpec> => ({ jwt: { claims: { iss: ISSUER, ...claims } } });
const h = (...pairs: Array<[string, string]>): Partial<RequestSpec> => ({ headers: pairs });

export const CONFORMANCE_CASES: ConformanceCase[] = [
  {
    name: "paths exact, prefix, suffix and presence",
    config: {
      policies: [
        { name: "shop/deny-admin", spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin", "/admin/*"] } }] }] } },
        { name: "shop/allow", spec: { rules: [{ to: [{ operation: { paths: ["/public/*", "*.css", "/health"] } }] }] } },
      ],
    },
    requests: [
      r("/admin"),
      r("/admin/users"),
      r("/public/index.html"),
      r("/public/index.html?x=1"),
      r("/static/site.css"),
      r("/health"),
      r("/healthz"),
      r("/other"),
      r("/public"),
      div(3, "/public/../admin"),
    ],
  },
  {
    name: "path confusion against a DENY (no ALLOW policy)",
    config: { policies: [{ name: "shop/deny-admin", spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin", "/admin/*"] } }] }] } }] },
    requests: [
      r("/admin"),
      r("/public"),
      div(3, "/public/../admin"),
      div(3, "/public/%2e%2e/admin"),
      div(3, "//admin"),
      div(3, "/%61dmin"),
      div(3, "/admin;x=1"),
      div(4, "/admin%2Fx"),
      div(4, "/public%2F..%2Fadmin"),
      div(5, "/admin%00"),
    ],
  },
  {
    name: "notPaths and templates",
    config: {
      policies: [
        { name: "shop/allow-api", spec: { rules: [{ to: [{ operation: { paths: ["/api/{*}/items", "/files/{**}"], notPaths: ["/files/secret/*"] } }] }] } },
        { name: "shop/deny-deep", spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/api/{*}/items/{**}"] } }] }] } },
      ],
    },
    requests: [
      r("/api/v1/items"),
      r("/api/v1/v2/items"),
      r("/api/v1/items/7"),
      r("/api/v1/items/"),
      r("/files/a/b/c"),
      r("/files/"),
      r("/files"),
      r("/files/secret/key"),
      r("/api/a=b/items"),
      r("/api//items"),
      div(3, "/files/public/../secret/key"),
    ],
  },
  {
    name: "methods and notMethods",
    config: {
      policies: [
        { name: "shop/deny-delete", spec: { action: "DENY", rules: [{ to: [{ operation: { methods: ["DELETE", "PATCH"] } }] }] } },
        { name: "shop/allow-read", spec: { rules: [{ to: [{ operation: { methods: ["GET", "HEAD", "OPT*"] } }] }, { to: [{ operation: { notMethods: ["GET", "PUT"] } }] }] } },
      ],
    },
    requests: [
      r("/", { method: "GET" }),
      r("/", { method: "HEAD" }),
      r("/", { method: "OPTIONS" }),
      r("/", { method: "DELETE" }),
      r("/", { method: "PATCH" }),
      r("/", { method: "PUT" }),
      r("/", { method: "POST" }),
    ],
  },
  {
    name: "hosts and notHosts",
    config: {
      policies: [
        { name: "edge/deny-admin", spec: { action: "DENY", rules: [{ to: [{ operation: { hosts: ["admin.example.com", "admin.example.com:*"] } }] }] } },
        { name: "edge/allow", spec: { rules: [{ to: [{ operation: { hosts: ["*.example.com", "example.com"], notHosts: ["internal.example.com"] } }] }] } },
      ],
    },
    requests: [
      r("/", { authority: "example.com" }),
      r("/", { authority: "EXAMPLE.com" }),
      r("/", { authority: "www.example.com" }),
      r("/", { authority: "internal.example.com" }),
      r("/", { authority: "admin.example.com" }),
      r("/", { authority: "Admin.Example.com:8443" }),
      r("/", { authority: "example.org" }),
      r("/", { authority: "example.com:8080" }),
    ],
  },
  {
    name: "host forms against a DENY (no ALLOW policy)",
    config: { policies: [{ name: "edge/deny-admin", spec: { action: "DENY", rules: [{ to: [{ operation: { hosts: ["admin.example.com"] } }] }] } }] },
    requests: [
      r("/", { authority: "admin.example.com" }),
      r("/", { authority: "ADMIN.example.com" }),
      r("/", { authority: "www.example.com" }),
      div(7, "/", { authority: "admin.example.com." }),
      div(8, "/", { authority: "admin.example.com:443" }),
    ],
  },
  {
    name: "ports",
    config: {
      policies: [
        { name: "shop/deny-port-1", spec: { action: "DENY", rules: [{ to: [{ operation: { ports: ["1"] } }] }] } },
        { name: "shop/allow", spec: { rules: [{ to: [{ operation: { notPorts: ["1", "2"] } }] }] } },
      ],
    },
    requests: [r("/")],
  },
  {
    name: "request headers",
    config: {
      policies: [
        { name: "shop/deny-debug", spec: { action: "DENY", rules: [{ when: [{ key: "request.headers[x-debug]", values: ["*"] }] }] } },
        {
          name: "shop/allow",
          spec: {
            rules: [
              { when: [{ key: "request.headers[x-role]", values: ["admin", "ops-*", "*-reader"] }] },
              { when: [{ key: "request.headers[User-Agent]", notValues: ["curl*"] }, { key: "request.headers[x-tenant]", values: ["acme"] }] },
            ],
          },
        },
      ],
    },
    requests: [
      r("/", h(["x-role", "admin"])),
      r("/", h(["x-role", "ops-eu"])),
      r("/", h(["x-role", "db-reader"])),
      r("/", h(["x-role", "user"])),
      r("/", h(["x-role", "admin"], ["x-debug", "1"])),
      r("/", h(["x-debug", ""])),
      r("/", h(["x-tenant", "acme"], ["user-agent", "browser"])),
      r("/", h(["x-tenant", "acme"], ["user-agent", "curl/8"])),
      r("/", h(["x-tenant", "acme"])),
      div(2, "/", h(["x-role", "user"], ["x-role", "admin"])),
      div(2, "/", h(["x-role", "ops-eu"], ["x-role", "evil"])),
    ],
  },
  {
    name: "request header notValues in a DENY",
    config: {
      policies: [{ name: "shop/require-v2", spec: { action: "DENY", rules: [{ when: [{ key: "request.headers[x-api-version]", notValues: ["v2"] }] }] } }],
    },
    requests: [
      r("/", h(["x-api-version", "v2"])),
      r("/", h(["x-api-version", "v1"])),
      r("/"),
      div(1, "/", h(["x-api-version", "v2"], ["x-api-version", "v1"])),
    ],
  },
  {
    name: "direct peer and remote addresses",
    config: {
      policies: [
        { name: "infra/deny-remote", spec: { action: "DENY", rules: [{ from: [{ source: { remoteIpBlocks: ["192.0.2.0/24"] } }] }] } },
        { name: "infra/allow-loopback", spec: { rules: [{ from: [{ source: { ipBlocks: ["127.0.0.0/8"], notRemoteIpBlocks: ["198.51.100.7"] } }] }] } },
      ],
    },
    requests: [
      r("/"),
      r("/", h(["x-forwarded-for", "192.0.2.10"])),
      r("/", h(["x-forwarded-for", "198.51.100.7"])),
      r("/", h(["x-forwarded-for", "203.0.113.9"])),
      r("/", h(["x-forwarded-for", "192.0.2.10, 203.0.113.9"])),
    ],
  },
  {
    name: "source.ip and destination conditions",
    config: {
      policies: [
        {
          name: "infra/allow",
          spec: {
            rules: [
              { when: [{ key: "source.ip", values: ["127.0.0.1"] }, { key: "destination.ip", values: ["127.0.0.0/8"] }, { key: "destination.port", notValues: ["1"] }] },
            ],
          },
        },
      ],
    },
    requests: [r("/"), r("/", h(["x-forwarded-for", "10.1.2.3"]))],
  },
  {
    name: "peer identity from mTLS",
    listener: { tls: { clientCertificate: { uriSans: ["spiffe://cluster.local/ns/shop/sa/web"] } } },
    config: {
      policies: [
        { name: "shop/deny-other-ns", spec: { action: "DENY", rules: [{ from: [{ source: { notNamespaces: ["shop", "infra-*"] } }] }] } },
        {
          name: "shop/allow",
          spec: {
            rules: [
              { from: [{ source: { principals: ["cluster.local/ns/shop/sa/web"] } }], to: [{ operation: { paths: ["/web/*"] } }] },
              { from: [{ source: { serviceAccounts: ["shop/api"] } }], to: [{ operation: { paths: ["/api/*"] } }] },
              { from: [{ source: { trustDomains: ["cluster.*"] } }], to: [{ operation: { paths: ["/td"] } }] },
              { from: [{ source: { principals: ["*/sa/web"] } }], to: [{ operation: { paths: ["/suffix"] } }] },
            ],
          },
        },
      ],
    },
    requests: [r("/web/x"), r("/api/x"), r("/td"), r("/suffix"), r("/other")],
  },
  {
    name: "peer identity: another namespace",
    listener: { tls: { clientCertificate: { uriSans: ["spiffe://cluster.local/ns/other/sa/web"] } } },
    config: {
      policies: [
        { name: "shop/deny-other-ns", spec: { action: "DENY", rules: [{ from: [{ source: { notNamespaces: ["shop"] } }] }] } },
        { name: "shop/allow", spec: { rules: [{ from: [{ source: { principals: ["*"] } }] }] } },
      ],
    },
    requests: [r("/"), r("/x")],
  },
  {
    name: "peer identity: TLS without a client certificate, and SNI",
    listener: { tls: { clientCertificate: null, sni: "api.example.com" } },
    config: {
      policies: [
        { name: "shop/deny-plain", spec: { action: "DENY", rules: [{ from: [{ source: { notPrincipals: ["*"] } }], to: [{ operation: { paths: ["/secure/*"] } }] }] } },
        { name: "shop/allow", spec: { rules: [{ when: [{ key: "connection.sni", values: ["*.example.com"] }] }] } },
      ],
    },
    requests: [r("/"), r("/secure/x")],
  },
  {
    name: "JWT request principals and claims",
    listener: { jwt: { issuer: ISSUER } },
    config: {
      policies: [
        { name: "shop/deny-no-jwt", spec: { action: "DENY", rules: [{ from: [{ source: { notRequestPrincipals: ["*"] } }], to: [{ operation: { paths: ["/private/*"] } }] }] } },
        {
          name: "shop/allow",
          spec: {
            rules: [
              { from: [{ source: { requestPrincipals: [`${ISSUER}/alice`] } }] },
              { when: [{ key: "request.auth.claims[groups]", values: ["admins"] }] },
              { when: [{ key: "request.auth.claims[org][team]", values: ["payments*"] }] },
              { when: [{ key: "request.auth.audiences", values: ["shop"] }, { key: "request.auth.presenter", values: ["web-*"] }] },
              { to: [{ operation: { paths: ["/public/*"] } }] },
            ],
          },
        },
      ],
    },
    requests: [
      r("/private/x"),
      r("/public/x"),
      r("/private/x", jwt({ sub: "alice" })),
      r("/x", jwt({ sub: "bob" })),
      r("/x", jwt({ sub: "bob", groups: ["users", "admins"] })),
      r("/x", jwt({ sub: "bob", groups: "admins" })),
      r("/x", jwt({ sub: "bob", org: { team: "payments-eu" } })),
      r("/x", jwt({ sub: "bob", aud: "shop", azp: "web-app" })),
      r("/x", jwt({ sub: "bob", aud: ["x", "shop"], azp: "cli" })),
      r("/x", jwt({ sub: "bob", groups: 7 })),
    ],
  },
  {
    name: "allow-nothing, allow-all, AUDIT and dry-run",
    config: {
      policies: [
        { name: "shop/nothing", spec: {} },
        { name: "shop/all-dry", spec: { rules: [{}] }, dryRun: true },
        { name: "shop/audit", spec: { action: "AUDIT", rules: [{ to: [{ operation: { paths: ["/audited"] } }] }] } },
        { name: "shop/get", spec: { rules: [{ to: [{ operation: { methods: ["GET"], paths: ["/ok"] } }] }] } },
      ],
    },
    requests: [r("/ok"), r("/audited"), r("/ok", { method: "POST" })],
  },
  {
    name: "no ALLOW policy: only DENY",
    config: { policies: [{ name: "shop/deny-post", spec: { action: "DENY", rules: [{ to: [{ operation: { methods: ["POST"] } }] }] } }] },
    requests: [r("/"), r("/", { method: "POST" })],
  },
  {
    name: "policy id order across policies and rules",
    config: {
      policies: [
        { name: "b/second", spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/x"] } }] }] } },
        { name: "a/first", spec: { action: "DENY", rules: Array.from({ length: 11 }, (_, i) => (i === 3 || i === 10 ? { to: [{ operation: { paths: ["/x"] } }] } : { to: [{ operation: { paths: ["/never"] } }] })) } },
      ],
    },
    requests: [r("/x"), r("/y")],
  },
];
