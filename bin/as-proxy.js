#!/usr/bin/env node
// The `as-proxy` command: registers tsx (the CLI is TypeScript, run from source) and hands over to cli/main.ts.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
