/**
 * The Node servers around Envoy: the echo upstream behind the routes and the collector behind callout clusters.
 *
 * Both speak HTTP/2 without TLS (h2c, Envoy clusters with `http2_protocol_options`): request and response
 * trailers pass on every path, the headers that reach the server are exactly the header map Envoy forwards
 * (pseudo-headers included), and gRPC callouts can use the same servers later. Each server records every
 * request it receives; the runner sends requests strictly one after another and reads the records that
 * arrived in between.
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { HeaderList } from "../scenario/types";

export interface RecordedRequest {
  method: string;
  path: string;
  /** Every header field as received, lower-case names, in order, pseudo-headers included. */
  headers: HeaderList;
  /** UTF-8 text of the body (gRPC callouts: the unframed messages). */
  body: string;
  /** The body bytes as received. */
  rawBody: Buffer;
  trailers: HeaderList;
}

export interface ScriptedResponse {
  status: number;
  headers: HeaderList;
  body: string;
  /** How `body` becomes bytes: utf8 (default) or latin1 (binary, e.g. gRPC frames). */
  bodyEncoding?: "utf8" | "latin1";
  trailers: HeaderList;
  delayMs?: number;
}

export type Responder = (request: RecordedRequest) => ScriptedResponse;

function pairs(raw: string[]): HeaderList {
  const list: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) list.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return list;
}

/** An h2c server on 127.0.0.1 that records each request and answers it through a {@link Responder}. */
export class RecordingServer {
  readonly records: RecordedRequest[] = [];
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly server = http2.createServer();
  private boundPort = 0;

  private constructor(private readonly responder: Responder) {
    this.server.on("session", (session) => {
      this.sessions.add(session);
      session.on("close", () => this.sessions.delete(session));
    });
    this.server.on("request", (request, response) => this.handle(request, response));
  }

  /** Listens on 127.0.0.1:`port` (0 = any free port). */
  static async start(responder: Responder, port = 0): Promise<RecordingServer> {
    const recording = new RecordingServer(responder);
    await new Promise<void>((resolve, reject) => {
      recording.server.once("error", reject);
      recording.server.listen(port, "127.0.0.1", () => resolve());
    });
    recording.boundPort = (recording.server.address() as AddressInfo).port;
    return recording;
  }

  get port(): number {
    return this.boundPort;
  }

  /**
   * Records the request as soon as its headers arrive (so a request whose stream Envoy resets after forwarding
   * the headers still counts as having reached the server), appends body chunks as they come, and answers once
   * the request has ended.
   */
  private handle(request: http2.Http2ServerRequest, response: http2.Http2ServerResponse): void {
    const record: RecordedRequest = {
      method: request.method,
      path: request.url,
      headers: pairs(request.rawHeaders),
      body: "",
      rawBody: Buffer.alloc(0),
      trailers: [],
    };
    this.records.push(record);
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      record.rawBody = Buffer.concat(chunks);
      record.body = record.rawBody.toString("utf8");
    });
    request.on("end", () => {
      record.trailers = pairs(request.rawTrailers);
      let answer: ScriptedResponse;
      try {
        answer = this.responder(record);
      } catch (error) {
        answer = { status: 500, headers: [], body: `responder failed: ${(error as Error).message}`, trailers: [] };
      }
      if (answer.delayMs) setTimeout(() => send(response, answer), answer.delayMs);
      else send(response, answer);
    });
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function send(response: http2.Http2ServerResponse, answer: ScriptedResponse): void {
  if (response.stream.destroyed) return;
  // No automatic `date`: every header the client sees comes from the script or from Envoy.
  response.sendDate = false;
  response.statusCode = answer.status;
  const grouped = new Map<string, string[]>();
  for (const [name, value] of answer.headers) {
    const key = name.toLowerCase();
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  }
  const body = Buffer.from(answer.body, answer.bodyEncoding ?? "utf8");
  if (!grouped.has("content-length")) grouped.set("content-length", [String(body.length)]);
  for (const [name, values] of grouped) response.setHeader(name, values.length === 1 ? values[0]! : values);
  if (answer.trailers.length > 0) {
    const trailers: Record<string, string> = {};
    for (const [name, value] of answer.trailers) trailers[name.toLowerCase()] = value;
    response.addTrailers(trailers);
  }
  // An empty body without trailers ends the stream with the HEADERS frame (as an HTTP/1.1 upstream with
  // content-length 0 would), instead of a separate empty DATA frame.
  if (body.length === 0 && answer.trailers.length === 0) response.end();
  else response.end(body);
}

