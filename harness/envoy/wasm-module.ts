/**
 * Per-scenario copies of a Wasm module, so that every scenario gets VMs of its own in the shared Envoy.
 *
 * Envoy shares a VM between plugins whose VM key matches, and the key is a hash of `vm_id`, the VM
 * configuration and the module bytes (proxy-wasm-cpp-host `makeVmKey`; verified on Envoy 1.40: two
 * listeners loading the same file share VMs, two listeners loading copies that differ only in a custom
 * section do not). Appending a custom section named {@link SCENARIO_SECTION} holding the scenario's run id
 * changes the bytes and nothing a plugin can observe, so module globals never leak between scenarios while
 * plugins *within* one scenario still share VMs exactly as they would in production.
 */
export const SCENARIO_SECTION = "as-proxy-runtime.scenario";

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

function unsignedLeb128(value: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return Buffer.from(bytes);
}

/** `module` with a custom section `name` = `payload` appended (custom sections may appear anywhere). */
export function appendCustomSection(module: Uint8Array, name: string, payload: string): Buffer {
  if (module.length < 8 || !WASM_MAGIC.equals(Buffer.from(module.subarray(0, 4)))) {
    throw new Error("not a WebAssembly binary (missing \\0asm magic)");
  }
  const nameBytes = Buffer.from(name, "utf8");
  const content = Buffer.concat([unsignedLeb128(nameBytes.length), nameBytes, Buffer.from(payload, "utf8")]);
  return Buffer.concat([Buffer.from(module), Buffer.from([0x00]), unsignedLeb128(content.length), content]);
}
