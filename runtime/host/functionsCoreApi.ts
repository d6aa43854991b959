// The `@azure/functions-core` module that the Azure Functions Node worker injects at run time, played by the local
// host: function registration, the programming model, lifecycle/log hooks and system logging, as the worker does them.
import type { BindingMetadata } from './plugin';

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';
export type FunctionCallback = (...args: unknown[]) => unknown;
export type HookData = Record<string, unknown>;
export type HookName = 'preInvocation' | 'postInvocation' | 'appStart' | 'appTerminate' | 'log';
export type HookCallback = (context: unknown) => unknown;

/** Metadata as `registerFunction` receives it (durations in retryOptions are `{ seconds }`). */
export interface CoreFunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, BindingMetadata>;
  retryOptions?: Record<string, unknown> | null;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: Record<string, unknown>;
  metadata: Record<string, unknown>;
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export interface CoreInvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<CoreInvocationResponse>;
}

export interface CoreInvocationResponse {
  invocationId?: string | null;
  outputData?: { name?: string | null; data?: unknown }[] | null;
  returnValue?: unknown;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): CoreInvocationModel | Promise<CoreInvocationModel>;
  getCapabilities?(
    defaults: Record<string, string>,
  ): Record<string, string> | Promise<Record<string, string>>;
}

export interface CoreRegisteredFunction {
  metadata: CoreFunctionMetadata;
  callback: FunctionCallback;
  /** Entry point file that was loading when the function registered (as the worker records scriptFile). */
  scriptFile?: string;
}

/** Where system and user log lines go; `invocation` is set for logs made during an invocation. */
export type LogSink = (
  level: RpcLogLevel,
  category: RpcLogCategory,
  message: string,
  invocation?: { functionName: string; invocationId: string },
) => void;

/** Same semantics as the worker's Disposable (types-core `Disposable`). */
export class Disposable {
  static from(...disposableLikes: { dispose: () => unknown }[]): Disposable {
    let pending: { dispose: () => unknown }[] | undefined = disposableLikes;
    return new Disposable(() => {
      if (pending) {
        for (const d of pending) {
          if (d && typeof d.dispose === 'function') d.dispose();
        }
        pending = undefined;
      }
    });
  }

  #callOnDispose: (() => unknown) | undefined;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): unknown {
    const fn = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return typeof fn === 'function' ? fn() : undefined;
  }
}

/** The log context during an invocation, so log hooks see the invocation's hookData and context. */
export interface InvocationLogContext {
  hookData: HookData;
  invocationContext: unknown;
}

const hookNames: readonly HookName[] = ['preInvocation', 'postInvocation', 'appStart', 'appTerminate', 'log'];

/** App-level state of the core API: one per process, like the worker's AppContext. */
export class FunctionsCoreApi {
  readonly version = '3.12.0-local';
  readonly hostVersion = '4.1037.0-local';
  readonly functions = new Map<string, CoreRegisteredFunction>();
  readonly appHookData: HookData = {};
  readonly appLevelOnlyHookData: HookData = {};
  programmingModel: ProgrammingModel | undefined;
  /** Set while an entry point file is being loaded (recorded as the functions' scriptFile). */
  currentEntryPoint: string | undefined;
  private indexingLocked = false;
  private readonly hooks = new Map<HookName, HookCallback[]>(hookNames.map((n) => [n, []]));
  private sink: LogSink;

  constructor(sink: LogSink) {
    this.sink = sink;
  }

  setLogSink(sink: LogSink): void {
    this.sink = sink;
  }

  /** Registration is only allowed while the app starts (the worker locks it after indexing). */
  lockIndexing(): void {
    this.indexingLocked = true;
  }

  /** Forget the app's functions and hooks (a new app load in the same process). The programming model stays: the library sets it once per process. */
  resetApp(): void {
    this.functions.clear();
    for (const list of this.hooks.values()) list.length = 0;
    for (const k of Object.keys(this.appHookData)) delete this.appHookData[k];
    for (const k of Object.keys(this.appLevelOnlyHookData)) delete this.appLevelOnlyHookData[k];
    this.indexingLocked = false;
  }

  registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): Disposable {
    if (this.indexingLocked) throw new Error('A function can only be registered during app startup.');
    if (!metadata || typeof metadata.name !== 'string' || metadata.name.length === 0) {
      throw new Error('registerFunction: metadata.name must be a non-empty string.');
    }
    if (!metadata.bindings || typeof metadata.bindings !== 'object') {
      throw new Error(
        `registerFunction: metadata.bindings of function "${metadata.name}" must be an object.`,
      );
    }
    if (typeof callback !== 'function') {
      throw new Error(`registerFunction: the callback of function "${metadata.name}" must be a function.`);
    }
    const functionId = metadata.functionId || metadata.name;
    if (this.functions.has(functionId)) {
      throw new Error(`A function with id "${functionId}" has already been registered.`);
    }
    this.functions.set(functionId, { metadata, callback, scriptFile: this.currentEntryPoint });
    return new Disposable(() => {
      if (this.indexingLocked) throw new Error('A function can only be disposed during app startup.');
      this.functions.delete(functionId);
    });
  }

  registerHook(hookName: string, callback: HookCallback): Disposable {
    const list = this.hooks.get(hookName as HookName);
    if (!list)
      throw new Error(`"${hookName}" is not a valid hook name. Valid hook names: ${hookNames.join(', ')}.`);
    if (typeof callback !== 'function')
      throw new Error(`registerHook("${hookName}"): callback must be a function.`);
    list.push(callback);
    return new Disposable(() => {
      const i = list.indexOf(callback);
      if (i >= 0) list.splice(i, 1);
    });
  }

  setProgrammingModel(programmingModel: ProgrammingModel): void {
    this.programmingModel = programmingModel;
  }

  getProgrammingModel(): ProgrammingModel | undefined {
    return this.programmingModel;
  }

  /** Hooks run in registration order; a throwing hook stops the chain (as in the worker). */
  async executeHooks(hookName: Exclude<HookName, 'log'>, context: unknown): Promise<void> {
    for (const cb of [...(this.hooks.get(hookName) ?? [])]) {
      await cb(context);
    }
  }

  /**
   * One log line: log hooks see it first and may change level/message of user logs (never system logs), then the
   * sink prints it. Hook errors are ignored so that user hooks cannot suppress logs, as in the worker.
   */
  log(
    level: RpcLogLevel,
    category: RpcLogCategory,
    message: string,
    invocation?: { functionName: string; invocationId: string; logContext?: InvocationLogContext },
  ): void {
    let finalLevel = level;
    let finalMessage = message;
    const logHooks = this.hooks.get('log') ?? [];
    if (logHooks.length > 0) {
      const hookData = invocation?.logContext?.hookData ?? this.appLevelOnlyHookData;
      const ctx = {
        hookData,
        appHookData: this.appHookData,
        invocationContext: invocation?.logContext?.invocationContext,
        category,
        level,
        message,
      };
      try {
        for (const cb of [...logHooks]) cb(ctx);
        if (category === 'user') {
          finalLevel = ctx.level;
          finalMessage = ctx.message;
        }
      } catch {
        // Ignored on purpose (see above).
      }
    }
    this.sink(
      finalLevel,
      category,
      finalMessage,
      invocation && { functionName: invocation.functionName, invocationId: invocation.invocationId },
    );
  }

  /** The object `require('@azure/functions-core')` returns. */
  toModule(): Record<string, unknown> {
    return {
      version: this.version,
      hostVersion: this.hostVersion,
      Disposable,
      registerFunction: (metadata: CoreFunctionMetadata, callback: FunctionCallback) =>
        this.registerFunction(metadata, callback),
      registerHook: (hookName: string, callback: HookCallback) => this.registerHook(hookName, callback),
      setProgrammingModel: (pm: ProgrammingModel) => this.setProgrammingModel(pm),
      getProgrammingModel: () => this.getProgrammingModel(),
      log: (level: RpcLogLevel, category: RpcLogCategory, message: string) =>
        this.log(level, category, message),
    };
  }
}
