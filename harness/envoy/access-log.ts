/**
 * Reads Envoy's JSON access log (one object per line, written by `envoy.access_loggers.file` and flushed every
 * few milliseconds — `--file-flush-interval-msec`) and waits for the entry of a given request.
 */
import { open, type FileHandle } from "node:fs/promises";

export interface AccessLogEntry {
  /** The listener name (a literal in the log format). */
  tag: string;
  code: number | string | null;
  details: string | null;
  flags: string | null;
  filter_state: Record<string, string | null>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class AccessLogReader {
  readonly entries: AccessLogEntry[] = [];
  private handle: FileHandle | undefined;
  private offset = 0;
  private pending = "";

  constructor(readonly path: string) {}

  private async poll(): Promise<void> {
    if (!this.handle) {
      try {
        this.handle = await open(this.path, "r");
      } catch {
        return; // Envoy creates the file when the first listener using it is built
      }
    }
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      this.pending += buffer.subarray(0, bytesRead).toString("utf8");
    }
    let newline: number;
    while ((newline = this.pending.indexOf("\n")) >= 0) {
      const line = this.pending.slice(0, newline);
      this.pending = this.pending.slice(newline + 1);
      if (!line.trim()) continue;
      try {
        this.entries.push(JSON.parse(line) as AccessLogEntry);
      } catch {
        throw new Error(`unparsable access-log line in ${this.path}: ${line}`);
      }
    }
  }

  /** Entries with `tag`, in order. */
  async entriesFor(tag: string): Promise<AccessLogEntry[]> {
    await this.poll();
    return this.entries.filter((entry) => entry.tag === tag);
  }

  /** Waits until there are at least `count` entries with `tag`; returns the `count`-th. */
  async waitForEntry(tag: string, count: number, timeoutMs = 10_000): Promise<AccessLogEntry> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const entries = await this.entriesFor(tag);
      if (entries.length >= count) return entries[count - 1]!;
      if (Date.now() > deadline) {
        throw new Error(`access log ${this.path}: ${entries.length} entries for ${tag} after ${timeoutMs} ms, expected ${count}`);
      }
      await delay(3);
    }
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
