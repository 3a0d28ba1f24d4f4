// The export queue: a bounded buffer of JSON-line records and the batching / retry state machine behind the
// root context's collector callouts. Pure logic (time is passed in), so every transition is testable; the root
// context (filter.ts) does the host calls.
//
// Decisions (README "Export"):
// - One queue per VM, i.e. per Envoy worker thread (host-behaviour.md F.9: module globals are per worker).
//   Streams hand records to their own root with a direct call; nothing crosses threads, so no shared queue.
// - At most one callout in flight. A batch that fails is kept and resent, alone, after an exponential backoff
//   with jitter; new records keep queueing behind it. After `maxRetries` failed resends it is dropped.
// - When the buffer is full the oldest (or, if configured, the newest) record is dropped and counted.
// - Traffic never waits: records are enqueued in on_log, after the response has been sent.

/** Immutable export settings (validated in config.ts). */
@final
export class ExportSettings {
  constructor(
    public readonly cluster: string,
    public readonly authority: string,
    public readonly path: string,
    public readonly flushIntervalMs: u32,
    public readonly batchRecords: i32,
    public readonly bufferRecords: i32,
    public readonly timeoutMs: u32,
    public readonly maxRetries: i32,
    public readonly initialBackoffMs: u32,
    public readonly maxBackoffMs: u32,
    public readonly dropOldest: bool,
    /** Fraction of requests exported, in [0, 1]. */
    public readonly sampleRate: f64,
  ) {}
}

/** What `enqueue` did. */
export enum EnqueueResult {
  Queued = 0,
  /** Queued, and the oldest buffered record was dropped to make room. */
  QueuedDroppedOldest = 1,
  /** Not queued: the buffer is full and the policy is drop-newest. */
  DroppedNewest = 2,
}

/** What to do with a failed batch. */
export enum FailureOutcome {
  /** Kept; resent after the backoff. */
  WillRetry = 0,
  /** Dropped: retries exhausted, or the collector rejected it as malformed (4xx other than 408/429). */
  Dropped = 1,
}

/** Whether an HTTP status from the collector means "try again later". */
export function isRetriableStatus(status: i32): bool {
  return status == 0 || status == 408 || status == 429 || status >= 500;
}

@final
export class ExportQueue {
  /** Records as UTF-8 JSON (one line each, no newline). */
  private readonly ring: StaticArray<ArrayBuffer | null>;
  private head: i32 = 0; // index of the oldest record
  private size: i32 = 0;
  /** Body of the batch being sent or waiting for a resend; null when none. */
  private batchBody: ArrayBuffer | null = null;
  private batchRecords: i32 = 0;
  /** Failed sends of the current batch. */
  private attempts: i32 = 0;
  private retryAtMs: u64 = 0;
  private inFlight: bool = false;
  private inFlightSinceMs: u64 = 0;
  private lastFlushMs: u64 = 0;
  private random: u64;

  constructor(public readonly settings: ExportSettings, seed: u64) {
    this.ring = new StaticArray<ArrayBuffer | null>(settings.bufferRecords);
    this.random = seed != 0 ? seed : 0x9e3779b97f4a7c15;
  }

  /** Records waiting in the buffer (not counting the batch in flight or waiting for a resend). */
  get buffered(): i32 {
    return this.size;
  }
  /** Records in the current batch (in flight or waiting for a resend). */
  get batchSize(): i32 {
    return this.batchRecords;
  }
  get isInFlight(): bool {
    return this.inFlight;
  }
  /** When a failed batch will be resent (ms, host clock); 0 when no resend is pending. */
  get retryAt(): u64 {
    return this.batchBody !== null && !this.inFlight ? this.retryAtMs : 0;
  }

  enqueue(record: ArrayBuffer): EnqueueResult {
    const capacity = this.ring.length;
    if (this.size < capacity) {
      unchecked((this.ring[(this.head + this.size) % capacity] = record));
      this.size++;
      return EnqueueResult.Queued;
    }
    if (!this.settings.dropOldest) return EnqueueResult.DroppedNewest;
    unchecked((this.ring[this.head] = record)); // overwrite the oldest; it becomes the newest
    this.head = (this.head + 1) % capacity;
    return EnqueueResult.QueuedDroppedOldest;
  }

