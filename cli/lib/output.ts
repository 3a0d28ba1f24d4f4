/**
 * Output conventions of every command: results go to stdout (human text, or one JSON document with `--json`);
 * progress on long steps goes to stderr, so `as-proxy push … --json | jq` stays clean.
 */

export interface Output {
  json: boolean;
  /** A progress line on stderr (suppressed by `--quiet`). */
  progress(message: string): void;
  /** The command's result: `human` printed as text, or `data` as JSON. */
  result(data: unknown, human: string): void;
  warn(message: string): void;
}

export function createOutput(options: { json?: boolean; quiet?: boolean }): Output {
  const json = options.json === true;
  return {
    json,
    progress(message) {
      if (!options.quiet) process.stderr.write(`${message}\n`);
    },
    result(data, human) {
      process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : human.endsWith("\n") ? human : `${human}\n`);
    },
    warn(message) {
      process.stderr.write(`warning: ${message}\n`);
    },
  };
}
