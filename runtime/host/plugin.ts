// Contract between the local Functions host and its trigger/binding plugins.
// Trigger types are pluggable: HTTP, queue, timer and Event Grid are plugins of the host; the Durable Task
// engine (orchestrationTrigger, activityTrigger, entityTrigger, durableClient) is another plugin. Members may be
// added; existing ones keep their meaning because several modules code against them.
import type * as http from 'http';

/** RpcTypedData as the Node worker receives it from the host (see types-core of azure-functions-nodejs-library). */
export type RpcTypedData =
  | { string: string }
  | { json: string }
  | { bytes: Uint8Array }
  | { int: number }
  | { double: number }
  | {
      http: {
        method: string;
        url: string;
        headers: Record<string, string>;
        body?: { string?: string; bytes?: Uint8Array };
        params?: Record<string, string>;
        query?: Record<string, string>;
      };
    };

/** One binding of a registered function, as given to `registerFunction` (`direction` 'in' | 'out'). */
export interface BindingMetadata {
  type: string;
  direction: 'in' | 'out' | 'inout';
  [option: string]: unknown;
}

export interface RetryOptions {
  strategy: 'fixedDelay' | 'exponentialBackoff';
  maxRetryCount: number;
  delayInterval?: unknown;
  minimumInterval?: unknown;
  maximumInterval?: unknown;
}

/** A function the app registered through @azure/functions (app.http, app.storageQueue, df.app.orchestration, ...). */
export interface RegisteredFunction {
  name: string;
  /** Binding name -> binding. Exactly one binding has a type ending in 'Trigger'. */
  bindings: Record<string, BindingMetadata>;
  retryOptions?: RetryOptions;
  /** Name of the trigger binding and the binding itself. */
  triggerName: string;
  trigger: BindingMetadata;
}

export interface InvocationInput {
  /** Data for the trigger binding (by its binding name). */
  triggerData: RpcTypedData;
  /** Trigger metadata as the host sends it (keys in PascalCase or camelCase; the library camel-cases them). */
  triggerMetadata?: Record<string, RpcTypedData>;
  /** Extra input bindings' data by binding name (a plugin may supply them; see InputBindingProvider). */
  inputData?: Record<string, RpcTypedData>;
  /** Correlation: the id of the invocation (a GUID is generated when absent). */
  invocationId?: string;
  /**
   * W3C trace context of the invocation (`context.traceContext`), as the Functions host passes it: HTTP uses the
   * caller's `traceparent` (child span), the durable engine a child of the orchestration's. Absent: a new trace.
   */
  traceContext?: { traceParent: string; traceState?: string };
  /** Set by the host's retry policy on retries (context.retryContext in the function). */
  retryContext?: {
    retryCount: number;
    maxRetryCount: number;
    exception?: { message?: string; stackTrace?: string };
  };
}

export interface InvocationResult {
  /** The function's return value, converted to RpcTypedData by the library (undefined when none). */
  returnValue?: RpcTypedData;
  /** Output bindings by binding name. */
  outputData: Record<string, RpcTypedData | undefined>;
}

/** Supplies data for an input binding type (e.g. `durableClient`) at each invocation. */
export interface InputBindingProvider {
  bindingType: string;
  provide(
    fn: RegisteredFunction,
    bindingName: string,
    binding: BindingMetadata,
  ): Promise<RpcTypedData> | RpcTypedData;
}

/** What an output binding handler may need about the invocation (binding expressions such as `{queueTrigger}`). */
export interface OutputBindingContext {
  invocationId: string;
  /** Trigger metadata of the invocation as the host sent it. */
  triggerMetadata: Record<string, RpcTypedData>;
}

/** Writes an output binding's value (e.g. `queue`, `blob`) after a successful invocation. */
export interface OutputBindingHandler {
  bindingType: string;
  write(
    fn: RegisteredFunction,
    bindingName: string,
    binding: BindingMetadata,
    value: RpcTypedData,
    context?: OutputBindingContext,
  ): Promise<void>;
}

/** A raw HTTP handler mounted by a plugin under a path prefix (e.g. '/runtime/webhooks/eventgrid'). */
export type SystemRouteHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) => Promise<void> | void;

/** Access keys of the host (see docs/local-runtime.md): master (admin), function keys, and system keys of extensions. */
export interface HostKeys {
  masterKey: string;
  /** Host-level function keys by name (`default` always exists). */
  functionKeys: Record<string, string>;
  /** System keys by extension name, e.g. `eventgrid_extension`, `durabletask_extension` (created on first use). */
  systemKey(name: string): string;
  /** True when `presented` is the master key or any function key. */
  isFunctionKey(presented: string | undefined): boolean;
  /** True when `presented` is the master key or the named system key. */
  isSystemKey(name: string, presented: string | undefined): boolean;
  isMasterKey(presented: string | undefined): boolean;
}

export interface HostLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What the host offers to plugins. */
export interface HostServices {
  /** host.json parsed (with defaults applied by the host where documented). */
  hostJson: Record<string, unknown>;
  /** App settings (environment) as the app sees them. */
  settings: Readonly<Record<string, string | undefined>>;
  /** The app root folder (holds host.json and package.json). */
  appRoot: string;
  /** The data directory for durable local state of plugins. */
  dataDir: string;
  /** Base URL of the host's HTTP listener, e.g. http://127.0.0.1:7071 (no trailing slash). */
  baseUrl: string;
  /** All functions the app registered. */
  functions: ReadonlyMap<string, RegisteredFunction>;
  /** Invoke a function through the real @azure/functions programming model (input bindings and outputs handled). */
  invoke(functionName: string, input: InvocationInput): Promise<InvocationResult>;
  /** Mount a raw HTTP handler for a path prefix on the host's listener. */
  addSystemRoute(pathPrefix: string, handler: SystemRouteHandler): void;
  registerInputBinding(provider: InputBindingProvider): void;
  registerOutputBinding(handler: OutputBindingHandler): void;
  log: HostLogger;
  /** The host's keys (HTTP authLevel, system keys of webhooks). */
  keys: HostKeys;
  /** Worker capabilities the programming model reported (e.g. `HttpUri` when the app enabled HTTP streaming). */
  capabilities: Readonly<Record<string, string>>;
}

/** A trigger plugin serves every function whose trigger type it lists. */
export interface TriggerPlugin {
  /** e.g. ['queueTrigger'] */
  triggerTypes: string[];
  /** Called once after the app is loaded and the HTTP listener is up, with the functions of its trigger types. */
  start(host: HostServices, functions: RegisteredFunction[]): Promise<void>;
  /**
   * Graceful shutdown, step 1: stop taking new work (polling, timers, requests) and return soon. Do not wait for
   * in-flight invocations: the host waits for them, up to its shutdown deadline (HostOptions.shutdownTimeoutMs).
   */
  stop(): Promise<void>;
  /**
   * Graceful shutdown, step 2 (optional), after the host's drain: finish the bookkeeping of work whose invocation
   * ended (e.g. delete a processed queue message) and give back the work of invocations still running at the
   * deadline (e.g. make their queue messages visible again), since the process ends without them. `deadline`
   * (epoch ms) bounds it; the host does not wait longer.
   */
  release?(deadline: number): Promise<void>;
}
