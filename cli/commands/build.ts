/** `as-proxy build [filter…]`: release and debug modules of each filter, with size and sha256. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { CliError } from "../lib/errors.js";
import { sha256Hex } from "../lib/oci/image.js";
import type { Output } from "../lib/output.js";
import { listFilters, modulePath, requireFilter } from "../lib/project.js";
import { buildFilters } from "../lib/build-filters.js";

export async function buildCommand(filters: string[], out: Output): Promise<void> {
  const names = filters.length > 0 ? filters.map((f) => requireFilter(f)) : listFilters();
  if (names.length === 0) throw new CliError("no filters to build (filters/<name>/index.ts)");
  await buildFilters(names, (message) => out.progress(message));
  const modules = names.flatMap((name) =>
    (["release", "debug"] as const).map((variant) => {
      const file = modulePath(name, variant);
      if (!existsSync(file)) throw new CliError(`build of ${name} produced no ${file}`);
      const bytes = readFileSync(file);
      return { filter: name, variant, file, size: statSync(file).size, sha256: sha256Hex(bytes) };
    }),
  );
  out.result(
    { modules },
    modules.map((m) => `${m.filter.padEnd(14)} ${m.variant.padEnd(8)} ${String(m.size).padStart(8)} B  sha256 ${m.sha256}  ${m.file}`).join("\n"),
  );
}
