// The recorder's pure helpers through @assemblyscript/loader: value escaping and length caps (log/JSON
// injection: authz-and-metadata.md §C.5, §D item 22), route templates (bounded http.route / metric tags,
// §D item 24), redaction of sensitive query parameters (OTel url.query scrubbing) and the export queue's
// batching, overflow and backoff rules.
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { instantiateSync } from "@assemblyscript/loader";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

type Ptr = number;
interface Units extends Record<string, unknown> {
  escape(v: Ptr): Ptr;
  cap(v: Ptr, max: number): Ptr;
  safe(v: Ptr, max: number): Ptr;
  routeMatch(templates: Ptr, path: Ptr): Ptr;
  redactQuery(q: Ptr, hash: number, key: Ptr, extra: Ptr): Ptr;
  redactValue(v: Ptr, hash: number, key: Ptr): Ptr;
  isSensitiveQuery(name: Ptr): number;
  queryParameter(q: Ptr, name: Ptr): Ptr;
  percentDecode(v: Ptr): Ptr;
  seconds(nanos: bigint): Ptr;
  method(name: Ptr): Ptr;
  queueCreate(batch: number, buffer: number, dropOldest: number, maxRetries: number, initialMs: number, maxMs: number, intervalMs: number): void;
  queueEnqueue(record: Ptr): number;
  queueShouldSend(now: bigint, tick: number): number;
  queueStartSend(now: bigint): Ptr;
  queueSucceeded(): number;
  queueFailed(now: bigint, status: number): number;
  queueLastDropped(): number;
  queueBuffered(): number;
  queueRetryAt(): bigint;
  queueBackoff(attempt: number): number;
  __newString(s: string): Ptr;
  __getString(p: Ptr): string;
  __pin(p: Ptr): Ptr;
  __unpin(p: Ptr): void;
}

const modulePath = fileURLToPath(new URL("../../../build/loader/l7-units.wasm", import.meta.url));
const wasm = instantiateSync<Units>(readFileSync(modulePath), {}).exports;

/** Calls `fn` with pinned AS strings for every string argument and returns the result as a JS string. */
function str(fn: (...args: Ptr[]) => Ptr, ...args: Array<string | number>): string {
  const pinned: Ptr[] = [];
  const converted = args.map((a) => {
    if (typeof a !== "string") return a;
    const p = wasm.__pin(wasm.__newString(a));
    pinned.push(p);
    return p;
  });
  try {
    return wasm.__getString(fn(...converted));
  } finally {
    for (const p of pinned) wasm.__unpin(p);
  }
}
const escape = (v: string) => str(wasm.escape, v);
const safe = (v: string, max: number) => str(wasm.safe, v, max);
const route = (templates: string[], path: string) => str(wasm.routeMatch, templates.join("\n"), path);

describe("escapeJsonContent (log and JSON injection)", () => {
  test("plain ASCII is returned unchanged", () => {
    expect(escape("Mozilla/5.0 (X11; Linux x86_64)")).toBe("Mozilla/5.0 (X11; Linux x86_64)");
  });
  test("a User-Agent cannot close its JSON string and add a field (CVE-2025-25294)", () => {
    const attack = 'curl", "admin": true, "x": "';
    const escaped = escape(attack);
    const document = JSON.parse(`{"user_agent.original":"${escaped}"}`);
    expect(Object.keys(document)).toEqual(["user_agent.original"]);
    expect(document["user_agent.original"]).toBe(attack);
  });
  test("a value cannot start a new log line (CR, LF, NEL, U+2028, U+2029)", () => {
    const escaped = escape("a\nb\rc\u0085d\u2028e\u2029f");
    expect(escaped).toBe("a\\nb\\rc\\u0085d\\u2028e\\u2029f");
    expect(escaped).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
  });
  test("NUL, DEL, C1 controls and bidi overrides are escaped", () => {
    expect(escape("\u0000\u007f\u009b\u202e\u2066\u200f")).toBe("\\u0000\\u007f\\u009b\\u202e\\u2066\\u200f");
  });
  test("backslash and quote", () => {
    expect(escape('\\"')).toBe('\\\\\\"');
  });
  test("surrogate pairs are kept, lone surrogates escaped", () => {
    expect(escape("😀")).toBe("😀");
    expect(escape("a\ud800b")).toBe("a\\ud800b");
    expect(escape("\udc00")).toBe("\\udc00");
  });
  test("property: any string round-trips through JSON.parse and leaves no raw control or separator", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (value) => {
        const escaped = escape(value);
        expect(escaped).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
        // A JSON document holding the value has exactly one key, whose value decodes back to the input.
        const parsed = JSON.parse(`{"k":"${escaped}","guard":1}`);
        expect(Object.keys(parsed)).toEqual(["k", "guard"]);
        expect(parsed.k).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("capLength / safeValue (field length caps)", () => {
  test("values at or under the cap are untouched", () => {
    expect(str(wasm.cap, "abcdef", 6)).toBe("abcdef");
  });
  test("longer values are cut and marked, the mark counting towards the cap", () => {
    expect(str(wasm.cap, "abcdefghij", 8)).toBe("abcde...");
  });
  test("the cut never splits a surrogate pair", () => {
    expect(str(wasm.cap, "abcd😀efgh", 8)).toBe("abcd...");
  });
  test("caps apply before escaping, so an escaped value is bounded by 6 × cap", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), fc.integer({ min: 8, max: 64 }), (value, max) => {
        const out = safe(value, max);
        expect(out.length).toBeLessThanOrEqual(6 * max);
        const decoded = JSON.parse(`"${out}"`) as string;
        expect(decoded.length).toBeLessThanOrEqual(max);
      }),
      { numRuns: 500 },
    );
  });
});

