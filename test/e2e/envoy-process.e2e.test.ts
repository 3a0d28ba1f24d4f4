// Envoy process management against the real binary: ready on /ready, stopped for good, and a bootstrap
// Envoy refuses is reported with Envoy's own message (no process left behind).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EnvoyProcess } from "../../harness/envoy/envoy-process";
import { freePort } from "../../harness/envoy/ports";
import { e2eTools } from "../../harness/envoy/tools";

const tools = e2eTools();

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.runIf(tools.ok)("EnvoyProcess (real Envoy 1.40)", () => {
  let directory: string;
  beforeAll(async () => (directory = await mkdtemp(path.join(tmpdir(), "as-proxy-envoy-process-"))));
  afterAll(async () => rm(directory, { recursive: true, force: true }));

  test("reports the pinned version, starts, becomes ready, serves admin, and stops for good", async () => {
    if (!tools.ok) return;
    expect(tools.tools.envoyVersion).toBe("1.40.0");
    const adminPort = await freePort();
    const bootstrapPath = path.join(directory, "minimal.json");
    await writeFile(bootstrapPath, JSON.stringify({ admin: { address: { socket_address: { address: "127.0.0.1", port_value: adminPort } } } }));
    const envoy = await EnvoyProcess.start({ envoyBinary: tools.tools.envoy, bootstrapPath, adminPort });
    try {
      expect(envoy.running).toBe(true);
      expect(await envoy.admin("/ready")).toBe("LIVE\n");
      expect((await envoy.stats("^server\\.concurrency$")).get("server.concurrency")).toBe(1);
    } finally {
      await envoy.stop();
    }
    expect(envoy.running).toBe(false);
    expect(alive(envoy.pid)).toBe(false);
    await envoy.stop(); // idempotent
  });

  test("a bootstrap Envoy rejects fails the start with Envoy's message", async () => {
    if (!tools.ok) return;
    const adminPort = await freePort();
    const bootstrapPath = path.join(directory, "broken.json");
    await writeFile(bootstrapPath, JSON.stringify({ admin: { address: { socket_address: { address: "127.0.0.1", port_value: adminPort } } }, no_such_field: 1 }));
    await expect(EnvoyProcess.start({ envoyBinary: tools.tools.envoy, bootstrapPath, adminPort })).rejects.toThrow(
      /Envoy did not become ready[\s\S]*no_such_field/,
    );
  });
});
