/**
 * Types of the harness's vitest matchers (`harness/vitest/matchers.ts`), added to vitest's `Matchers` so
 * `expect(res).toHaveHeader(…)` type-checks in every test. (Named `vitest.d.ts`, not `matchers.d.ts`: TypeScript
 * ignores a `.d.ts` that has a `.ts` of the same name next to it.)
 */
import "vitest";
import type { LogLevelName } from "../scenario/types";

interface HarnessMatchers<R = unknown> {
  /** The status the client received (0 = reset before any response). */
  toHaveStatus(status: number): R;
  /** A response header (or, on `res.upstream`, a request header the upstream got), optionally with this first value. */
  toHaveHeader(name: string, value?: string | RegExp): R;
  /** The response was a local reply, optionally with this status, details and body. */
  toHaveSentLocalResponse(status?: number, expected?: { details?: string | RegExp; body?: string | RegExp }): R;
  /** The request reached the upstream, optionally with this method, path, body and headers (null = absent). */
  toHaveReachedUpstream(expected?: {
    method?: string;
    path?: string | RegExp;
    body?: string | RegExp;
    headers?: Record<string, string | null>;
  }): R;
  /** A captured log line at `level` matching `message`, or any line matching the first argument. */
  toHaveLogged(level: LogLevelName, message: string | RegExp): R;
  toHaveLogged(message: string | RegExp): R;
  /** A counter (name without `wasmcustom.`), optionally with this value. */
  toHaveCounter(name: string, value?: number): R;
  toHaveGauge(name: string, value?: number): R;
  /** An HTTP callout reached `cluster`, optionally with this method and path. */
  toHaveCalledOut(cluster: string, expected?: { method?: string; path?: string | RegExp }): R;
  /** Filter state `key` is set (to `value`); `null` = must be unset. */
  toHaveFilterState(key: string, value?: string | null): R;
  /** A VM trapped; the Envoy message contains/matches `message`. */
  toHaveTrapped(message?: string | RegExp): R;
}

declare module "vitest" {
  // biome-ignore lint: `T` must match vitest's declaration.
  interface Matchers<T = any> extends HarnessMatchers<T> {}
}