describe("route templates (bounded http.route)", () => {
  const routes = ["/", "/users/{id}", "/users/{id}/orders/{orderId}", "/static/{path...}", "/health"];
  test.each([
    ["/", "/"],
    ["/users/42", "/users/{id}"],
    ["/users/42?x=1#f", "/users/{id}"],
    ["/users/42/orders/7", "/users/{id}/orders/{orderId}"],
    ["/static/css/site.css", "/static/{path...}"],
    ["/health", "/health"],
  ])("%s → %s", (path, template) => {
    expect(route(routes, path)).toBe(template);
  });
  test.each([["/users/"], ["/users"], ["/users//orders/1"], ["/static"], ["/static/"], ["/Health"], ["/users/1/2"], [""], ["//"]])(
    "%s matches nothing",
    (path) => {
      expect(route(routes, path)).toBe("");
    },
  );
  test("first match wins", () => {
    expect(route(["/a/{x}", "/a/b"], "/a/b")).toBe("/a/{x}");
  });
  test.each([
    ["users/{id}", "must start with"],
    ["/a//b", "empty segments"],
    ["/a/{x...}/b", "last segment"],
    ["/a/{}", "variable names"],
    ["/a/{x-y}", "variable names"],
    ["/a/b{x}", "whole segment"],
    ["/a?b", "must not contain"],
  ])("bad template %s is an error", (template, message) => {
    expect(route([template], "/")).toContain(message);
  });
});

describe("redaction", () => {
  const drop = (q: string, extra = "") => str(wasm.redactQuery, q, 0, "", extra);
  test("token-like query parameters are redacted by default, others kept", () => {
    expect(drop("page=2&access_token=abc&api_key=k&sig=s&q=shoes")).toBe(
      "page=2&access_token=[REDACTED]&api_key=[REDACTED]&sig=[REDACTED]&q=shoes",
    );
  });
  test("names are compared after percent-decoding and case-folding", () => {
    expect(drop("%74oken=abc&PASSWORD=x")).toBe("%74oken=[REDACTED]&PASSWORD=[REDACTED]");
  });
  test("configured names are added to the defaults", () => {
    expect(drop("tenant=acme&ssn=123", "ssn")).toBe("tenant=acme&ssn=[REDACTED]");
  });
  test("parameters without '=' and empty queries are kept", () => {
    expect(drop("token&a=1")).toBe("token&a=1");
    expect(drop("")).toBe("");
  });
  test("hash mode: sha256: + 16 hex digits of SHA-256(value)", () => {
    const expected = "sha256:" + createHash("sha256").update("abc").digest("hex").slice(0, 16);
    expect(str(wasm.redactValue, "abc", 1, "")).toBe(expected);
    expect(str(wasm.redactQuery, "token=abc", 1, "", "")).toBe("token=" + expected);
  });
  test("hash mode with a key: HMAC-SHA-256(key, value)", () => {
    const expected = "sha256:" + createHmac("sha256", "k3y").update("abc").digest("hex").slice(0, 16);
    expect(str(wasm.redactValue, "abc", 1, "k3y")).toBe(expected);
  });
  test("default sensitive names", () => {
    for (const name of ["token", "id_token", "client_secret", "password", "X-Amz-Signature", "X-Amz-Credential", "sessionid", "key", "code", "jwt", "auth"]) {
      expect(wasm.isSensitiveQuery(wasm.__newString(name)), name).toBe(1);
    }
    for (const name of ["page", "q", "sort", "monkey", "id"]) {
      expect(wasm.isSensitiveQuery(wasm.__newString(name)), name).toBe(0);
    }
  });
  test("query parameter lookup decodes names and values", () => {
    expect(str(wasm.queryParameter, "a=1&b=x%20y&b=2", "b")).toBe("x y");
    expect(str(wasm.queryParameter, "a=1&flag", "flag")).toBe("");
    expect(str(wasm.queryParameter, "a=1", "b")).toBe("<absent>");
    expect(str(wasm.queryParameter, "na%6De=v+w", "name")).toBe("v w");
  });
  test("percent-decoding keeps malformed escapes and never traps on invalid UTF-8", () => {
    expect(str(wasm.percentDecode, "%zz%4")).toBe("%zz%4");
    expect(str(wasm.percentDecode, "%ff%fe")).toBe("\ufffd\ufffd");
  });
});

