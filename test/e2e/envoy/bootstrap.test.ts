// The Envoy configuration builders (no Envoy needed): the plugin is configured the way istiod + istio-agent
// configure a WasmPlugin (deployment.md §B.3/§B.4), filters are in Istio's order, names are the documented ones.
import { describe, expect, test } from "vitest";
import {
  UPSTREAM_CLUSTER,
  accessLogFormat,
  buildBootstrap,
  buildScenarioListener,
  pluginConfigurationText,
  pluginName,
} from "../../../harness/envoy/bootstrap";
import type { Scenario } from "../../../harness/scenario/types";

type Json = Record<string, any>;

function listenerFor(scenario: Scenario, extra: Partial<Parameters<typeof buildScenarioListener>[0]> = {}): Json {
  return buildScenarioListener({
    scenario,
    where: "test.yaml#s",
    listenerName: "scenario-1",
    port: 10001,
    modulePaths: scenario.plugins.map((plugin) => `/m/${plugin.filter}.wasm`),
    accessLogPath: "/tmp/access.log",
    ...extra,
  });
}

const hcmOf = (listener: Json): Json => listener.filter_chains[0].filters[0].typed_config;
const filterNames = (listener: Json): string[] => hcmOf(listener).http_filters.map((f: Json) => f.name);
const wasmConfig = (listener: Json, index = 0): Json =>
  hcmOf(listener).http_filters.filter((f: Json) => f.name.startsWith("extensions.istio.io/wasmplugin/"))[index]
    .typed_config.config;

