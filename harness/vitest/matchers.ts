/**
 * Vitest matchers for harness results, registered by `harness/vitest/setup.ts` (imported by `test/setup.ts`).
 * Types: `harness/vitest/vitest.d.ts`.
 *
 * They read an `HttpResult` (from `host.http()` / `stream.result()`), its `upstream`, or a `Host`:
 *
 * ```ts
 * expect(res).toHaveStatus(403);
 * expect(res).toHaveSentLocalResponse(403, { details: "rbac_access_denied" });
 * expect(res).toHaveHeader("x-hello", "world");
 * expect(res.upstream).toHaveHeader("x-user", /^alice/);
 * expect(res).toHaveReachedUpstream({ path: "/api" });
 * expect(host).toHaveLogged("info", /hello/);
 * expect(host).toHaveCounter("requests_total", 3);
 * expect(res).toHaveCalledOut("authz", { path: "/check" });
 * expect(res).toHaveFilterState("wasm.user", "alice");
 * expect(host).toHaveTrapped(/unreachable/);
 * ```
 */
import type { Host } from "../host";
import type { HttpResult } from "../http/stream";
import type { LogRecord } from "../state/logs";
import type { LogLevelName } from "../scenario/types";

interface MatcherContext {
  isNot: boolean;
  equals(a: unknown, b: unknown): boolean;
  utils: {
    printReceived(v: unknown): string;
    printExpected(v: unknown): string;
    matcherHint(name: string, received?: string, expected?: string, options?: object): string;
  };
}

type Result = { pass: boolean; message: () => string; actual?: unknown; expected?: unknown };

const LEVELS: readonly LogLevelName[] = ["trace", "debug", "info", "warn", "error", "critical"];

function isHost(v: unknown): v is Host {
  return typeof v === "object" && v !== null && "proxy" in v && typeof (v as Host).logs === "function";
}

function isResult(v: unknown): v is HttpResult {
  return typeof v === "object" && v !== null && "status" in v && "responseCodeDetails" in v && "logs" in v;
}

function matches(value: string, expected: string | RegExp): boolean {
  return typeof expected === "string" ? value === expected : expected.test(value);
}

function describeValue(expected: string | RegExp): string {
  return typeof expected === "string" ? JSON.stringify(expected) : String(expected);
}

function requireResult(name: string, received: unknown): HttpResult {
  if (!isResult(received)) throw new TypeError(`${name}: expected the result of host.http() or stream.result(), got ${typeof received}`);
  return received;
}

function logsOf(name: string, received: unknown): LogRecord[] {
  if (isHost(received)) return received.logs();
  if (isResult(received)) return received.logs;
  throw new TypeError(`${name}: expected a Host or the result of host.http()`);
}

function metricOf(received: unknown, name: string, type: "counter" | "gauge"): number | undefined {
  if (isHost(received)) return type === "counter" ? received.counter(name) : received.gauge(name);
  if (isResult(received)) return received.metrics[name];
  throw new TypeError(`toHave${type === "counter" ? "Counter" : "Gauge"}: expected a Host or the result of host.http()`);
}

