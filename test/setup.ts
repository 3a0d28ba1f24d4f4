// Shared vitest setup: registers the harness's custom matchers once they exist.
import "../harness/vitest/setup";
