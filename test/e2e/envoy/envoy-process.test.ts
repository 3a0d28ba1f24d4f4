// Envoy log lines as the runner reads them (format "@@%t|%l|%n|%j").
import { describe, expect, test } from "vitest";
import { LOG_FORMAT, isVmCallTrace, parseEnvoyLogLine } from "../../../harness/envoy/envoy-process";

describe("parseEnvoyLogLine", () => {
  test("splits thread, level, logger and the JSON-escaped message", () => {
    expect(LOG_FORMAT).toBe("@@%t|%l|%n|%j");
    expect(parseEnvoyLogLine('@@4242|info|wasm|wasm log default.x: a\\nb \\"q\\" |', 7)).toEqual({
      index: 7,
      thread: 4242,
      level: "info",
      logger: "wasm",
      message: 'wasm log default.x: a\nb "q" |',
      raw: '@@4242|info|wasm|wasm log default.x: a\\nb \\"q\\" |',
    });
  });

  test("returns undefined for output outside the log format", () => {
    expect(parseEnvoyLogLine("Segmentation fault", 0)).toBeUndefined();
  });
});

describe("isVmCallTrace", () => {
  test("recognises the per-call V8 trace lines, not plugin log lines", () => {
    const line = (raw: string) => parseEnvoyLogLine(raw, 0)!;
    expect(isVmCallTrace(line("@@1|trace|wasm|[host->vm] proxy_on_configure(1, 4)"))).toBe(true);
    expect(isVmCallTrace(line("@@1|trace|wasm|[vm<-host] env.proxy_log return: 0"))).toBe(true);
    expect(isVmCallTrace(line("@@1|trace|wasm|wasm log default.x: [host->vm] looks alike"))).toBe(false);
    expect(isVmCallTrace(line("@@1|info|wasm|[host->vm] not at trace"))).toBe(false);
  });
});