/**
 * The upstream behind every scenario route. Unless a request step scripts `upstream`, it answers 200 with
 * the request body echoed (and `content-length`); the scripted answer holds until {@link respondWith} is
 * called again.
 */
export class EchoUpstream {
  private next: Partial<ScriptedResponse> | undefined;

  private constructor(readonly server: RecordingServer) {}

  static async start(): Promise<EchoUpstream> {
    let upstream: EchoUpstream | undefined;
    const server = await RecordingServer.start((request) => upstream!.answer(request));
    upstream = new EchoUpstream(server);
    return upstream;
  }

  get port(): number {
    return this.server.port;
  }

  get records(): readonly RecordedRequest[] {
    return this.server.records;
  }

  respondWith(script: Partial<ScriptedResponse> | undefined): void {
    this.next = script;
  }

  private answer(request: RecordedRequest): ScriptedResponse {
    return {
      status: this.next?.status ?? 200,
      headers: this.next?.headers ?? [],
      body: this.next?.body ?? request.body,
      trailers: this.next?.trailers ?? [],
    };
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

/** One call that reached a callout cluster. */
export interface RecordedCallout extends RecordedRequest {
  cluster: string;
}

/** What a callout cluster does, from a scenario's `listener.clusters`. */
export interface CalloutClusterScript {
  respond?: { status?: number; headers?: Record<string, string>; body?: string; delayMs?: number };
  down?: boolean;
}

/** gRPC length-prefixed framing (gRPC over HTTP/2: 1 byte compressed flag, 4 bytes big-endian length). */
export function grpcFrame(message: string): string {
  const payload = Buffer.from(message, "utf8");
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(payload.length, 1);
  return Buffer.concat([prefix, payload]).toString("latin1");
}

/** The messages of a gRPC body, unframed and concatenated; the body itself when it is not well framed. */
export function grpcUnframe(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 5 <= body.length) {
    const length = body.readUInt32BE(offset + 1);
    if (offset + 5 + length > body.length) return body;
    parts.push(body.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
  return offset === body.length ? Buffer.concat(parts) : body;
}

/**
 * The servers behind a scenario's callout clusters: one h2c {@link RecordingServer} per answering cluster,
 * all appending to one ordered list of calls. A "down" cluster gets a port on which nothing listens, so
 * Envoy's connection is refused.
 *
 * A gRPC call (request `content-type: application/grpc…`) is recorded with its messages unframed, and
 * answered the gRPC way: status 200, `content-type: application/grpc`, the script's `body` as one framed
 * message (none when empty), the script's headers except `grpc-status`/`grpc-message`, which go into the
 * trailers (`grpc-status` defaults to 0).
 */
export class CalloutCollector {
  readonly calls: RecordedCallout[] = [];
  private readonly servers: RecordingServer[] = [];

  /** Starts the server for `cluster` (or reserves a dead port) and returns the port for the cluster. */
  async addCluster(cluster: string, script: CalloutClusterScript, deadPort: () => Promise<number>): Promise<number> {
    if (script.down) return deadPort();
    const respond = script.respond ?? {};
    const server = await RecordingServer.start((request): ScriptedResponse => {
      const grpc = request.headers.some(([name, value]) => name === "content-type" && value.startsWith("application/grpc"));
      if (!grpc) {
        this.calls.push({ cluster, ...request });
        return {
          status: respond.status ?? 200,
          headers: Object.entries(respond.headers ?? {}),
          body: respond.body ?? "",
          trailers: [],
          delayMs: respond.delayMs,
        };
      }
      this.calls.push({ cluster, ...request, body: grpcUnframe(request.rawBody).toString("utf8") });
      const headers: HeaderList = Object.entries(respond.headers ?? {});
      const isStatus = ([name]: [string, string]): boolean => name === "grpc-status" || name === "grpc-message";
      const trailers = headers.filter(isStatus);
      if (!trailers.some(([name]) => name === "grpc-status")) trailers.unshift(["grpc-status", "0"]);
      return {
        status: respond.status ?? 200,
        headers: [["content-type", "application/grpc"], ...headers.filter((pair) => !isStatus(pair))],
        body: respond.body ? grpcFrame(respond.body) : "",
        bodyEncoding: "latin1",
        trailers,
        delayMs: respond.delayMs,
      };
    });
    this.servers.push(server);
    return server.port;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((server) => server.close()));
  }
}
