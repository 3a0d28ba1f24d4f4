/**
 * probe-shared: shared data (proxy_get_shared_data, proxy_set_shared_data with CAS) and shared queues
 * (proxy_register/resolve/enqueue/dequeue_shared_queue, proxy_on_queue_ready). The root registers queue
 * `probe-queue` in onConfigure; each request does the operation named by its `x-probe` header:
 * `data` (CAS sequence on key `probe-key`), `enqueue` (enqueue the `x-item` header's value), `resolve`.
 * `onQueueReady` drains the queue and logs every item.
 */

export * from "../../assembly/exports";
import {
  Action,
  HttpContext,
  RootContext,
  dequeueSharedQueue,
  enqueueSharedQueue,
  getSharedData,
  registerRootContext,
  registerSharedQueue,
  resolveSharedQueue,
  setSharedData,
} from "../../assembly";
import { quote, report, statusName, utf8 } from "./lib/report";

const P = "shared";

class SharedProbe extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const action = this.requestHeaders.get("x-probe");
    if (action == "data") {
      report(P, "get missing", getSharedData("probe-missing") === null ? "null" : "value");
      report(P, "set unconditional", statusName(setSharedData("probe-key", utf8("v1"))));
      const first = getSharedData("probe-key");
      report(P, "get", first === null ? "null" : quote(String.UTF8.decode(first.value)) + " cas>0 " + (first.cas > 0 ? "true" : "false"));
      if (first !== null) {
        report(P, "set with current cas", statusName(setSharedData("probe-key", utf8("v2"), first.cas)));
        report(P, "set with stale cas", statusName(setSharedData("probe-key", utf8("v3"), first.cas)));
        const second = getSharedData("probe-key");
        report(P, "after", second === null ? "null" : quote(String.UTF8.decode(second.value)) + " cas changed " + (second.cas != first.cas ? "true" : "false"));
      }
      report(P, "set empty value", statusName(setSharedData("probe-empty", new ArrayBuffer(0))));
      const empty = getSharedData("probe-empty");
      report(P, "get empty value", empty === null ? "null" : empty.value.byteLength.toString());
    } else if (action == "enqueue") {
      const item = this.requestHeaders.get("x-item");
      const root = <SharedRoot>this.root;
      report(P, "enqueue", statusName(enqueueSharedQueue(root.queueId, utf8(item !== null ? item : ""))));
      report(P, "enqueue unknown queue", statusName(enqueueSharedQueue(999999, utf8("x"))));
    } else if (action == "resolve") {
      const root = <SharedRoot>this.root;
      const resolved = resolveSharedQueue("", "probe-queue");
      report(P, "resolve same as registered", resolved == root.queueId ? "true" : resolved.toString());
      report(P, "resolve missing", resolveSharedQueue("", "no-such-queue").toString());
      report(P, "dequeue empty", dequeueSharedQueue(root.queueId) === null ? "null" : "value");
      report(P, "dequeue unknown", dequeueSharedQueue(999999) === null ? "null" : "value");
    }
    return Action.Continue;
  }
}

class SharedRoot extends RootContext {
  queueId: u32 = 0;

  onConfigure(pluginConfigurationSize: usize): bool {
    this.queueId = registerSharedQueue("probe-queue");
    report(P, "register", this.queueId != 0 ? "token" : "0");
    report(P, "register again same token", registerSharedQueue("probe-queue") == this.queueId ? "true" : "false");
    return true;
  }

  onQueueReady(queueId: u32): void {
    report(P, "queue ready", queueId == this.queueId ? "probe-queue" : queueId.toString());
    for (;;) {
      const item = dequeueSharedQueue(queueId);
      if (item === null) break;
      report(P, "dequeued", quote(String.UTF8.decode(item)));
    }
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new SharedProbe(contextId, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new SharedRoot(contextId));
