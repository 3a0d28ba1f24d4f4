// Loader module for units.test.ts: the recorder's pure helpers (escaping, route templates, redaction, the
// export queue), exposed to @assemblyscript/loader with test-friendly signatures.
import { capLength, escapeJsonContent, safeValue } from "../../../filters/l7-metadata/escape";
import { compileRouteTemplate, matchRoute, RouteTemplate } from "../../../filters/l7-metadata/route";
import { percentDecodeLossy, RedactionMode, Redactor } from "../../../filters/l7-metadata/redact";
import { ExportQueue, ExportSettings } from "../../../filters/l7-metadata/exporter";
import { formatSecondsFromNanos, normalizeMethod } from "../../../filters/l7-metadata/facts";

export function escape(value: string): string {
  return escapeJsonContent(value);
}
export function cap(value: string, maxLength: i32): string {
  return capLength(value, maxLength);
}
export function safe(value: string, maxLength: i32): string {
  return safeValue(value, maxLength);
}

/** Compiles newline-separated templates; returns "" or "<index>: <error>". Then matches `path`. */
export function routeMatch(templates: string, path: string): string {
  const list = templates.split("\n");
  const routes = new Array<RouteTemplate>();
  for (let i = 0; i < list.length; i++) {
    const result = compileRouteTemplate(list[i], null);
    if (result.error !== null) return "error " + i.toString() + ": " + result.error!;
    routes.push(result.route!);
  }
  const match = matchRoute(routes, path);
  return match === null ? "" : match.template;
}

function redactor(hash: bool, key: string, extraQuery: string): Redactor {
  const keyBytes = key.length > 0 ? Uint8Array.wrap(String.UTF8.encode(key)) : null;
  const extra = extraQuery.length > 0 ? extraQuery.split(",") : new Array<string>();
  return new Redactor(hash ? RedactionMode.Hash : RedactionMode.Drop, keyBytes, ["authorization", "proxy-authorization", "cookie", "set-cookie"], extra);
}
export function redactQuery(query: string, hash: bool, key: string, extraQuery: string): string {
  return redactor(hash, key, extraQuery).redactQuery(query);
}
export function redactValue(value: string, hash: bool, key: string): string {
  return redactor(hash, key, "").redact(value);
}
export function isSensitiveQuery(name: string): bool {
  return redactor(false, "", "").isSensitiveQueryParameter(name);
}
export function queryParameter(query: string, name: string): string {
  const value = Redactor.queryParameter(query, name);
  return value === null ? "<absent>" : value;
}
export function percentDecode(text: string): string {
  return percentDecodeLossy(text);
}
export function seconds(nanos: i64): string {
  return formatSecondsFromNanos(nanos);
}
export function method(name: string): string {
  return normalizeMethod(name);
}

// The export queue, driven step by step from the test.
let queue: ExportQueue | null = null;
export function queueCreate(batch: i32, buffer: i32, dropOldest: bool, maxRetries: i32, initialMs: u32, maxMs: u32, intervalMs: u32): void {
  queue = new ExportQueue(new ExportSettings("c", "c", "/", intervalMs, batch, buffer, 1000, maxRetries, initialMs, maxMs, dropOldest, 1.0), 42);
}
export function queueEnqueue(record: string): i32 {
  return queue!.enqueue(String.UTF8.encode(record));
}
export function queueShouldSend(nowMs: u64, tick: bool): bool {
  return queue!.shouldSend(nowMs, tick);
}
export function queueStartSend(nowMs: u64): string {
  return String.UTF8.decode(queue!.startSend(nowMs));
}
export function queueSucceeded(): i32 {
  return queue!.succeeded();
}
export function queueFailed(nowMs: u64, status: i32): i32 {
  return queue!.failed(nowMs, status);
}
export function queueLastDropped(): i32 {
  return queue!.lastDropped;
}
export function queueBuffered(): i32 {
  return queue!.buffered;
}
export function queueRetryAt(): u64 {
  return queue!.retryAt;
}
export function queueBackoff(attempt: i32): u32 {
  return queue!.backoffMs(attempt);
}
