/**
 * `as-proxy`: from "I wrote a filter" to "it runs in my mesh".
 *
 *   as-proxy build [filter…]                      compile release + debug modules (size, sha256)
 *   as-proxy validate <filter> <config>           the filter's own configuration check, in Node
 *   as-proxy run <filter> --config <file>         real Envoy on localhost in front of an echo server
 *   as-proxy package <filter>                     reproducible OCI image (digest; --output = OCI layout dir)
 *   as-proxy push <filter> <ref>                  push through the OCI distribution API, print the digest
 *   as-proxy verify <ref>                         pull back and apply Istio/Envoy Gateway's fetch rules
 *   as-proxy manifest istio|envoy-gateway <filter> --image <ref>   WasmPlugin / EnvoyExtensionPolicy + HTTPRoute
 *   as-proxy manifest check <file…>               validate manifests against the CRD schemas (+ CEL rules)
 *   as-proxy manifest rules                       the CRDs' CEL rules and which are checked
 *
 * Every command takes `--json` (machine-readable result on stdout) and `--quiet` (no progress on stderr).
 * Errors: one line on stderr (`as-proxy: …`), exit code 1; usage errors exit 2.
 */
import { Command, CommanderError, Option } from "commander";
import { CliError, ExitCode } from "./lib/errors.js";
import { createOutput, type Output } from "./lib/output.js";

interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function outputOf(command: Command): Output {
  return createOutput(command.optsWithGlobals<GlobalOptions>());
}

