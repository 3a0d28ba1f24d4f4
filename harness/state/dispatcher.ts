/**
 * A deterministic event loop on a fake clock, standing in for Envoy's per-worker `Event::Dispatcher`.
 *
 * Envoy never calls back into a VM re-entrantly: queue notifications (`dispatcher.post`), callout responses and
 * timer ticks all arrive as separate events after the current VM call has returned. The harness keeps that
 * shape: posted events run in FIFO order when the test (or `http()`) drains the loop, and timers fire only when
 * the fake clock is advanced past them. Nothing depends on real time, so tests are reproducible.
 */

/** The steady clock's reading at fake time 0 (one hour of uptime), so monotonic time is never zero. */
export const MONOTONIC_BOOT_OFFSET_MS = 3_600_000;

/** The fake clock. Wall time starts at a fixed instant unless the test picks one. */
export class FakeClock {
  /** Monotonic time in ms since the harness started. */
  monotonicMs = 0;

  constructor(
    /** Unix epoch ms at monotonic 0 (default 2025-01-01T00:00:00Z). */
    readonly wallStartMs = Date.UTC(2025, 0, 1),
  ) {}

  /** Wall clock in ns (Envoy `systemTime()`, used by `proxy_get_current_time_nanoseconds` and WASI realtime). */
  wallNanos(): bigint {
    return BigInt(Math.round((this.wallStartMs + this.monotonicMs) * 1e6));
  }

  /**
   * Monotonic clock in ns (WASI clock 1; `proxy_get_monotonic_time`). Envoy reads the host's steady clock, which
   * counts from boot and is never 0: the fake one reads as if the machine had been up for
   * {@link MONOTONIC_BOOT_OFFSET_MS} when the harness started.
   */
  monotonicNanos(): bigint {
    return BigInt(Math.round((MONOTONIC_BOOT_OFFSET_MS + this.monotonicMs) * 1e6));
  }

  wallMs(): number {
    return this.wallStartMs + this.monotonicMs;
  }
}

export interface TimerHandle {
  cancel(): void;
  readonly dueMs: number;
  readonly label: string;
}

interface Timer extends TimerHandle {
  fn: () => void;
  cancelled: boolean;
  seq: number;
}

export class Dispatcher {
  private posted: Array<() => void> = [];
  private timers: Timer[] = [];
  private seq = 0;

  constructor(readonly clock: FakeClock) {}

  /** Run `fn` after the current call stack (Envoy `dispatcher.post`). */
  post(fn: () => void): void {
    this.posted.push(fn);
  }

  /** Run `fn` when the clock reaches now + `delayMs`. */
  schedule(delayMs: number, label: string, fn: () => void): TimerHandle {
    const timer: Timer = {
      dueMs: this.clock.monotonicMs + Math.max(0, delayMs),
      label,
      fn,
      cancelled: false,
      seq: this.seq++,
      cancel() {
        timer.cancelled = true;
      },
    };
    this.timers.push(timer);
    return timer;
  }

  get hasPosted(): boolean {
    return this.posted.length > 0;
  }

  /** Pending (uncancelled) timers, earliest first. */
  pendingTimers(): TimerHandle[] {
    this.timers = this.timers.filter((t) => !t.cancelled);
    return [...this.timers].sort((a, b) => a.dueMs - b.dueMs || a.seq - b.seq);
  }

  /** Runs posted events (and the events they post) until none is left. Returns how many ran. */
  runPosted(limit = 100_000): number {
    let n = 0;
    while (this.posted.length > 0) {
      const fn = this.posted.shift()!;
      fn();
      if (++n >= limit) throw new Error(`more than ${limit} posted events in a row: a plugin is looping on the dispatcher`);
    }
    return n;
  }

  /** Fires the earliest timer due at or before `untilMs` (moving the clock to it). False when none is due. */
  fireNextTimer(untilMs: number): boolean {
    let next: Timer | undefined;
    for (const t of this.timers) {
      if (t.cancelled) continue;
      if (t.dueMs > untilMs) continue;
      if (!next || t.dueMs < next.dueMs || (t.dueMs === next.dueMs && t.seq < next.seq)) next = t;
    }
    if (!next) return false;
    this.timers.splice(this.timers.indexOf(next), 1);
    if (next.dueMs > this.clock.monotonicMs) this.clock.monotonicMs = next.dueMs;
    next.fn();
    return true;
  }

  /** Advances the clock by `ms`, firing due timers in order and draining posted events after each. */
  advance(ms: number): void {
    const target = this.clock.monotonicMs + ms;
    this.runPosted();
    while (this.fireNextTimer(target)) this.runPosted();
    this.clock.monotonicMs = target;
  }
}
