// The Envoy runner against a real Envoy 1.40, with a hand-written WAT plugin (fixtures/runner-probe.wat),
// so these tests depend on neither the SDK nor the harness. Each test names the Envoy behaviour it relies on.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ENVOY_LOAD_FAILURE, EnvoyRunner } from "../../harness/envoy/runner";
import { e2eTools } from "../../harness/envoy/tools";
import type { Scenario } from "../../harness/scenario/types";
import { assembleWat } from "./fixtures/wat";

const tools = e2eTools();
const fixture = fileURLToPath(new URL("./fixtures/runner-probe.wat", import.meta.url));
const missingImportFixture = fileURLToPath(new URL("./fixtures/missing-import.wat", import.meta.url));

/** A property path as the plugin configuration (segments joined with NUL, as proxy_get_property wants). */
const propertyPath = (...segments: string[]): string => segments.join("\0");

function scenario(partial: Partial<Scenario> & Pick<Scenario, "requests">): Scenario {
  return { name: "runner", plugins: [{ filter: "probe" }], ...partial };
}

describe.runIf(tools.ok)("Envoy runner (real Envoy 1.40, V8)", () => {
  let runner: EnvoyRunner;
  let moduleDirectory: string;

  beforeAll(async () => {
    if (!tools.ok) return;
    moduleDirectory = await mkdtemp(path.join(tmpdir(), "as-proxy-e2e-modules-"));
    await writeFile(path.join(moduleDirectory, "probe.wasm"), await assembleWat(fixture));
    await writeFile(path.join(moduleDirectory, "missing-import.wasm"), await assembleWat(missingImportFixture));
    runner = await EnvoyRunner.start({ envoyBinary: tools.tools.envoy, moduleDirectory });
  });

  afterAll(async () => {
    await runner?.close();
    if (moduleDirectory) await rm(moduleDirectory, { recursive: true, force: true });
  });

  test("runs the plugin in V8 and attributes its log lines, metrics and access-log entry to each request", async () => {
    const result = await runner.run(
      scenario({
        requests: [
          { request: { path: "/one", headers: [["x-log", "first"]] }, expect: {} },
          { request: { path: "/two", headers: [["x-log", "second"]] }, expect: {} },
        ],
      }),
    );
    // deployment.md §D.5: wasm.<runtime>.created counts VMs of the runtime.
    expect(result.runtimeStats["wasm.envoy.wasm.runtime.v8.created"]).toBeGreaterThan(0);
    expect(result.load.rejected).toBe(false);
    const [first, second] = result.outcomes;
    // host-behaviour.md F.26: on_log runs at stream completion, inside the request's window.
    expect(first!.logs).toEqual([
      { level: "info", message: "on_request_headers" },
      { level: "info", message: "first" },
      { level: "info", message: "on_log" },
    ]);
    expect(second!.logs.map((log) => log.message)).toEqual(["on_request_headers", "second", "on_log"]);
    expect(first!.metrics).toEqual({ e2e_requests: 1 });
    expect(second!.metrics).toEqual({ e2e_requests: 2 });
    expect(first!.responseCodeDetails).toBe("via_upstream");
  });

  test("gives every scenario fresh VMs: metrics restart from zero", async () => {
    const run = () => runner.run(scenario({ requests: [{ request: { path: "/" }, expect: {} }] }));
    expect((await run()).outcomes[0]!.metrics).toEqual({ e2e_requests: 1 });
    expect((await run()).outcomes[0]!.metrics).toEqual({ e2e_requests: 1 });
  });

  test("reports what reached the upstream and what the client saw (HTTP/1.1, exact path bytes)", async () => {
    const result = await runner.run(
      scenario({
        requests: [
          {
            request: { method: "POST", path: "/a/../b%2Fc//d", headers: [["x-dup", "1"], ["x-dup", "2"]], body: "ping" },
            expect: {},
          },
        ],
      }),
    );
    const outcome = result.outcomes[0]!;
    expect(outcome.status).toBe(200);
    expect(outcome.body).toBe("ping"); // default upstream: 200 echoing the request body
    // Envoy's defaults do not normalize the path (normalize_path/merge_slashes off).
    expect(outcome.upstream).toMatchObject({ method: "POST", path: "/a/../b%2Fc//d", body: "ping" });
    expect(outcome.upstream!.headers["x-dup"]).toEqual(["1", "2"]);
    expect(outcome.upstream!.headers[":authority"]).toEqual(["example.com"]);
    expect(outcome.upstream!.headers["content-length"]).toEqual(["4"]);
  });

  test("applies the HCM path settings of the scenario", async () => {
    const result = await runner.run(
      scenario({
        listener: { normalizePath: true, mergeSlashes: true },
        requests: [{ request: { path: "/a/../b//c" }, expect: {} }],
      }),
    );
    expect(result.outcomes[0]!.upstream!.path).toBe("/b/c");
  });

  test("answers with the scripted upstream response, trailers included (HTTP/2)", async () => {
    const result = await runner.run(
      scenario({
        listener: { protocol: "http2" },
        requests: [
          {
            request: { method: "POST", path: "/t", body: "x", trailers: [["x-request-trailer", "rt"]] },
            upstream: { status: 201, headers: [["x-upstream", "u"]], body: "made", trailers: [["x-response-trailer", "t"]] },
            expect: {},
          },
        ],
      }),
    );
    const outcome = result.outcomes[0]!;
    expect(outcome.status).toBe(201);
    expect(outcome.headers["x-upstream"]).toEqual(["u"]);
    expect(outcome.body).toBe("made");
    expect(outcome.upstream!.body).toBe("x");
  });

  test("a local reply: status, body, details with whitespace replaced, upstream untouched", async () => {
    const result = await runner.run(scenario({ requests: [{ request: { path: "/", headers: [["x-deny", "1"]] }, expect: {} }] }));
    const outcome = result.outcomes[0]!;
    // host-behaviour.md F.15; envoy context.cc sendLocalResponse: whitespace in details → '_'.
    expect(outcome).toMatchObject({ status: 403, body: "forbidden", upstream: null, responseCodeDetails: "denied_by_probe" });
  });

  test("prints filter state written by set_property in the access log (wasm.<path>)", async () => {
    const listener = { accessLogFilterState: ["wasm.x"] };
    const result = await runner.run(
      scenario({
        listener,
        requests: [
          { request: { path: "/", headers: [["x-set", "recorded"]] }, expect: {} },
          { request: { path: "/" }, expect: {} },
        ],
      }),
    );
    // host-behaviour.md C.4: proxy_set_property stores filter state "wasm." + path.
    expect(result.outcomes[0]!.filterState).toEqual({ "wasm.x": "recorded" });
    expect(result.outcomes[1]!.filterState).toEqual({ "wasm.x": null });
  });

  test("mTLS: the client certificate's SPIFFE URI SAN reaches the plugin through a real handshake", async () => {
    const uri = "spiffe://cluster.local/ns/frontend/sa/web";
    const run = (clientCertificate: { uriSans: string[] } | null) =>
      runner.run(
        scenario({
          plugins: [{ filter: "probe", configuration: propertyPath("connection", "uri_san_peer_certificate") }],
          listener: { tls: { clientCertificate } },
          requests: [{ request: { path: "/" }, expect: {} }],
        }),
      );
    // authz-and-metadata.md B.1: source.principal ← connection.uri_san_peer_certificate (first URI SAN).
    expect((await run({ uriSans: [uri] })).outcomes[0]!.logs).toContainEqual({ level: "info", message: `property: ${uri}` });
    expect((await run(null)).outcomes[0]!.logs).toContainEqual({ level: "info", message: "property: not found" });
  });

  test("jwt_authn in front of the plugin: verified claims in metadata, bad signature → 401 before the plugin", async () => {
    const jwtScenario = (jwt?: { claims: Record<string, unknown>; badSignature?: boolean }) =>
      scenario({
        plugins: [
          {
            filter: "probe",
            configuration: propertyPath("metadata", "filter_metadata", "envoy.filters.http.jwt_authn", "payload", "sub"),
          },
        ],
        listener: { jwt: { issuer: "https://issuer.test", audiences: ["api"] } },
        requests: [{ request: { path: "/", jwt }, expect: {} }],
      });
    const claims = { iss: "https://issuer.test", sub: "alice", aud: "api" };
    const verified = (await runner.run(jwtScenario({ claims }))).outcomes[0]!;
    // authz-and-metadata.md B.1/B.3: RequestAuthentication puts the payload under jwt_authn → payload.
    expect(verified.logs).toContainEqual({ level: "info", message: "property: alice" });
    const forged = (await runner.run(jwtScenario({ claims, badSignature: true }))).outcomes[0]!;
    expect(forged.status).toBe(401);
    expect(forged.upstream).toBeNull();
    expect(forged.responseCodeDetails).toMatch(/^jwt_authn_access_denied/);
    const missing = (await runner.run(jwtScenario())).outcomes[0]!;
    expect(missing.status).toBe(200); // a missing token is allowed, as with RequestAuthentication
    expect(missing.logs).toContainEqual({ level: "info", message: "property: not found" });
  });

  test("the waypoint peer principal is readable as filter state io.istio.peer_principal", async () => {
    const principal = "spiffe://cluster.local/ns/a/sa/b";
    const result = await runner.run(
      scenario({
        plugins: [{ filter: "probe", configuration: propertyPath("filter_state", "io.istio.peer_principal") }],
        listener: { peerPrincipalFilterState: principal },
        requests: [{ request: { path: "/" }, expect: {} }],
      }),
    );
    expect(result.outcomes[0]!.logs).toContainEqual({ level: "info", message: `property: ${principal}` });
  });

  test("callouts reach the collector, which answers as scripted; the paused request then continues", async () => {
    const result = await runner.run(
      scenario({
        listener: { clusters: { collector: { respond: { status: 200, body: "ok" } } } },
        requests: [{ request: { path: "/", headers: [["x-callout", "1"]] }, expect: {} }],
      }),
    );
    const outcome = result.outcomes[0]!;
    expect(outcome.callouts).toEqual([{ cluster: "collector", method: "GET", path: "/callout", body: "" }]);
    expect(outcome.logs.map((log) => log.message)).toEqual(["on_request_headers", "callout response", "on_log"]);
    expect(outcome.status).toBe(200);
    expect(outcome.upstream).not.toBeNull();
  });

  test("a callout to a down cluster fails and the response callback still runs (host-behaviour.md F.29)", async () => {
    const result = await runner.run(
      scenario({
        listener: { clusters: { collector: { down: true } } },
        requests: [{ request: { path: "/", headers: [["x-callout", "1"]] }, expect: {} }],
      }),
    );
    const outcome = result.outcomes[0]!;
    expect(outcome.callouts).toEqual([]);
    expect(outcome.logs.map((log) => log.message)).toContain("callout response");
    expect(outcome.status).toBe(200);
  });

  test("a trap answers 503 wasm_fail_stream; afterwards fail-closed keeps failing, fail-open passes through", async () => {
    const trap = (failurePolicy: "FAIL_CLOSED" | "FAIL_OPEN") =>
      runner.run(
        scenario({
          plugins: [{ filter: "probe", failurePolicy }],
          requests: [
            { request: { path: "/", headers: [["x-trap", "1"]] }, expect: {} },
            { request: { path: "/after" }, expect: {} },
          ],
        }),
      );
    // host-behaviour.md F.24. Envoy 1.40 (observed): the request whose callback trapped gets the 503 under
    // both policies; FAIL_OPEN only lets *later* requests through, with the failed VM skipped.
    const failed = { status: 503, upstream: null, responseCodeDetails: "wasm_fail_stream" };
    const closed = await trap("FAIL_CLOSED");
    expect(closed.outcomes[0]).toMatchObject(failed);
    expect(closed.outcomes[1]).toMatchObject({ ...failed, logs: [] });
    const open = await trap("FAIL_OPEN");
    expect(open.outcomes[0]).toMatchObject(failed);
    expect(open.outcomes[1]).toMatchObject({ status: 200, responseCodeDetails: "via_upstream", logs: [] });
    expect(open.outcomes[1]!.upstream).not.toBeNull();
  });

  test("a rejected configuration is NACKed and Envoy keeps serving (host-behaviour.md F.25)", async () => {
    const rejected = await runner.run(
      scenario({ plugins: [{ filter: "probe", configuration: "reject" }], expectRejected: true, requests: [] }),
    );
    expect(rejected.load).toEqual({ rejected: true, logs: [{ level: "info", message: "reject" }] });
    const next = await runner.run(scenario({ requests: [{ request: { path: "/" }, expect: {} }] }));
    expect(next.outcomes[0]!.status).toBe(200);
    expect(runner.envoy.running).toBe(true);
  });

  test("native filters run before the plugin; its stream context is then created in the log phase", async () => {
    const result = await runner.run(
      scenario({
        listener: {
          nativeFilters: [
            {
              name: "envoy.filters.http.rbac",
              typedConfig: { "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC", rules: {} },
            },
          ],
        },
        requests: [{ request: { path: "/" }, expect: {} }],
      }),
    );
    const outcome = result.outcomes[0]!;
    expect(outcome).toMatchObject({ status: 403, body: "RBAC: access denied", upstream: null });
    // host-behaviour.md F.12: no header callbacks, but on_log runs.
    expect(outcome.logs.map((log) => log.message)).toEqual(["on_log"]);
  });

  test("a module importing something Envoy lacks fails to load, recognisably (host-behaviour.md F.2)", async () => {
    const result = await runner.run(
      scenario({ plugins: [{ filter: "missing-import" }], expectRejected: true, requests: [] }),
    );
    expect(result.load.rejected).toBe(true);
    const failure = result.envoyLog.find((line) => ENVOY_LOAD_FAILURE.test(line));
    expect(failure).toMatch(/missing import: env\.abort/);
  });

  test("survives an Envoy crash: the scenario fails loudly with the crash report, the next one gets a new Envoy", async () => {
    // Observed on Envoy 1.40: proxy_continue_stream(HTTP_RESPONSE) from on_response_headers of a response that
    // is not paused crashes the process (segmentation fault in the filter manager).
    const restarts = runner.restarts;
    await expect(
      runner.run(scenario({ requests: [{ request: { path: "/", headers: [["x-crash", "1"]] }, expect: {} }] })),
    ).rejects.toThrow(/Envoy CRASHED during the scenario/);
    const next = await runner.run(scenario({ requests: [{ request: { path: "/" }, expect: {} }] }));
    expect(next.outcomes[0]!.status).toBe(200);
    expect(runner.restarts).toBe(restarts + 1);
  });
});