  /**
   * Whether a callout should start now. `tick` is true when called from on_tick (the flush interval has
   * passed); a full batch is flushed from on_log at once. A failed batch waits for its resend time.
   */
  shouldSend(nowMs: u64, tick: bool): bool {
    if (this.inFlight) return false;
    if (this.batchBody !== null) return nowMs >= this.retryAtMs;
    if (this.size == 0) return false;
    if (this.size >= this.settings.batchRecords) return true;
    return tick && nowMs - this.lastFlushMs >= <u64>this.settings.flushIntervalMs;
  }

  /**
   * Marks a callout as started and returns its body: the waiting failed batch, else up to `batchRecords`
   * records from the buffer as JSON lines (each ends with `\n`), copied into one buffer.
   */
  startSend(nowMs: u64): ArrayBuffer {
    if (this.batchBody === null) {
      const count = min(this.size, this.settings.batchRecords);
      const capacity = this.ring.length;
      let total = 0;
      for (let i = 0; i < count; i++) total += unchecked(this.ring[(this.head + i) % capacity])!.byteLength + 1;
      const body = new ArrayBuffer(total);
      let offset = changetype<usize>(body);
      for (let i = 0; i < count; i++) {
        const index = (this.head + i) % capacity;
        const record = unchecked(this.ring[index])!;
        memory.copy(offset, changetype<usize>(record), <usize>record.byteLength);
        offset += <usize>record.byteLength;
        store<u8>(offset, 0x0a);
        offset += 1;
        unchecked((this.ring[index] = null));
      }
      this.head = (this.head + count) % capacity;
      this.size -= count;
      this.batchBody = body;
      this.batchRecords = count;
      this.attempts = 0;
    }
    this.inFlight = true;
    this.inFlightSinceMs = nowMs;
    this.lastFlushMs = nowMs;
    return this.batchBody!;
  }

  /** The collector accepted the batch. Returns the number of records it held. */
  succeeded(): i32 {
    const records = this.batchRecords;
    this.clearBatch();
    return records;
  }

  /**
   * The callout failed (`status` 0 = reset/no answer, else the HTTP status). Returns whether the batch is
   * kept for a resend or dropped; `droppedRecords` then says how many records were lost.
   */
  failed(nowMs: u64, status: i32): FailureOutcome {
    this.inFlight = false;
    this.attempts++;
    if (!isRetriableStatus(status) || this.attempts > this.settings.maxRetries) {
      this.lastDropped = this.batchRecords;
      this.clearBatch();
      return FailureOutcome.Dropped;
    }
    this.retryAtMs = nowMs + <u64>this.backoffMs(this.attempts);
    return FailureOutcome.WillRetry;
  }

  /** Records in the batch dropped by the last `failed` that returned `Dropped`. */
  lastDropped: i32 = 0;

  /**
   * Whether the callout in flight has outlived its timeout by a margin (the host promises an answer, a 504
   * at the latest; this guards against a lost callback so the queue can never stall for good).
   */
  isStuck(nowMs: u64): bool {
    return this.inFlight && nowMs - this.inFlightSinceMs > <u64>this.settings.timeoutMs + 5000;
  }

  /**
   * Delay before resend number `attempt` (1-based): `initial × 2^(attempt-1)` capped at `max`, then "equal
   * jitter" — a uniformly random value in [delay/2, delay] — so that the workers of a proxy (and many
   * proxies) do not retry in step after a collector outage.
   */
  backoffMs(attempt: i32): u32 {
    let delay = <u64>this.settings.initialBackoffMs;
    const cap = <u64>this.settings.maxBackoffMs;
    for (let i = 1; i < attempt && delay < cap; i++) delay <<= 1;
    if (delay > cap) delay = cap;
    const half = delay >> 1;
    return <u32>(half + (half > 0 ? this.nextRandom() % (half + 1) : 0));
  }

  /** xorshift64* (no host call: Math.random would need an `env.seed` import Envoy does not provide). */
  nextRandom(): u64 {
    let x = this.random;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    this.random = x;
    return x * 0x2545f4914f6cdd1d;
  }

  /** A uniform double in [0, 1), for sampling. */
  nextUnit(): f64 {
    return <f64>(this.nextRandom() >> 11) / 9007199254740992.0;
  }

  private clearBatch(): void {
    this.batchBody = null;
    this.batchRecords = 0;
    this.attempts = 0;
    this.inFlight = false;
    this.retryAtMs = 0;
  }
}
