/**
 * `hello`: sets one response header, taken from the configuration, on every response (upstream responses and
 * local replies alike).
 */

import { Action, HttpContext, Log, RootContext } from "../../assembly";
import { EXPECTED_SHAPE, HelloConfig, parseHelloConfig } from "./config";

/** Logged at CRITICAL, followed by the first problem, when the configuration is rejected. */
export const LOG_INVALID_CONFIGURATION = "hello: invalid configuration: ";

/** The plugin: validates the configuration once and hands it to every stream. */
export class HelloRoot extends RootContext {
  private config: HelloConfig | null = null;

  /** Fails closed: an unusable configuration is rejected (Envoy refuses the plugin), never half-applied. */
  onConfigure(pluginConfigurationSize: usize): bool {
    const result = parseHelloConfig(this.getPluginConfiguration());
    const config = result.config;
    const error = result.error;
    if (config === null) {
      Log.critical(LOG_INVALID_CONFIGURATION + (error !== null ? error : "") + "; expected " + EXPECTED_SHAPE);
      return false;
    }
    this.config = config;
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    const config = this.config;
    // Envoy creates streams only for a root whose onConfigure succeeded, so config is set here.
    return config !== null ? new HelloFilter(contextId, this, config) : null;
  }
}

/** One request: sets the configured header on its response. */
export class HelloFilter extends HttpContext {
  constructor(
    contextId: u32,
    root: RootContext,
    private readonly config: HelloConfig,
  ) {
    super(contextId, root);
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.responseHeaders.replace(this.config.header, this.config.value);
    return Action.Continue;
  }
}
