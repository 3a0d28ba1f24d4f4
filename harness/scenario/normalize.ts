/**
 * Normalization of an {@link Outcome}, shared by both runners (harness and Envoy) before outcomes are compared
 * with an expectation or with each other. It removes only what differs between two correct runs — never
 * behaviour:
 *
 * - response and upstream headers that carry times or random ids: `date`, `x-request-id`,
 *   `x-envoy-upstream-service-time`;
 * - hop-by-hop framing the client library or codec chooses: `connection`, `keep-alive`, `transfer-encoding`.
 *
 * Everything else (status, bodies, header order within a name, `server: envoy`, `content-length`, logs, metrics,
 * callouts, details) is kept as captured.
 */
import type { Outcome } from "./types";

/** Header names removed from the response and from what reached the upstream. */
export const VOLATILE_HEADERS: readonly string[] = [
  "date",
  "x-request-id",
  "x-envoy-upstream-service-time",
  "connection",
  "keep-alive",
  "transfer-encoding",
];

const VOLATILE = new Set(VOLATILE_HEADERS);

function strip(headers: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (!VOLATILE.has(k)) out[k] = v;
  return out;
}

export function normalizeOutcome(outcome: Outcome): Outcome {
  return {
    ...outcome,
    headers: strip(outcome.headers),
    upstream: outcome.upstream === null ? null : { ...outcome.upstream, headers: strip(outcome.upstream.headers) },
  };
}

/** Groups a header list into the outcome's `name → values` form (names lower-cased, values in order). */
export function groupHeaders(headers: ReadonlyArray<readonly [string, string]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of headers) (out[k.toLowerCase()] ??= []).push(v);
  return out;
}
