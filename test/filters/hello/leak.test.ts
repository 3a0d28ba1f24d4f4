/**
 * filters/hello does not leak: after a warm-up, 100,000 complete request lifecycles (context create → request
 * headers → response headers → log → done → delete, each allocating a context, a header value and host
 * buffers) grow the VM's linear memory by at most 64 KiB — one Wasm page. This counts bytes, not time.
 */

import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { createHost } from "../../../harness/index.js";

const wasm = fileURLToPath(new URL("../../../build/hello.wasm", import.meta.url));

const WARM_UP = 2_000;
const LIFECYCLES = 100_000;
const ALLOWED_GROWTH = 64 * 1024;

test(`${LIFECYCLES} request lifecycles grow linear memory by at most ${ALLOWED_GROWTH} bytes after warm-up`, () => {
  const host = createHost(wasm, { configuration: { header: "x-hello", value: "world" } });
  const request = { path: "/leak", headers: [["x-request-header", "some value"]] as Array<[string, string]> };
  const upstream = { status: 200, headers: [["x-upstream", "v"]] as Array<[string, string]> };
  for (let i = 0; i < WARM_UP; i++) host.http(request, upstream);
  const before = host.vm().memoryBytes;
  let lastContextId = 0;
  for (let i = 0; i < LIFECYCLES; i++) {
    const result = host.http(request, upstream);
    lastContextId = result.contextIds[0] ?? 0;
  }
  const after = host.vm().memoryBytes;
  if (process.env.PRINT_MEMORY) console.log(`hello linear memory: ${before} bytes after warm-up, ${after} after ${LIFECYCLES} lifecycles`);
  // Every lifecycle really ran through the plugin (a new stream context each time) and the header was set.
  expect(lastContextId).toBeGreaterThan(LIFECYCLES);
  expect(host.http(request, upstream).headers).toContainEqual(["x-hello", "world"]);
  expect(host.vm().contextIds).toEqual([host.vm().rootContextId]);
  expect(after - before).toBeLessThanOrEqual(ALLOWED_GROWTH);
});
