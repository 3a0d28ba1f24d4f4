// Registers the harness's vitest matchers (expect.extend). Filled in by the harness.
export {};
