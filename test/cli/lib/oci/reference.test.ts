import { describe, expect, test } from "vitest";
import { formatImageReference, isLoopbackRegistry, manifestReference, parseImageReference } from "../../../../cli/lib/oci/reference";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("parseImageReference", () => {
  test.each([
    ["oci://127.0.0.1:5000/filters/abac:1.0.0", { registry: "127.0.0.1:5000", repository: "filters/abac", tag: "1.0.0" }],
    ["localhost:5000/abac", { registry: "localhost:5000", repository: "abac" }],
    [`ghcr.io/org/abac@${DIGEST}`, { registry: "ghcr.io", repository: "org/abac", digest: DIGEST }],
    [`ghcr.io/org/abac:v1@${DIGEST}`, { registry: "ghcr.io", repository: "org/abac", tag: "v1", digest: DIGEST }],
    ["abac", { registry: "docker.io", repository: "library/abac" }],
    ["org/abac:2", { registry: "docker.io", repository: "org/abac", tag: "2" }],
  ])("%s", (input, expected) => {
    expect(parseImageReference(input)).toEqual(expected);
  });

  test.each([
    ["https://ghcr.io/x:1", /only oci:\/\//],
    ["ghcr.io/Org/x:1", /invalid repository component "Org"/],
    ["ghcr.io/x@sha256:abc", /digest must be/],
    ["ghcr.io/x:bad tag", /invalid tag/],
  ])("rejects %s", (input, message) => {
    expect(() => parseImageReference(input)).toThrow(message);
  });

  test("formats without scheme and picks the manifest reference", () => {
    const ref = parseImageReference("oci://127.0.0.1:5000/filters/abac:1.0.0");
    expect(formatImageReference(ref)).toBe("127.0.0.1:5000/filters/abac:1.0.0");
    expect(manifestReference(ref)).toBe("1.0.0");
    expect(manifestReference(parseImageReference("r.io/x"))).toBe("latest");
    expect(manifestReference(parseImageReference(`r.io/x:1@${DIGEST}`))).toBe(DIGEST);
  });

  test("only loopback registries default to plain HTTP", () => {
    expect(isLoopbackRegistry("127.0.0.1:5000")).toBe(true);
    expect(isLoopbackRegistry("localhost:5000")).toBe(true);
    expect(isLoopbackRegistry("[::1]:5000")).toBe(true);
    expect(isLoopbackRegistry("registry.local:5000")).toBe(false);
    expect(isLoopbackRegistry("10.0.0.1:5000")).toBe(false);
  });
});