describe("buildScenarioListener", () => {
  const base: Scenario = { name: "s", plugins: [{ filter: "hello" }], requests: [] };

  test("configures the plugin as istiod does: <namespace>.<name>, StringValue JSON, v8, no vm_id, failure_policy set", () => {
    const config = wasmConfig(listenerFor({ ...base, plugins: [{ filter: "hello", configuration: { b: 1, a: "x" } }] }));
    expect(config).toEqual({
      name: "default.hello",
      root_id: "",
      configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: '{"b":1,"a":"x"}' },
      failure_policy: "FAIL_CLOSED",
      vm_config: { runtime: "envoy.wasm.runtime.v8", code: { local: { filename: "/m/hello.wasm" } } },
    });
  });

  test("passes a string configuration verbatim and omits an absent one (the plugin then sees 0 bytes)", () => {
    expect(wasmConfig(listenerFor({ ...base, plugins: [{ filter: "hello", configuration: "{ raw" }] })).configuration.value).toBe(
      "{ raw",
    );
    expect(wasmConfig(listenerFor(base))).not.toHaveProperty("configuration");
    expect(pluginConfigurationText(undefined)).toBeUndefined();
    expect(pluginConfigurationText([1, "a"])).toBe('[1,"a"]');
  });

  test("maps the optional plugin and VM fields", () => {
    const config = wasmConfig(
      listenerFor({
        ...base,
        plugins: [
          {
            filter: "hello",
            name: "istio-system.h",
            rootId: "root",
            vmId: "vm",
            vmConfiguration: "vmcfg",
            failurePolicy: "FAIL_OPEN",
            allowOnHeadersStopIteration: true,
            environment: { MODE: "strict" },
          },
        ],
      }),
    );
    expect(config).toMatchObject({
      name: "istio-system.h",
      root_id: "root",
      failure_policy: "FAIL_OPEN",
      allow_on_headers_stop_iteration: true,
      vm_config: {
        vm_id: "vm",
        configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: "vmcfg" },
        environment_variables: { key_values: { MODE: "strict" } },
      },
    });
    expect(pluginName({ filter: "x" })).toBe("default.x");
  });

  test("orders the HTTP filters like Istio: jwt_authn, peer principal, native filters, plugins, router", () => {
    const listener = listenerFor(
      {
        ...base,
        plugins: [{ filter: "a" }, { filter: "b" }],
        listener: {
          jwt: { issuer: "iss" },
          peerPrincipalFilterState: "spiffe://x/ns/a/sa/b",
          nativeFilters: [{ name: "envoy.filters.http.rbac", typedConfig: { "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC" } }],
        },
      },
      { jwks: '{"keys":[]}' },
    );
    expect(filterNames(listener)).toEqual([
      "envoy.filters.http.jwt_authn",
      "envoy.filters.http.set_filter_state",
      "envoy.filters.http.rbac",
      "extensions.istio.io/wasmplugin/default.a",
      "extensions.istio.io/wasmplugin/default.b",
      "envoy.filters.http.router",
    ]);
  });

  test("lays out jwt_authn as RequestAuthentication: payload in metadata, forward, missing token allowed", () => {
    const jwt = hcmOf(listenerFor({ ...base, listener: { jwt: { issuer: "iss", audiences: ["api"] } } }, { jwks: "JWKS" }))
      .http_filters[0].typed_config;
    expect(jwt.providers["origins-0"]).toEqual({
      issuer: "iss",
      audiences: ["api"],
      local_jwks: { inline_string: "JWKS" },
      forward: true,
      payload_in_metadata: "payload",
    });
    expect(jwt.rules[0].requires.requires_any.requirements).toEqual([{ provider_name: "origins-0" }, { allow_missing: {} }]);
  });

  test("escapes '%' in the peer principal (a substitution format string)", () => {
    const filter = hcmOf(listenerFor({ ...base, listener: { peerPrincipalFilterState: "a%b" } })).http_filters[0];
    expect(filter.typed_config.on_request_headers[0]).toMatchObject({
      object_key: "io.istio.peer_principal",
      format_string: { text_format_source: { inline_string: "a%%b" } },
    });
  });

  test("adds downstream TLS (client certificate optional, verified against the CA) and the TLS inspector", () => {
    const listener = listenerFor(
      { ...base, listener: { tls: { clientCertificate: null } } },
      { tls: { certPath: "/c.crt", keyPath: "/c.key", caPath: "/ca.crt" } },
    );
    const tls = listener.filter_chains[0].transport_socket.typed_config;
    expect(tls.require_client_certificate).toBe(false);
    expect(tls.common_tls_context.validation_context).toEqual({ trusted_ca: { filename: "/ca.crt" } });
    expect(listener.listener_filters[0].name).toBe("envoy.filters.listener.tls_inspector");
  });

  test("routes everything to the upstream cluster and applies the HCM settings only when given", () => {
    const plain = hcmOf(listenerFor(base));
    expect(plain.route_config.virtual_hosts[0].routes[0].route.cluster).toBe(UPSTREAM_CLUSTER);
    expect(plain).not.toHaveProperty("normalize_path");
    expect(plain).not.toHaveProperty("use_remote_address");
    const tuned = hcmOf(
      listenerFor({
        ...base,
        listener: { useRemoteAddress: true, xffNumTrustedHops: 2, normalizePath: true, mergeSlashes: false, pathWithEscapedSlashesAction: "REJECT_REQUEST" },
      }),
    );
    expect(tuned).toMatchObject({
      use_remote_address: true,
      xff_num_trusted_hops: 2,
      normalize_path: true,
      merge_slashes: false,
      path_with_escaped_slashes_action: "REJECT_REQUEST",
    });
  });

  test("rejects bad scenario input with the field named", () => {
    expect(() => listenerFor({ ...base, plugins: [{ filter: "h", failurePolicy: "FAIL_SOMETIMES" as never }] })).toThrow(
      "test.yaml#s.plugins[0].failurePolicy",
    );
    expect(() => listenerFor({ ...base, listener: { nativeFilters: [{ name: "x", typedConfig: {} }] } })).toThrow(
      "test.yaml#s.listener.nativeFilters[0]",
    );
    expect(() => accessLogFormat("t", ["bad key)"], "f")).toThrow("f.listener.accessLogFilterState");
    expect(() => listenerFor({ ...base, listener: { jwt: { issuer: "i" } } })).toThrow("listener.jwt");
  });
});

describe("buildBootstrap", () => {
  test("admin and the marker listener on loopback, the echo upstream as an h2c cluster, LDS/CDS from files", () => {
    const bootstrap: Json = buildBootstrap({ admin: 1, marker: 2, upstream: 3 }, { lds: "/w/lds.json", cds: "/w/cds.json" });
    expect(bootstrap.admin.address.socket_address).toEqual({ address: "127.0.0.1", port_value: 1 });
    expect(bootstrap.static_resources.listeners[0].address.socket_address).toEqual({ address: "127.0.0.1", port_value: 2 });
    const cluster = bootstrap.static_resources.clusters[0];
    expect(cluster.name).toBe("upstream");
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value).toBe(3);
    expect(cluster.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].explicit_http_config).toEqual({
      http2_protocol_options: {},
    });
    expect(bootstrap.dynamic_resources.lds_config.path_config_source.path).toBe("/w/lds.json");
    expect(bootstrap.dynamic_resources.cds_config.path_config_source.path).toBe("/w/cds.json");
  });
});
