/**
 * Shared data and shared queues, scoped by `vm_id` and shared by every VM with that id (canary, workers, other
 * plugins) but never by module globals. cpp-host keeps them process-wide (`src/shared_data.cc`,
 * `src/shared_queue.cc`); the harness keeps one store per simulated Envoy process (one per `createHost`).
 */
import { Status } from "../enums";

export interface SharedValue {
  value: Uint8Array;
  cas: number;
}

export class SharedDataStore {
  private readonly data = new Map<string, Map<string, SharedValue>>();
  /** Global CAS counter: starts at 1 and skips 0 on wrap (cpp-host `SharedData::nextCas`). */
  private cas = 1;

  private nextCas(): number {
    const result = this.cas;
    this.cas = (this.cas + 1) >>> 0;
    if (this.cas === 0) this.cas = 1;
    return result;
  }

  get(vmId: string, key: string): SharedValue | undefined {
    return this.data.get(vmId)?.get(key);
  }

  /**
   * cpp-host `SharedData::set`: `cas == 0` writes unconditionally; a non-zero `cas` must match the stored one
   * (CAS_MISMATCH otherwise), **except** for a missing key, which is created whatever the `cas`.
   */
  set(vmId: string, key: string, value: Uint8Array, cas: number): Status {
    let map = this.data.get(vmId);
    if (!map) {
      map = new Map();
      this.data.set(vmId, map);
    }
    const existing = map.get(key);
    if (existing && cas !== 0 && cas !== existing.cas) return Status.CasMismatch;
    map.set(key, { value, cas: this.nextCas() });
    return Status.Ok;
  }

  keys(vmId: string): string[] {
    return [...(this.data.get(vmId)?.keys() ?? [])];
  }
}

export interface SharedQueue {
  readonly token: number;
  readonly vmId: string;
  readonly name: string;
  readonly items: Uint8Array[];
  /** Where `proxy_on_queue_ready` goes: the root context of the last registrant, on that registrant's VM. */
  target: { vmKey: string; worker: number | "main"; contextId: number };
}

export class SharedQueueStore {
  private readonly tokens = new Map<string, number>();
  private readonly queues = new Map<number, SharedQueue>();
  private nextToken = 1;

  /**
   * cpp-host `SharedQueue::registerQueue`: the same `(vm_id, name)` always gets the same token (tokens start at
   * 1, 0 is never used), and re-registering points notifications at the caller's root context. Data is kept.
   */
  register(vmId: string, name: string, target: SharedQueue["target"]): number {
    const key = `${vmId}\u0000${name}`;
    let token = this.tokens.get(key);
    if (token === undefined) {
      do {
        token = this.nextToken;
        this.nextToken = (this.nextToken + 1) >>> 0;
      } while (token === 0 || this.queues.has(token));
      this.tokens.set(key, token);
      this.queues.set(token, { token, vmId, name, items: [], target });
    } else {
      this.queues.get(token)!.target = target;
    }
    return token;
  }

  /** 0 when the queue does not exist. */
  resolve(vmId: string, name: string): number {
    return this.tokens.get(`${vmId}\u0000${name}`) ?? 0;
  }

  get(token: number): SharedQueue | undefined {
    return this.queues.get(token);
  }

  all(): SharedQueue[] {
    return [...this.queues.values()];
  }
}