describe("facts helpers", () => {
  test("durations as seconds with microsecond precision", () => {
    expect(str(() => wasm.seconds(12_345_678n))).toBe("0.012345");
    expect(str(() => wasm.seconds(3_000_000_000n))).toBe("3.000000");
    expect(str(() => wasm.seconds(-5n))).toBe("0.000000");
  });
  test("unknown methods become _OTHER (OpenTelemetry), so the method tag stays bounded", () => {
    expect(str(wasm.method, "GET")).toBe("GET");
    expect(str(wasm.method, "get")).toBe("_OTHER");
    expect(str(wasm.method, "FOO")).toBe("_OTHER");
  });
});

describe("export queue", () => {
  const enqueue = (r: string) => wasm.queueEnqueue(wasm.__newString(r));
  const start = (now: number) => wasm.__getString(wasm.queueStartSend(BigInt(now)));

  test("flushes a full batch at once and a partial batch only on a tick after the interval", () => {
    wasm.queueCreate(3, 10, 1, 3, 100, 1000, 500);
    enqueue("a");
    expect(wasm.queueShouldSend(0n, 0)).toBe(0);
    expect(wasm.queueShouldSend(499n, 1)).toBe(0);
    expect(wasm.queueShouldSend(500n, 1)).toBe(1);
    enqueue("b");
    enqueue("c");
    expect(wasm.queueShouldSend(10n, 0)).toBe(1);
    expect(start(10)).toBe("a\nb\nc\n");
    expect(wasm.queueShouldSend(11n, 1)).toBe(0); // one callout at a time
    expect(wasm.queueSucceeded()).toBe(3);
    expect(wasm.queueBuffered()).toBe(0);
  });
  test("drop-oldest overwrites the oldest record when the buffer is full", () => {
    wasm.queueCreate(10, 3, 1, 3, 100, 1000, 500);
    expect([enqueue("1"), enqueue("2"), enqueue("3"), enqueue("4")]).toEqual([0, 0, 0, 1]);
    expect(start(0)).toBe("2\n3\n4\n");
  });
  test("drop-newest refuses new records when the buffer is full", () => {
    wasm.queueCreate(10, 2, 0, 3, 100, 1000, 500);
    expect([enqueue("1"), enqueue("2"), enqueue("3")]).toEqual([0, 0, 2]);
    expect(start(0)).toBe("1\n2\n");
  });
  test("a failed batch is resent alone after the backoff, then dropped when retries run out", () => {
    wasm.queueCreate(2, 10, 1, 2, 100, 1000, 500);
    enqueue("a");
    enqueue("b");
    expect(start(0)).toBe("a\nb\n");
    enqueue("c");
    expect(wasm.queueFailed(0n, 503)).toBe(0);
    const retryAt = Number(wasm.queueRetryAt());
    expect(retryAt).toBeGreaterThanOrEqual(50);
    expect(retryAt).toBeLessThanOrEqual(100);
    expect(wasm.queueShouldSend(BigInt(retryAt - 1), 1)).toBe(0);
    expect(wasm.queueShouldSend(BigInt(retryAt), 1)).toBe(1);
    expect(start(retryAt)).toBe("a\nb\n"); // the same batch, "c" waits behind it
    expect(wasm.queueFailed(BigInt(retryAt), 0)).toBe(0);
    const second = Number(wasm.queueRetryAt()) - retryAt;
    expect(second).toBeGreaterThanOrEqual(100);
    expect(second).toBeLessThanOrEqual(200);
    start(10_000);
    expect(wasm.queueFailed(10_000n, 500)).toBe(1); // third failure > maxRetries 2
    expect(wasm.queueLastDropped()).toBe(2);
    expect(start(10_001)).toBe("c\n");
  });
  test("a 4xx other than 408/429 drops the batch without retrying", () => {
    wasm.queueCreate(1, 10, 1, 5, 100, 1000, 500);
    enqueue("a");
    start(0);
    expect(wasm.queueFailed(0n, 400)).toBe(1);
    expect(wasm.queueLastDropped()).toBe(1);
  });
  test("backoff doubles up to the cap, with jitter in [delay/2, delay]", () => {
    wasm.queueCreate(1, 10, 1, 20, 100, 1000, 500);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const delay = Math.min(100 * 2 ** (attempt - 1), 1000);
      for (let i = 0; i < 20; i++) {
        const value = wasm.queueBackoff(attempt);
        expect(value).toBeGreaterThanOrEqual(delay / 2);
        expect(value).toBeLessThanOrEqual(delay);
      }
    }
  });
});
