/** The dispatcher's table of live contexts and callouts by id (dispatcher.ts). */

import { BaseContext } from "./base";

/**
 * u32 → context, open addressing with linear probing (Fibonacci hashing; deletion re-inserts the rest of the
 * run, so there are no tombstones). Hand-written instead of `Map<u32, BaseContext>`: the standard Map (separate
 * chaining, insertion-ordered entries) costs ~650 bytes of code in every module and a search per lookup through
 * its bucket chains; this is a third of that and never allocates on lookup or delete. Values are never null, so a
 * null value marks an empty slot and any u32 is a valid key.
 */
@final
export class ContextTable {
  private keys: StaticArray<u32> = new StaticArray<u32>(16);
  private values: StaticArray<BaseContext | null> = new StaticArray<BaseContext | null>(16);
  /** log2 of the capacity. */
  private bits: u32 = 4;
  private count: i32 = 0;

  private home(key: u32): i32 {
    return <i32>((key * 0x9e3779b1) >> (32 - this.bits));
  }

  // The slot holding `key`, or the empty slot where it would go.
  private find(key: u32): i32 {
    const mask = (1 << this.bits) - 1;
    let i = this.home(key);
    while (unchecked(this.values[i]) !== null && unchecked(this.keys[i]) != key) i = (i + 1) & mask;
    return i;
  }

  get(key: u32): BaseContext | null {
    return unchecked(this.values[this.find(key)]);
  }

  has(key: u32): bool {
    return this.get(key) !== null;
  }

  set(key: u32, value: BaseContext): void {
    const i = this.find(key);
    if (unchecked(this.values[i]) === null) {
      if (++this.count << 1 > 1 << this.bits) {
        this.grow();
        this.set(key, value);
        return;
      }
      unchecked((this.keys[i] = key));
    }
    unchecked((this.values[i] = value));
  }

  delete(key: u32): void {
    const mask = (1 << this.bits) - 1;
    let i = this.find(key);
    if (unchecked(this.values[i]) === null) return;
    unchecked((this.values[i] = null));
    this.count--;
    // Re-insert the rest of the run, so that no entry is cut off from its home slot by the new gap.
    while (true) {
      i = (i + 1) & mask;
      const value = unchecked(this.values[i]);
      if (value === null) return;
      unchecked((this.values[i] = null));
      this.count--;
      this.set(unchecked(this.keys[i]), value);
    }
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    const capacity = 2 << this.bits;
    this.keys = new StaticArray<u32>(capacity);
    this.values = new StaticArray<BaseContext | null>(capacity);
    this.bits++;
    this.count = 0;
    for (let i = 0, n = values.length; i < n; i++) {
      const value = unchecked(values[i]);
      if (value !== null) this.set(unchecked(keys[i]), value);
    }
  }
}