export function buildProgram(): Command {
  const program = new Command("as-proxy")
    .description("Build, check, run, package and deploy AssemblyScript proxy-wasm filters (Envoy, Istio, Envoy Gateway).")
    .option("--json", "print the result as JSON on stdout")
    .option("-q, --quiet", "no progress lines on stderr")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();

  program
    .command("build")
    .description("compile filters/<name>/index.ts to build/<name>.wasm (release) and build/<name>.debug.wasm; print size and sha256")
    .argument("[filter...]", "filters to build (default: all)")
    .action(async (filters: string[], _o, cmd: Command) => {
      const { buildCommand } = await import("./commands/build.js");
      await buildCommand(filters, outputOf(cmd));
    });

  program
    .command("validate")
    .description("check a plugin configuration with the filter's JSON Schema and its own on_configure (module loaded in the harness)")
    .argument("<filter>", "filter name (or path to a .wasm module)")
    .argument("<config>", "configuration file (YAML or JSON), as you would put it in pluginConfig")
    .option("--root-id <id>", "root_id to start the plugin with (Istio pluginName, EG rootID)")
    .option("--encoding <encoding>", "how the control plane encodes the configuration: istio or envoy-gateway", "istio")
    .action(async (filter: string, config: string, options, cmd: Command) => {
      const { validateCommand } = await import("./commands/validate.js");
      await validateCommand(filter, config, options, outputOf(cmd));
    });

  program
    .command("run")
    .description("start real Envoy on 127.0.0.1 with the filter in front of an upstream; print the URL and stream the filter's logs")
    .argument("<filter>", "filter name (or path to a .wasm module)")
    .option("-c, --config <file>", "plugin configuration (YAML or JSON); delivered as Istio would")
    .option("--upstream <url>", "upstream URL (default: a built-in echo server)")
    .option("--port <port>", "listener port (default: a free port)")
    .option("--admin-port <port>", "Envoy admin port (default: a free port)")
    .option("--root-id <id>", "root_id (Istio pluginName)")
    .option("--debug", "load build/<filter>.debug.wasm")
    .option("--log-level <level>", "wasm log level: trace, debug, info, warn, error", "debug")
    .action(async (filter: string, options, cmd: Command) => {
      const { runCommand } = await import("./commands/run.js");
      await runCommand(filter, options, outputOf(cmd));
    });

  const layoutOption = () =>
    new Option("--layout <layout>", "image layout: compat (tar+gzip layer with plugin.wasm) or solo (two-layer Wasm variant)").default("compat");

  program
    .command("package")
    .description("build a byte-reproducible OCI image of the module and print its digest (same module → same digest)")
    .argument("<filter>", "filter name (or path to a .wasm module)")
    .addOption(layoutOption())
    .option("-o, --output <dir>", "also write an OCI image layout directory (for skopeo copy oci:<dir>:<tag> …)")
    .option("-t, --tag <tag>", "tag inside the layout directory", "latest")
    .option("--root-id <id>", "root id recorded in the solo runtime config (repeatable)", collect)
    .action(async (filter: string, options, cmd: Command) => {
      const { packageCommand } = await import("./commands/image.js");
      await packageCommand(filter, options, outputOf(cmd));
    });

  program
    .command("push")
    .description("push the image through the OCI distribution API and print the manifest digest")
    .argument("<filter>", "filter name (or path to a .wasm module)")
    .argument("<ref>", "image reference, e.g. 127.0.0.1:5000/filters/abac:1.0.0 (oci:// optional)")
    .addOption(layoutOption())
    .option("--plain-http", "use HTTP instead of HTTPS (automatic for localhost/127.0.0.1)")
    .option("--user <user:password>", "registry credentials (or AS_PROXY_REGISTRY_USER)")
    .option("--root-id <id>", "root id recorded in the solo runtime config (repeatable)", collect)
    .action(async (filter: string, ref: string, options, cmd: Command) => {
      const { pushCommand } = await import("./commands/image.js");
      await pushCommand(filter, ref, options, outputOf(cmd));
    });

  program
    .command("verify")
    .description("pull an image back and apply the fetch rules of Istio and Envoy Gateway (layout, plugin.wasm, wasm magic, digest)")
    .argument("<ref>", "image reference (tag or @sha256: digest)")
    .option("--sha256 <hex>", "expected manifest digest (as in WasmPlugin spec.sha256)")
    .option("--plain-http", "use HTTP instead of HTTPS (automatic for localhost/127.0.0.1)")
    .option("--user <user:password>", "registry credentials (or AS_PROXY_REGISTRY_USER)")
    .action(async (ref: string, options, cmd: Command) => {
      const { verifyCommand } = await import("./commands/image.js");
      await verifyCommand(ref, options, outputOf(cmd));
    });

  const manifest = program.command("manifest").description("generate deployment manifests pinned to the image digest, or check manifests");
  const common = (command: Command) =>
    command
      .argument("<filter>", "filter name (or path to a .wasm module): its config is validated and its image digest computed")
      .requiredOption("--image <ref>", "image reference the cluster pulls, e.g. registry.example.com/filters/abac:1.0.0")
      .option("--name <name>", "resource name (default: the filter name)")
      .option("-n, --namespace <ns>", "namespace", "default")
      .option("-c, --config <file>", "plugin configuration (YAML or JSON)")
      .option("--sha256 <hex>", "manifest digest to pin (default: digest of the local image, reproducible)")
      .option("--resolve", "ask the registry for the tag's digest and require it to match")
      .addOption(layoutOption())
      .option("--plain-http", "with --resolve: use HTTP")
      .option("--pull-policy <policy>", "IfNotPresent or Always")
      .option("--pull-secret <name>", "image pull secret name")
      .option("-o, --output <file>", "write the YAML to a file")
      .option("--crd-dir <dir>", "CRD YAML files to validate against (default: $AS_PROXY_CRD_DIR, crds/, ../shared/crds)");

  common(manifest.command("istio").description("an Istio WasmPlugin (extensions.istio.io/v1alpha1)"))
    .option("--plugin-name <id>", "pluginName = Envoy root_id")
    .option("--phase <phase>", "AUTHN, AUTHZ or STATS")
    .option("--priority <n>", "order within the phase (higher first)")
    .option("--fail-strategy <s>", "FAIL_CLOSE (default), FAIL_OPEN or FAIL_RELOAD")
    .option("--match-mode <mode>", "CLIENT, SERVER or CLIENT_AND_SERVER")
    .option("--match-port <port>", "restrict to a port (repeatable)", collect)
    .option("--selector <key=value>", "workload label for sidecars/gateways (repeatable)", collect)
    .option("--target-ref <Kind/name>", "Gateway/<name>, Service/<name> (waypoints), GatewayClass/…, ServiceEntry/… (repeatable)", collect)
    .option("--type <type>", "HTTP or NETWORK")
    .option("--env <NAME=value>", "VM environment variable (repeatable)", collect)
    .option("--host-env <NAME>", "VM environment variable read from the proxy (repeatable)", collect)
    .action(async (filter: string, options, cmd: Command) => {
      const { istioManifestCommand } = await import("./commands/manifest.js");
      await istioManifestCommand(filter, options, outputOf(cmd));
    });

  common(manifest.command("envoy-gateway").description("an Envoy Gateway EnvoyExtensionPolicy (+ the HTTPRoute it targets)"))
    .option("--root-id <id>", "rootID = Envoy root_id")
    .option("--wasm-name <name>", "Envoy PluginConfig.name (default: EG's generated name)")
    .option("--fail-open", "bypass the plugin when it fails (default: fail closed)")
    .option("--host-env <NAME>", "environment variable passed from Envoy's host (repeatable)", collect)
    .option("--gateway <name>", "generate an HTTPRoute attached to this Gateway")
    .option("--gateway-namespace <ns>", "namespace of that Gateway")
    .option("--route <name>", "HTTPRoute name (default: the resource name)")
    .option("--hostname <host>", "HTTPRoute hostname (repeatable)", collect)
    .option("--path-prefix <prefix>", "HTTPRoute path prefix", "/")
    .option("--backend <service:port>", "HTTPRoute backend Service")
    .option("--target-ref <Kind/name>", "target existing resources instead (Gateway/eg, HTTPRoute/backend; repeatable)", collect)
    .action(async (filter: string, options, cmd: Command) => {
      const { envoyGatewayManifestCommand } = await import("./commands/manifest.js");
      await envoyGatewayManifestCommand(filter, options, outputOf(cmd));
    });

  manifest
    .command("check")
    .description("validate manifests (multi-document YAML) against the CRD schemas and their CEL rules")
    .argument("<file...>", "YAML files")
    .option("--crd-dir <dir>", "CRD YAML files (default: $AS_PROXY_CRD_DIR, crds/, ../shared/crds)")
    .action(async (files: string[], options, cmd: Command) => {
      const { checkManifestsCommand } = await import("./commands/manifest.js");
      await checkManifestsCommand(files, options, outputOf(cmd));
    });

  manifest
    .command("rules")
    .description("list the CEL x-kubernetes-validations rules of the CRDs and whether `manifest check` implements each")
    .option("--crd-dir <dir>", "CRD YAML files (default: $AS_PROXY_CRD_DIR, crds/, ../shared/crds)")
    .action(async (options, cmd: Command) => {
      const { listRulesCommand } = await import("./commands/manifest.js");
      listRulesCommand(options, outputOf(cmd));
    });

  // Subcommands inherit exitOverride and the help-after-error setting.
  for (const command of [...program.commands, ...manifest.commands]) command.exitOverride().showHelpAfterError("(add --help for usage)");
  return program;
}

/** Runs the CLI; returns the exit code (never calls process.exit itself, so tests can call it in-process). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes("--json");
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help / --version print and "fail" with exitCode 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : ExitCode.Usage;
    }
    if (error instanceof CliError) {
      if (json) process.stdout.write(`${JSON.stringify({ error: error.message, details: error.details, ...error.data })}\n`);
      process.stderr.write(`as-proxy: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`as-proxy: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    return ExitCode.Failure;
  }
}
