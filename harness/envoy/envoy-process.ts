/**
 * One Envoy process: start, wait until ready, read its log as structured lines, talk to its admin API, stop.
 *
 * Envoy's application log goes to stderr with the format {@link LOG_FORMAT}: `@@<thread>|<level>|<logger>|<msg>`
 * where `<msg>` is JSON-escaped (spdlog flag `%j`), so a plugin message with a newline is still one line and
 * the thread id lets the runner tell worker-thread lines (requests) from main-thread lines (configuration).
 *
 * Every started process is registered for cleanup: {@link EnvoyProcess.stop} sends SIGTERM and then SIGKILL,
 * and a process-exit hook SIGKILLs whatever is still running when the test process ends (a failed test, an
 * uncaught exception), so no Envoy outlives the tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";

export const LOG_FORMAT = "@@%t|%l|%n|%j";

export type EnvoyLogLevel = "trace" | "debug" | "info" | "warning" | "error" | "critical" | "off";

export interface EnvoyLogLine {
  /** Position in the process's log, from 0. */
  index: number;
  thread: number;
  level: EnvoyLogLevel;
  /** spdlog logger ("component"), e.g. `wasm`, `lua`, `upstream`, `main`. */
  logger: string;
  message: string;
  /** The line as Envoy printed it. */
  raw: string;
}

const LINE_PATTERN = /^@@(\d+)\|([a-z]+)\|([^|]*)\|(.*)$/;

/** Parses one line printed with {@link LOG_FORMAT}; `undefined` for anything else (e.g. V8 writing to stderr). */
export function parseEnvoyLogLine(raw: string, index: number): EnvoyLogLine | undefined {
  const match = LINE_PATTERN.exec(raw);
  if (!match) return undefined;
  let message: string;
  try {
    message = JSON.parse(`"${match[4]}"`) as string;
  } catch {
    message = match[4]!;
  }
  return {
    index,
    thread: Number(match[1]),
    level: match[2] as EnvoyLogLevel,
    logger: match[3]!,
    message,
    raw,
  };
}

export interface EnvoyProcessOptions {
  envoyBinary: string;
  /** Path of the bootstrap file (YAML or JSON). */
  bootstrapPath: string;
  adminPort: number;
  /** Worker threads; 1 keeps one VM per plugin and a deterministic log order. */
  concurrency?: number;
  /** `--component-log-level`, e.g. `wasm:trace,lua:info`. */
  componentLogLevel?: string;
  /** Milliseconds to wait for `/ready` to answer LIVE. */
  readyTimeoutMs?: number;
  /**
   * Lines not to keep (they still count as output, e.g. for waiters). Default: the V8 call trace that
   * `wasm:trace` prints for every hostcall and callback (`[host->vm] …`), which would otherwise be most of the
   * log and most of the memory of a long run.
   */
  dropLine?: (line: EnvoyLogLine) => boolean;
}

/** The per-call trace lines of Envoy's Wasm VM at trace level (`[host->vm] f(…)`, `[vm<-host] … return: …`). */
export function isVmCallTrace(line: EnvoyLogLine): boolean {
  return line.level === "trace" && line.logger === "wasm" && /^\[(host|vm)(->|<-)(vm|host)\] /.test(line.message);
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A small HTTP request to Envoy's admin listener (loopback, plain HTTP/1.1). */
export function adminRequest(
  port: number,
  method: "GET" | "POST",
  path: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, method, path, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end();
  });
}

