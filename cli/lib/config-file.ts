/** Reads a plugin configuration file: YAML or JSON (JSON is YAML), one document. */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { CliError } from "./errors.js";

export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const at = first.linePos?.[0];
    throw new CliError(`${file}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML/JSON: ${first.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}
