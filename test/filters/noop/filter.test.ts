/**
 * filters/noop: an HTTP context per stream, Continue everywhere, nothing changed, nothing logged, nothing
 * leaked — the floor any Wasm filter costs.
 */

import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { createHost } from "../../../harness/index.js";

const wasm = fileURLToPath(new URL("../../../build/noop.wasm", import.meta.url));

test("passThrough: request and response go through unchanged, in a stream context of its own", () => {
  const host = createHost(wasm, { recordCallbacks: true });
  // HTTP/2, so the request trailers reach the filter (Envoy's HTTP/1.1 codec drops them).
  const result = host.http({ method: "POST", path: "/a?b=c", headers: [["x-a", "1"]], body: "body", trailers: [["x-t", "2"]], protocol: "http2" }, {
    status: 201,
    headers: [["x-up", "3"]],
    body: "answer",
  });
  expect(result.status).toBe(201);
  expect(result.body).toBe("answer");
  expect(result.headers).toContainEqual(["x-up", "3"]);
  expect(result.upstream).toMatchObject({ method: "POST", path: "/a?b=c", body: "body" });
  expect(result.upstream!.headers).toContainEqual(["x-a", "1"]);
  expect(result.logs).toEqual([]);
  expect(result.contextIds[0]).toBeGreaterThan(1);
  const called = new Set(host.callbacks.filter((c) => c.contextId === result.contextIds[0]).map((c) => c.name));
  expect([...called].sort()).toEqual(
    ["proxy_on_context_create", "proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers", "proxy_on_response_headers", "proxy_on_response_body", "proxy_on_log", "proxy_on_done", "proxy_on_delete"].sort(),
  );
});

test("noLeak: 20,000 lifecycles after warm-up stay within one 64 KiB page of linear memory", () => {
  const host = createHost(wasm);
  for (let i = 0; i < 1_000; i++) host.http({ path: "/" });
  const before = host.vm().memoryBytes;
  for (let i = 0; i < 20_000; i++) host.http({ path: "/" });
  expect(host.vm().memoryBytes - before).toBeLessThanOrEqual(64 * 1024);
  expect(host.vm().contextIds).toEqual([host.vm().rootContextId]);
});
