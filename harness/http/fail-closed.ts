/**
 * What Envoy runs for a fail-closed plugin whose VM has failed: a `Context` with no VM
 * (`FilterConfig::createFilter` → `Context(nullptr, 0, plugin)`). Its first callback sends the single
 * `wasm_fail_stream` 503 reply (gRPC UNAVAILABLE) and stops; encoder callbacks skip it afterwards
 * (cpp-host `CHECK_FAIL`, Envoy `Context::failStream`, host-behaviour.md F.24).
 */
import type { HeaderMap } from "../state/header-map";
import {
  FilterDataStatus,
  FilterHeadersStatus,
  FilterTrailersStatus,
  type HttpFilter,
  type HttpFilterCallbacks,
} from "./types";

export class FailClosedFilter implements HttpFilter {
  private callbacks: HttpFilterCallbacks | null = null;
  private created = false;
  private replySent = false;

  constructor(readonly name: string) {}

  setCallbacks(cb: HttpFilterCallbacks): void {
    this.callbacks = cb;
  }

  private fail(): void {
    if (this.replySent || !this.callbacks) return;
    this.replySent = true;
    this.callbacks.sendLocalReply(503, "", null, 14, "wasm_fail_stream");
  }

  decodeHeaders(_h: HeaderMap, _e: boolean): FilterHeadersStatus {
    this.created = true;
    this.fail();
    return FilterHeadersStatus.StopAllIterationAndWatermark;
  }

  decodeData(): FilterDataStatus {
    if (!this.created) return FilterDataStatus.Continue;
    this.fail();
    return FilterDataStatus.StopIterationNoBuffer;
  }

  decodeTrailers(): FilterTrailersStatus {
    if (!this.created) return FilterTrailersStatus.Continue;
    this.fail();
    return FilterTrailersStatus.StopIteration;
  }

  encodeHeaders(): FilterHeadersStatus {
    return FilterHeadersStatus.Continue;
  }

  encodeData(): FilterDataStatus {
    return FilterDataStatus.Continue;
  }

  encodeTrailers(): FilterTrailersStatus {
    return FilterTrailersStatus.Continue;
  }

  log(): void {
    this.created = true;
  }
}
