/**
 * Checking an {@link Outcome} against a scenario step's {@link Expectation}. Every field of the expectation is
 * optional; each present one is checked, and every mismatch is reported (not only the first) with the field path,
 * what was expected and what the runner observed, so one failing scenario explains itself.
 */
import type { Expectation, LoadOutcome, Outcome } from "./types";

export interface Mismatch {
  /** e.g. `status`, `headers["x-a"]`, `upstream.headers["x-b"]`, `logs[2]`, `metrics["hits"]`. */
  field: string;
  expected: unknown;
  actual: unknown;
}

const key = (k: string): string => `[${JSON.stringify(k)}]`;

function checkHeaders(prefix: string, expected: Record<string, string | null>, actual: Record<string, string[]>, out: Mismatch[]): void {
  for (const [name, value] of Object.entries(expected)) {
    const got = actual[name.toLowerCase()];
    if (value === null) {
      if (got !== undefined) out.push({ field: `${prefix}${key(name)}`, expected: "absent", actual: got });
    } else if (got === undefined || got[0] !== value) {
      out.push({ field: `${prefix}${key(name)}`, expected: value, actual: got ?? "absent" });
    }
  }
}

/** Every way `outcome` fails `expectation` (empty = it matches). */
export function checkExpectation(expectation: Expectation, outcome: Outcome): Mismatch[] {
  const out: Mismatch[] = [];
  const e = expectation;
  if (e.status !== undefined && outcome.status !== e.status) out.push({ field: "status", expected: e.status, actual: outcome.status });
  if (e.headers) checkHeaders("headers", e.headers, outcome.headers, out);
  if (e.body !== undefined) {
    if (typeof e.body === "string") {
      if (outcome.body !== e.body) out.push({ field: "body", expected: e.body, actual: outcome.body });
    } else if (!outcome.body.includes(e.body.contains)) {
      out.push({ field: "body", expected: { contains: e.body.contains }, actual: outcome.body });
    }
  }
  if (e.upstream === false) {
    if (outcome.upstream !== null) out.push({ field: "upstream", expected: "not reached", actual: `${outcome.upstream.method} ${outcome.upstream.path}` });
  } else if (e.upstream) {
    const up = outcome.upstream;
    if (up === null) out.push({ field: "upstream", expected: "reached", actual: "not reached" });
    else {
      if (e.upstream.method !== undefined && up.method !== e.upstream.method) out.push({ field: "upstream.method", expected: e.upstream.method, actual: up.method });
      if (e.upstream.path !== undefined && up.path !== e.upstream.path) out.push({ field: "upstream.path", expected: e.upstream.path, actual: up.path });
      if (e.upstream.body !== undefined && up.body !== e.upstream.body) out.push({ field: "upstream.body", expected: e.upstream.body, actual: up.body });
      if (e.upstream.headers) checkHeaders("upstream.headers", e.upstream.headers, up.headers, out);
    }
  }
  if (e.responseCodeDetails !== undefined && outcome.responseCodeDetails !== e.responseCodeDetails) {
    out.push({ field: "responseCodeDetails", expected: e.responseCodeDetails, actual: outcome.responseCodeDetails });
  }
  for (const [k, v] of Object.entries(e.filterState ?? {})) {
    const got = outcome.filterState[k] ?? null;
    if (got !== v) out.push({ field: `filterState${key(k)}`, expected: v, actual: got });
  }
  (e.logs ?? []).forEach((want, i) => {
    const hit = outcome.logs.some(
      (l) =>
        (want.level === undefined || l.level === want.level) &&
        (want.equals === undefined || l.message === want.equals) &&
        (want.contains === undefined || l.message.includes(want.contains)),
    );
    if (want.absent ? hit : !hit) {
      out.push({
        field: `logs[${i}]`,
        expected: `${want.absent ? "no " : ""}${want.level ?? "any-level"} line ${want.equals !== undefined ? `equal to ${JSON.stringify(want.equals)}` : `containing ${JSON.stringify(want.contains ?? "")}`}`,
        actual: outcome.logs.map((l) => `[${l.level}] ${l.message}`),
      });
    }
  });
  for (const [name, value] of Object.entries(e.metrics ?? {})) {
    const got = outcome.metrics[name];
    if (got !== value) out.push({ field: `metrics${key(name)}`, expected: value, actual: got ?? "absent" });
  }
  (e.callouts ?? []).forEach((want, i) => {
    const hit = outcome.callouts.some(
      (c) =>
        c.cluster === want.cluster &&
        (want.method === undefined || c.method === want.method) &&
        (want.path === undefined || c.path === want.path) &&
        (want.bodyContains === undefined || c.body.includes(want.bodyContains)),
    );
    if (!hit) out.push({ field: `callouts[${i}]`, expected: want, actual: outcome.callouts });
  });
  return out;
}

/** A readable report: one line per mismatch, values as JSON. */
export function formatMismatches(where: string, mismatches: readonly Mismatch[]): string {
  const lines = mismatches.map((m) => `  ${m.field}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.actual)}`);
  return `${where}: ${mismatches.length} mismatch${mismatches.length === 1 ? "" : "es"}\n${lines.join("\n")}`;
}

/** Throws with the readable report when `outcome` does not meet `expectation`. */
export function assertExpectation(where: string, expectation: Expectation, outcome: Outcome): void {
  const mismatches = checkExpectation(expectation, outcome);
  if (mismatches.length > 0) throw new Error(formatMismatches(where, mismatches));
}

/** Checks the load outcome of a scenario: rejected exactly when `expectRejected`. */
export function checkLoad(expectRejected: boolean, load: LoadOutcome): Mismatch[] {
  return load.rejected === expectRejected ? [] : [{ field: "load.rejected", expected: expectRejected, actual: load.rejected }];
}
