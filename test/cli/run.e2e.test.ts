// `as-proxy run`: the local development loop in real Envoy (issue #7 item 1). Starts the real binary, reads the
// URL it prints, sends requests through Envoy and the filter, sees the filter's log lines streamed, stops it with
// Ctrl-C (SIGINT) and checks Envoy is gone.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { e2eTools } from "../../harness/envoy/tools";
import { errorLines, repoRoot, runCli } from "./support/cli";

const tools = e2eTools();
const bin = join(repoRoot, "bin", "as-proxy.js");

interface Event {
  event: string;
  url?: string;
  pid?: number;
  level?: string;
  message?: string;
}

describe.runIf(tools.ok)("as-proxy run abac", () => {
  let work: string;
  let child: ChildProcessByStdio<null, Readable, Readable>;
  const events: Event[] = [];
  let stderr = "";
  const waiters: Array<() => void> = [];

  function waitFor(predicate: (e: Event) => boolean, what: string, timeoutMs = 60_000): Promise<Event> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = events.find(predicate);
        if (found) {
          clearTimeout(timer);
          resolve(found);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stderr:\n${stderr}`)), timeoutMs);
      if (!check()) waiters.push(() => void check());
    });
  }

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "as-proxy-run-"));
    writeFileSync(
      join(work, "abac.yaml"),
      "policies:\n  - name: dev/public\n    spec:\n      action: ALLOW\n      rules:\n        - to:\n            - operation: {paths: ['/public/*']}\n",
    );
    child = spawn(process.execPath, [bin, "--json", "run", "abac", "--config", join(work, "abac.yaml")], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let pending = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        try {
          events.push(JSON.parse(line) as Event);
        } catch {
          events.push({ event: "text", message: line });
        }
        for (const w of waiters) w();
      }
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  });
  afterAll(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  });

  test("prints the URL, proxies through the filter, streams its logs, stops on SIGINT", async () => {
    const ready = await waitFor((e) => e.event === "ready", "the ready line");
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const allowed = await fetch(new URL("/public/index.html", ready.url));
    expect(allowed.status).toBe(200);
    // The built-in echo server answers with what reached it.
    expect(JSON.parse(await allowed.text())).toMatchObject({ method: "GET", path: "/public/index.html" });
    const denied = await fetch(new URL("/private", ready.url));
    expect(denied.status).toBe(403);
    await waitFor((e) => e.event === "log" && /configured 1 polic/.test(e.message ?? ""), "the filter's configuration log line");
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    // Envoy went with it.
    expect(() => process.kill(ready.pid!, 0)).toThrow();
  });
});

describe("as-proxy run: errors before anything starts", () => {
  test("a configuration the filter rejects is one line, exit 1", async () => {
    const work = mkdtempSync(join(tmpdir(), "as-proxy-run-bad-"));
    try {
      writeFileSync(join(work, "bad.yaml"), "policies:\n  - name: x/y\n    spec: {rules: [{from: [{source: {ipBlocks: ['10.0.0.0/33']}}]}]}\n");
      const result = await runCli(["run", "abac", "--config", join(work, "bad.yaml")]);
      expect(result.status).toBe(1);
      expect(errorLines(result)).toEqual([expect.stringMatching(/policies\[0\]\.spec\.rules\[0\]\.from\[0\]\.source\.ipBlocks\[0\].*10\.0\.0\.0\/33/)]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test("an upstream that is not a URL", async () => {
    const result = await runCli(["run", "abac", "--upstream", "localhost:8080"]);
    expect(result.status).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(/--upstream "localhost:8080": only http:\/\/ and https:\/\/ upstreams|not a URL/)]);
  });
});
