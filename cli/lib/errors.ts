/**
 * Errors the CLI reports to the user. Every failure the user can cause or fix (a missing filter, a bad
 * configuration, an unreachable registry, a digest mismatch, an invalid manifest) is a {@link CliError}: `main.ts`
 * prints its message as one line on stderr (or as `{"error": …}` with `--json`) and exits with its code.
 * Anything else is a bug and is printed with its stack.
 */

/** Exit codes. 1 = the input or the environment is wrong; 2 = command-line usage (commander's own code). */
export const enum ExitCode {
  Failure = 1,
  Usage = 2,
}

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Failure,
    /** Extra lines (e.g. every CRD violation) shown after the one-line message, and in `--json` output. */
    readonly details: string[] = [],
    /** Extra fields of the `--json` error document (e.g. the validation reports). */
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The message of an unknown thrown value, for wrapping low-level errors into one readable line. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    // undici's fetch() hides the socket error in `cause` ("fetch failed" alone says nothing).
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause instanceof Error && error.message === "fetch failed") return cause.message;
    return error.message;
  }
  return String(error);
}