export const harnessMatchers = {
  /** The status the client received. */
  toHaveStatus(this: MatcherContext, received: unknown, status: number): Result {
    const res = requireResult("toHaveStatus", received);
    return {
      pass: res.status === status,
      message: () =>
        `expected status ${this.isNot ? "not " : ""}${status}, got ${res.status}` +
        (res.responseCodeDetails ? ` (details ${res.responseCodeDetails})` : ""),
      actual: res.status,
      expected: status,
    };
  },

  /**
   * A header the client received (on a result) or the upstream received (on `res.upstream`): present, or with a
   * first value equal to (or matching) `value`.
   */
  toHaveHeader(this: MatcherContext, received: unknown, name: string, value?: string | RegExp): Result {
    if (typeof received !== "object" || received === null || !Array.isArray((received as { headers?: unknown }).headers)) {
      throw new TypeError("toHaveHeader: expected an http() result or its `upstream` (something with `headers`)");
    }
    const headers = (received as { headers: Array<[string, string]> }).headers;
    const key = name.toLowerCase();
    const values = headers.filter(([k]) => k === key).map(([, v]) => v);
    const pass = value === undefined ? values.length > 0 : values.length > 0 && matches(values[0]!, value);
    return {
      pass,
      message: () =>
        `expected ${this.isNot ? "no " : ""}header ${key}${value === undefined ? "" : ` = ${describeValue(value)}`}; ` +
        (values.length ? `got ${values.map((v) => JSON.stringify(v)).join(", ")}` : "it is absent") +
        `\nheaders: ${this.utils.printReceived(headers)}`,
    };
  },

  /** The response was a local reply (from a plugin, Envoy or a native filter), optionally with this status/details/body. */
  toHaveSentLocalResponse(
    this: MatcherContext,
    received: unknown,
    status?: number,
    expected: { details?: string | RegExp; body?: string | RegExp } = {},
  ): Result {
    const res = requireResult("toHaveSentLocalResponse", received);
    const lr = res.localReply;
    const problems: string[] = [];
    if (!lr) problems.push("the response came from the upstream (or the stream was reset)");
    else {
      if (status !== undefined && lr.status !== status) problems.push(`status ${lr.status}, expected ${status}`);
      if (expected.details !== undefined && !matches(lr.details, expected.details)) {
        problems.push(`details ${JSON.stringify(lr.details)}, expected ${describeValue(expected.details)}`);
      }
      if (expected.body !== undefined && !matches(lr.body, expected.body)) {
        problems.push(`body ${JSON.stringify(lr.body)}, expected ${describeValue(expected.body)}`);
      }
    }
    return {
      pass: problems.length === 0,
      message: () =>
        this.isNot
          ? `expected no local reply${status === undefined ? "" : ` ${status}`}, but one was sent: ${this.utils.printReceived(lr)}`
          : `expected a local reply: ${problems.join("; ")}`,
    };
  },

  /** The request reached the upstream, optionally with this method/path/body and these headers. */
  toHaveReachedUpstream(
    this: MatcherContext,
    received: unknown,
    expected: { method?: string; path?: string | RegExp; body?: string | RegExp; headers?: Record<string, string | null> } = {},
  ): Result {
    const res = requireResult("toHaveReachedUpstream", received);
    const up = res.upstream;
    const problems: string[] = [];
    if (!up) problems.push(`it did not (status ${res.status}, details ${res.responseCodeDetails})`);
    else {
      if (expected.method !== undefined && up.method !== expected.method) problems.push(`method ${up.method}`);
      if (expected.path !== undefined && !matches(up.path, expected.path)) problems.push(`path ${up.path}`);
      if (expected.body !== undefined && !matches(up.body, expected.body)) problems.push(`body ${JSON.stringify(up.body)}`);
      for (const [k, v] of Object.entries(expected.headers ?? {})) {
        const got = up.headers.find(([name]) => name === k.toLowerCase())?.[1];
        if (v === null ? got !== undefined : got !== v) problems.push(`header ${k} = ${JSON.stringify(got ?? null)}, expected ${JSON.stringify(v)}`);
      }
    }
    return {
      pass: problems.length === 0,
      message: () =>
        this.isNot ? `expected the request not to reach the upstream, but it did: ${this.utils.printReceived(up)}` : `expected the request to reach the upstream: ${problems.join("; ")}`,
    };
  },

  /** A log line at `level` (or any level) whose message equals/matches `message`. */
  toHaveLogged(this: MatcherContext, received: unknown, levelOrMessage: LogLevelName | string | RegExp, message?: string | RegExp): Result {
    const logs = logsOf("toHaveLogged", received);
    const hasLevel = typeof levelOrMessage === "string" && (LEVELS as readonly string[]).includes(levelOrMessage) && message !== undefined;
    const level = hasLevel ? (levelOrMessage as LogLevelName) : undefined;
    const pattern = hasLevel ? message! : levelOrMessage;
    const pass = logs.some((l) => (level === undefined || l.level === level) && matches(l.message, pattern));
    return {
      pass,
      message: () =>
        `expected ${this.isNot ? "no " : ""}${level ?? "any-level"} log line ${describeValue(pattern)}; lines:\n` +
        (logs.map((l) => `  [${l.level}] ${l.message}`).join("\n") || "  (none)"),
    };
  },

  /** A counter (name without `wasmcustom.`) exists, optionally with this value. */
  toHaveCounter(this: MatcherContext, received: unknown, name: string, value?: number): Result {
    const got = metricOf(received, name, "counter");
    return {
      pass: got !== undefined && (value === undefined || got === value),
      message: () => `expected counter ${name}${value === undefined ? "" : ` = ${value}`}, got ${got === undefined ? "no such counter" : got}`,
      actual: got,
      expected: value,
    };
  },

  toHaveGauge(this: MatcherContext, received: unknown, name: string, value?: number): Result {
    const got = metricOf(received, name, "gauge");
    return {
      pass: got !== undefined && (value === undefined || got === value),
      message: () => `expected gauge ${name}${value === undefined ? "" : ` = ${value}`}, got ${got === undefined ? "no such gauge" : got}`,
      actual: got,
      expected: value,
    };
  },

  /** An HTTP callout to `cluster` reached it (during this request, or ever on a Host). */
  toHaveCalledOut(this: MatcherContext, received: unknown, cluster: string, expected: { method?: string; path?: string | RegExp } = {}): Result {
    const callouts = isHost(received) ? received.callouts : requireResult("toHaveCalledOut", received).callouts;
    const pass = callouts.some(
      (c) => c.cluster === cluster && (expected.method === undefined || c.method === expected.method) && (expected.path === undefined || matches(c.path, expected.path)),
    );
    return {
      pass,
      message: () =>
        `expected ${this.isNot ? "no " : ""}callout to ${cluster}${expected.path ? ` ${describeValue(expected.path)}` : ""}; callouts: ` +
        this.utils.printReceived(callouts.map((c) => `${c.cluster} ${c.method} ${c.path}`)),
    };
  },

  /** Filter state after the request: `key` is set (to `value`), or with `null` absent. */
  toHaveFilterState(this: MatcherContext, received: unknown, key: string, value?: string | null): Result {
    const fs = requireResult("toHaveFilterState", received).filterState;
    const got = Object.prototype.hasOwnProperty.call(fs, key) ? fs[key] : undefined;
    const pass = value === null ? got === undefined : got !== undefined && (value === undefined || got === value);
    return {
      pass,
      message: () => `expected filter state ${key}${value === undefined ? "" : ` = ${JSON.stringify(value)}`}, got ${got === undefined ? "unset" : JSON.stringify(got)}`,
    };
  },

  /** A VM trapped (its Envoy message matches `message`). */
  toHaveTrapped(this: MatcherContext, received: unknown, message?: string | RegExp): Result {
    if (!isHost(received)) throw new TypeError("toHaveTrapped: expected a Host");
    const traps = received.traps();
    const pass = traps.some((t) => message === undefined || (typeof message === "string" ? t.message.includes(message) : message.test(t.message)));
    return {
      pass,
      message: () => `expected ${this.isNot ? "no " : "a "}trap${message ? ` matching ${describeValue(message)}` : ""}; traps: ${this.utils.printReceived(traps.map((t) => t.message))}`,
    };
  },
};

export type HarnessMatcherName = keyof typeof harnessMatchers;
