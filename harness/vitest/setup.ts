// Registers the harness's vitest matchers (imported by test/setup.ts). Types: harness/vitest/vitest.d.ts.
import { expect } from "vitest";
import { harnessMatchers } from "./matchers";

expect.extend(harnessMatchers);
