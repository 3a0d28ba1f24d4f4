// assembly/context/table.ts (the dispatcher's context table) exported for test/assembly/context/table.test.ts.
import { BaseContext } from "../../../assembly/context/base";
import { ContextTable } from "../../../assembly/context/table";

class Entry extends BaseContext {}

let table = new ContextTable();

export function reset(): void {
  table = new ContextTable();
}

/** Stores a context whose id is `value` under `key`. */
export function set(key: u32, value: u32): void {
  table.set(key, new Entry(value));
}

export function remove(key: u32): void {
  table.delete(key);
}

/** The id of the context stored under `key`, or -1. */
export function get(key: u32): i64 {
  const entry = table.get(key);
  return entry === null ? -1 : <i64>entry.contextId;
}

export function has(key: u32): bool {
  return table.has(key);
}
