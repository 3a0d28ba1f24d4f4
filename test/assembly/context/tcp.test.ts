/**
 * TcpContext (assembly/context/tcp.ts) through probe-tcp in the harness: TCP callbacks, the downstream/upstream
 * data buffers, continue and close. Envoy semantics: host-behaviour.md B (TCP callbacks), A.3 #17–18
 * (continue_stream(UPSTREAM) → UNIMPLEMENTED; close_stream on TCP closes the connection), F.26 (TCP completion:
 * on_done → on_log → on_delete); Envoy context.cc onNetworkNewConnection / onDownstreamData / onCloseTCP.
 */

import { expect, test } from "vitest";
import { expectHostcalls, probeHost } from "../probes.js";

test("new connection, data both ways rewritten through the buffers, pause and resume, then close in Envoy's order", () => {
  const host = probeHost("tcp", { recordCalls: true });
  const connection = host.tcp();
  expect(connection.open()).toBe(0);
  expect(connection.sendDownstream("ping")).toBe(0);
  expect(connection.sendDownstream("hold")).toBe(1); // paused: data stays buffered
  expect(connection.sendDownstream("more")).toBe(0); // resumed: the buffered data goes on
  expect(connection.sendUpstream("pong")).toBe(0);
  connection.close();
  expect(connection.upstreamBytes).toBe("PINGholdmore");
  expect(connection.downstreamBytes).toBe("up:pong");
  const id = String(connection.context!.id);
  expect(host.logs().map((record) => record.message)).toEqual([
    `tcp: onNewConnection = ${id}`,
    'tcp: onDownstreamData = 4 "ping"',
    "tcp: replace = OK",
    'tcp: onDownstreamData = 4 "hold"',
    'tcp: onDownstreamData = 8 "holdmore"',
    "tcp: resumeDownstream = OK",
    'tcp: onUpstreamData = 4 "pong"',
    "tcp: prepend = OK",
    "tcp: resumeUpstream = UNIMPLEMENTED",
    "tcp: onDownstreamConnectionClose = remote",
    `tcp: onDone = ${id}`,
    `tcp: onLog = ${id}`,
    `tcp: onDelete = ${id}`,
  ]);
  expectHostcalls(host, ["proxy_get_buffer_bytes", "proxy_set_buffer_bytes", "proxy_continue_stream"]);
});

test("closeDownstream closes the connection from the plugin (peer: local)", () => {
  const host = probeHost("tcp");
  const connection = host.tcp();
  connection.open();
  connection.sendDownstream("close");
  expect(connection.closed).toEqual({ side: "downstream", details: "wasm_downstream_close" });
  expect(host.logs().map((record) => record.message)).toContain("tcp: onDownstreamConnectionClose = local");
  expectHostcalls(host, ["proxy_close_stream"]);
});
