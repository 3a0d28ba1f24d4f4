// The CLI contract (issue #7 items 1 and 6): --help everywhere, one clear error line and a non-zero exit for
// every user mistake, --json for scripts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildProgram } from "../../cli/main";
import { crdDir, errorLines, repoRoot, runCli } from "./support/cli";
import { EMPTY_MODULE } from "./support/wasm";

function allCommands(command: Command, prefix = ""): Array<[string, Command]> {
  return command.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return [[name, c] as [string, Command], ...allCommands(c, `${name} `)];
  });
}

describe("help", () => {
  const commands = allCommands(buildProgram());

  test("every command has a description and a usage line", () => {
    expect(commands.map(([name]) => name)).toEqual(
      expect.arrayContaining(["build", "validate", "run", "package", "push", "verify", "manifest", "manifest istio", "manifest envoy-gateway", "manifest check", "manifest rules"]),
    );
    for (const [name, command] of commands) {
      expect(command.description(), name).not.toBe("");
      expect(command.helpInformation(), name).toContain(`Usage: as-proxy ${name}`);
    }
  });

  test("--help exits 0 from the real binary", async () => {
    for (const args of [["--help"], ["push", "--help"], ["manifest", "istio", "--help"]]) {
      const result = await runCli(args);
      expect(result.status, args.join(" ")).toBe(0);
      expect(result.stdout).toMatch(/^Usage: as-proxy/);
    }
  });
});

describe("errors: one line, non-zero exit", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "as-proxy-cli-"));
    writeFileSync(join(work, "plugin.wasm"), EMPTY_MODULE);
    writeFileSync(join(work, "not-wasm.wasm"), "hello");
    writeFileSync(join(work, "bad.yaml"), "a: [1,\n");
    writeFileSync(
      join(work, "invalid.yaml"),
      "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: x, namespace: default}\nspec:\n  url: registry.local:5000/x:1\n  phase: LATE\n",
    );
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("unknown command: usage error, exit 2", async () => {
    const result = await runCli(["bogus"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown command 'bogus'");
  });

  test("unknown filter names the known ones", async () => {
    const result = await runCli(["package", "no-such-filter"]);
    expect(result.status).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^as-proxy: unknown filter "no-such-filter" \(known filters: .*\)$/)]);
  });

  test("a missing module file, and a file that is not Wasm", async () => {
    const missing = await runCli(["package", join(work, "missing.wasm")]);
    expect(missing.status).toBe(1);
    expect(errorLines(missing)).toEqual([`as-proxy: ${join(work, "missing.wasm")}: no such file`]);
    const notWasm = await runCli(["package", join(work, "not-wasm.wasm")]);
    expect(notWasm.status).toBe(1);
    expect(errorLines(notWasm)).toEqual([expect.stringContaining("does not start with the Wasm magic bytes")]);
  });

  test("bad option values name the option", async () => {
    const layout = await runCli(["package", join(work, "plugin.wasm"), "--layout", "cncf"]);
    expect(errorLines(layout)).toEqual(['as-proxy: --layout "cncf": expected one of compat, solo']);
    const phase = await runCli(["manifest", "istio", join(work, "plugin.wasm"), "--image", "r.io/x:1", "--phase", "LATE"]);
    expect(phase.status).toBe(1);
    expect(errorLines(phase)).toEqual(['as-proxy: --phase "LATE": expected one of AUTHN, AUTHZ, STATS']);
    const ref = await runCli(["push", join(work, "plugin.wasm"), "https://r.io/x:1"]);
    expect(errorLines(ref)).toEqual(['as-proxy: image reference "https://r.io/x:1": only oci:// or no scheme is allowed']);
  });

  test("a configuration file that is not YAML is located", async () => {
    const result = await runCli(["validate", join(work, "plugin.wasm"), join(work, "bad.yaml")]);
    expect(result.status).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(new RegExp(`^as-proxy: ${join(work, "bad.yaml")}:\\d+:\\d+: not valid YAML/JSON`))]);
  });

  test("an invalid manifest: first problem on the line, every problem after it, exit 1", async () => {
    const result = await runCli(["manifest", "check", join(work, "invalid.yaml")]);
    expect(result.status).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^as-proxy: invalid manifest: .*invalid.yaml#0: WasmPlugin default\/x: spec.phase: must be one of: .* \(and 1 more\)$/)]);
    const json = await runCli(["--json", "manifest", "check", join(work, "invalid.yaml")]);
    expect(json.status).toBe(1);
    const reports = JSON.parse(json.stdout.split("\n")[0]!) as { valid: boolean; reports: Array<{ errors: unknown[] }> };
    expect(reports.valid).toBe(false);
    expect(reports.reports[0]!.errors).toHaveLength(2);
  });

  test("--json errors are machine-readable on stdout", async () => {
    const result = await runCli(["--json", "package", "no-such-filter"]);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: expect.stringContaining('unknown filter "no-such-filter"') });
  });

  test("no CRDs: the error says how to provide them", async () => {
    const result = await runCli(["manifest", "check", join(work, "invalid.yaml"), "--crd-dir", join(work, "nowhere")]);
    expect(result.status).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringContaining("no CRD schemas found")]);
  });
});

describe("docs/DEPLOY.md", () => {
  test("its CEL rule table is what `as-proxy manifest rules` prints", async () => {
    const result = await runCli(["manifest", "rules", "--crd-dir", crdDir]);
    expect(result.status).toBe(0);
    const doc = readFileSync(join(repoRoot, "docs", "DEPLOY.md"), "utf8");
    const block = /<!-- cel-rules:begin -->\n([\s\S]*)\n<!-- cel-rules:end -->/.exec(doc)?.[1];
    expect(block).toBe(result.stdout.trimEnd());
    expect(result.stdout).not.toContain("**no**");
  });
});