export class EnvoyProcess {
  readonly lines: EnvoyLogLine[] = [];
  /** Lines Envoy wrote outside the log format (crash output, V8 messages). */
  readonly unformatted: string[] = [];
  private readonly waiters = new Set<() => void>();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly adminPort: number,
    private readonly dropLine: (line: EnvoyLogLine) => boolean,
  ) {
    let pending = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        this.accept(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
    });
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => this.unformatted.push(...chunk.split("\n").filter(Boolean)));
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        if (pending) this.accept(pending);
        this.exitInfo = { code, signal };
        live.delete(child);
        this.notify();
        resolve();
      });
    });
  }

  /** Starts Envoy and resolves once its admin `/ready` answers LIVE. */
  static async start(options: EnvoyProcessOptions): Promise<EnvoyProcess> {
    installExitHook();
    const args = [
      "-c",
      options.bootstrapPath,
      "--concurrency",
      String(options.concurrency ?? 1),
      "--disable-hot-restart",
      "--log-format",
      LOG_FORMAT,
      "--log-level",
      "info",
      "--component-log-level",
      options.componentLogLevel ?? "wasm:trace,lua:info",
      // Listener removal (one scenario ends) must not wait for a drain period.
      "--drain-time-s",
      "0",
      "--drain-strategy",
      "immediate",
      // The access log is read after every request: flush it promptly.
      "--file-flush-interval-msec",
      "5",
    ];
    const child = spawn(options.envoyBinary, args, { stdio: ["ignore", "pipe", "pipe"] });
    live.add(child);
    const envoy = new EnvoyProcess(child, options.adminPort, options.dropLine ?? isVmCallTrace);
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (error) => reject(new Error(`cannot start ${options.envoyBinary}: ${error.message}`)));
    });
    try {
      await envoy.waitReady(options.readyTimeoutMs ?? 30_000);
    } catch (error) {
      await envoy.stop();
      throw error;
    }
    return envoy;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  private accept(raw: string): void {
    const parsed = parseEnvoyLogLine(raw, this.lines.length);
    if (parsed) {
      if (this.dropLine(parsed)) return;
      this.lines.push(parsed);
    } else if (raw.trim()) this.unformatted.push(raw);
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The last lines of the log, for error messages. */
  tail(count = 40): string {
    return [...this.lines.slice(-count).map((line) => line.raw), ...this.unformatted.slice(-10)].join("\n");
  }

  private describeExit(): string {
    return this.exitInfo
      ? `Envoy exited (code ${this.exitInfo.code}, signal ${this.exitInfo.signal}); last log lines:\n${this.tail()}`
      : "";
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`Envoy did not become ready. ${this.describeExit()}`);
      try {
        const ready = await adminRequest(this.adminPort, "GET", "/ready");
        if (ready.status === 200 && ready.body.trim() === "LIVE") return;
      } catch {
        // admin listener not bound yet
      }
      if (Date.now() > deadline) {
        throw new Error(`Envoy was not ready within ${timeoutMs} ms; last log lines:\n${this.tail()}`);
      }
      await delay(20);
    }
  }

  /**
   * Resolves with the first log line at or after `fromIndex` that satisfies `predicate`. Rejects when Envoy
   * exits or after `timeoutMs`, with `what` and the log tail in the message.
   */
  waitForLine(
    predicate: (line: EnvoyLogLine) => boolean,
    fromIndex: number,
    what: string,
    timeoutMs = 15_000,
  ): Promise<EnvoyLogLine> {
    return new Promise((resolve, reject) => {
      let scanned = fromIndex;
      const check = (): void => {
        for (; scanned < this.lines.length; scanned++) {
          const line = this.lines[scanned]!;
          if (predicate(line)) {
            finish();
            resolve(line);
            return;
          }
        }
        if (!this.running) {
          finish();
          reject(new Error(`while waiting for ${what}: ${this.describeExit()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last log lines:\n${this.tail()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** GET/POST on the admin API; throws on a non-200 answer. */
  async admin(path: string, method: "GET" | "POST" = "GET"): Promise<string> {
    const response = await adminRequest(this.adminPort, method, path);
    if (response.status !== 200) {
      throw new Error(`Envoy admin ${method} ${path} answered ${response.status}: ${response.body.slice(0, 500)}`);
    }
    return response.body;
  }

  /** Counters and gauges from `/stats?format=json`, optionally filtered by a regex (Envoy `filter=`). */
  async stats(filter?: string): Promise<Map<string, number>> {
    const query = filter ? `/stats?format=json&filter=${encodeURIComponent(filter)}` : "/stats?format=json";
    const parsed = JSON.parse(await this.admin(query)) as { stats: Array<{ name?: string; value?: number }> };
    const values = new Map<string, number>();
    for (const stat of parsed.stats) {
      // Histograms appear as {histograms: …} entries without name/value; they are not reported.
      if (typeof stat.name === "string" && typeof stat.value === "number") values.set(stat.name, stat.value);
    }
    return values;
  }

  /** Resolves true if the process exits within `ms` (or already has), false otherwise. */
  async exitsWithin(ms: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const result = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** How the process ended (for messages); undefined while it runs. */
  get exitDescription(): string | undefined {
    return this.exitInfo ? `exit code ${this.exitInfo.code}, signal ${this.exitInfo.signal}` : undefined;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. Safe to call twice. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGTERM");
    const killed = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(killed);
  }
}
