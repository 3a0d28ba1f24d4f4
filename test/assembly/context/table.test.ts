/**
 * assembly/context/table.ts, the open-addressing table the dispatcher keeps its live contexts and callout tokens
 * in: against a JavaScript Map, over random sequences of inserts, overwrites, deletes and lookups. Small key spaces
 * force long probe runs and deletions inside them (deletion re-inserts the rest of the run); large ones cover the
 * whole u32 range, 0 and 2^32-1 included, and growth.
 */
import fc from "fast-check";
import { expect, test } from "vitest";
import { HelperModule } from "../util/helper-module";

const table = new HelperModule("table");

type Op = { kind: "set"; key: number; value: number } | { kind: "remove"; key: number } | { kind: "get"; key: number };

function ops(keys: fc.Arbitrary<number>): fc.Arbitrary<Op[]> {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("set" as const), key: keys, value: fc.integer({ min: 0, max: 0x7fffffff }) }),
    fc.record({ kind: fc.constant("remove" as const), key: keys }),
    fc.record({ kind: fc.constant("get" as const), key: keys }),
  );
  return fc.array(op, { maxLength: 400 });
}

function check(sequence: Op[]): void {
  table.number("reset");
  const model = new Map<number, number>();
  for (const op of sequence) {
    if (op.kind === "set") {
      table.number("set", op.key, op.value);
      model.set(op.key, op.value);
    } else if (op.kind === "remove") {
      table.number("remove", op.key);
      model.delete(op.key);
    } else {
      expect(table.number("get", op.key)).toBe(model.get(op.key) ?? -1);
    }
  }
  // Every key the model holds is still found, and a sample of absent ones is not.
  for (const [key, value] of model) expect(table.number("get", key)).toBe(value);
  for (let key = 0; key < 64; key++) if (!model.has(key)) expect(table.bool("has", key)).toBe(false);
}

test("behaves like a Map on a small key space (long probe runs, deletions inside them)", () => {
  fc.assert(fc.property(ops(fc.integer({ min: 0, max: 40 })), check), { numRuns: 500 });
});

test("behaves like a Map on the whole u32 range, through growth", () => {
  const keys = fc.oneof(fc.constantFrom(0, 1, 0xffffffff, 0x80000000), fc.integer({ min: 0, max: 0xffffffff }));
  fc.assert(fc.property(ops(keys), check), { numRuns: 300 });
});

test("sequential ids as Envoy assigns them: 10,000 contexts in, every other one out, the rest still found", () => {
  table.number("reset");
  for (let id = 1; id <= 10_000; id++) table.number("set", id, id * 2);
  for (let id = 1; id <= 10_000; id += 2) table.number("remove", id);
  for (let id = 1; id <= 10_000; id++) expect(table.number("get", id)).toBe(id % 2 === 0 ? id * 2 : -1);
});
