// Runs one invocation through the app's programming model exactly as the Node worker does: getInvocationModel,
// getArguments, preInvocation hooks, invokeFunction, postInvocation hooks, getResponse; then hands output bindings to
// their handlers. Keeps track of in-flight invocations so the host can drain them at shutdown.
import { randomUUID } from 'crypto';
import { newRootTraceContext } from '../../shared/telemetry/traceContext';
import type { FunctionsCoreApi, InvocationLogContext, RpcLogCategory, RpcLogLevel } from './functionsCoreApi';
import type {
  InputBindingProvider,
  InvocationInput,
  InvocationResult,
  OutputBindingHandler,
  RegisteredFunction,
  RpcTypedData,
} from './plugin';

export interface RunningInvocation {
  functionName: string;
  invocationId: string;
  startedAt: number;
}

/** Bindings the host handles itself (not through output handlers). */
const hostHandledOutputTypes = new Set(['http']);

export class FunctionInvoker {
  readonly inputProviders = new Map<string, InputBindingProvider>();
  readonly outputHandlers = new Map<string, OutputBindingHandler>();
  private readonly inFlight = new Map<Promise<unknown>, RunningInvocation>();

  /**
   * `onFunctionTimeout` is called when an invocation exceeds host.json functionTimeout: the invocation fails with
   * a timeout error, but its code cannot be stopped, so the host shuts down as the Functions host does.
   */
  constructor(
    private readonly core: FunctionsCoreApi,
    private readonly functions: ReadonlyMap<string, RegisteredFunction>,
    private readonly functionTimeoutMs: number | undefined,
    private readonly onFunctionTimeout?: (functionName: string, invocationId: string) => void,
  ) {}

  /** Invocations under way (for the shutdown log). */
  running(): RunningInvocation[] {
    return [...this.inFlight.values()];
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Binding types of in/out bindings that no provider/handler serves (checked at startup). */
  unservedBindings(): string[] {
    const problems: string[] = [];
    for (const fn of this.functions.values()) {
      for (const [name, b] of Object.entries(fn.bindings)) {
        if (name === fn.triggerName) continue;
        const type = b.type.toLowerCase();
        if (b.direction === 'in' && !this.providerFor(type)) {
          problems.push(
            `function "${fn.name}": input binding "${name}" of type "${b.type}" (no plugin provides it)`,
          );
        } else if (b.direction === 'out' && !hostHandledOutputTypes.has(type) && !this.handlerFor(type)) {
          problems.push(
            `function "${fn.name}": output binding "${name}" of type "${b.type}" (no plugin writes it)`,
          );
        }
      }
    }
    return problems;
  }

  invoke(functionName: string, input: InvocationInput): Promise<InvocationResult> {
    const invocationId = input.invocationId ?? randomUUID();
    const p = this.run(functionName, { ...input, invocationId });
    this.inFlight.set(p, { functionName, invocationId, startedAt: Date.now() });
    const forget = (): void => {
      this.inFlight.delete(p);
    };
    p.then(forget, forget);
    return p;
  }

  /** Waits for in-flight invocations until `deadlineMs` from now; returns how many were still running. */
  async drain(deadlineMs: number): Promise<number> {
    const deadline = Date.now() + deadlineMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight.keys()]),
        new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
    }
    return this.inFlight.size;
  }

  private providerFor(type: string): InputBindingProvider | undefined {
    return this.inputProviders.get(type.toLowerCase());
  }

  private handlerFor(type: string): OutputBindingHandler | undefined {
    return this.outputHandlers.get(type.toLowerCase());
  }

  private async run(functionName: string, input: InvocationInput): Promise<InvocationResult> {
    const fn = this.functions.get(functionName);
    if (!fn) throw new Error(`No function named "${functionName}" is registered.`);
    const registration = this.core.functions.get(functionName);
    if (!registration) throw new Error(`Function "${functionName}" has no registered callback.`);
    const pm = this.core.programmingModel;
    if (!pm) throw new Error('The app did not set a programming model (is @azure/functions v4 loaded?).');

    const invocationId = input.invocationId ?? randomUUID();
    const inputData: { name: string; data: RpcTypedData }[] = [
      { name: fn.triggerName, data: input.triggerData },
    ];
    for (const [name, binding] of Object.entries(fn.bindings)) {
      if (name === fn.triggerName || binding.direction !== 'in') continue;
      let data = input.inputData?.[name];
      if (data === undefined) {
        const provider = this.providerFor(binding.type);
        if (!provider) {
          throw new Error(
            `Function "${fn.name}": no plugin provides input binding "${name}" of type "${binding.type}".`,
          );
        }
        data = await provider.provide(fn, name, binding);
      }
      inputData.push({ name, data });
    }
    const triggerMetadata = input.triggerMetadata ?? {};
    // Every invocation belongs to a trace, as on Azure: a trigger without a caller context starts a new one.
    const traceContext = input.traceContext ?? newRootTraceContext();

    const core = this.core;
    const logTarget: { functionName: string; invocationId: string; logContext?: InvocationLogContext } = {
      functionName,
      invocationId,
    };
    const coreCtx = {
      invocationId,
      state: undefined as 'preInvocationHooks' | 'postInvocationHooks' | 'invocation' | undefined,
      metadata: {
        name: fn.name,
        functionId: fn.name,
        bindings: fn.bindings,
        retryOptions: registration.metadata.retryOptions,
        scriptFile: registration.scriptFile,
      },
      request: {
        invocationId,
        functionId: fn.name,
        inputData,
        triggerMetadata,
        retryContext: input.retryContext,
        traceContext: {
          traceParent: traceContext.traceParent,
          traceState: traceContext.traceState,
          attributes: {},
        },
      },
      log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
        core.log(level, category, message, logTarget);
      },
    };

    const started = Date.now();
    core.log(
      'information',
      'system',
      `Executing 'Functions.${functionName}' (Id=${invocationId})`,
      logTarget,
    );
    try {
      const invocationModel = await pm.getInvocationModel(coreCtx);
      const { context, inputs: initialInputs } = await invocationModel.getArguments();
      const hookData: Record<string, unknown> = {};
      logTarget.logContext = { hookData, invocationContext: context };

      const preContext = readonlyHookContext(hookData, core.appHookData, context, {
        inputs: initialInputs,
        functionCallback: registration.callback,
      });
      coreCtx.state = 'preInvocationHooks';
      try {
        await core.executeHooks('preInvocation', preContext);
      } finally {
        coreCtx.state = undefined;
      }

      const postContext = readonlyHookContext(hookData, core.appHookData, context, {
        inputs: preContext.inputs,
        result: null as unknown,
        error: null as unknown,
      });
      coreCtx.state = 'invocation';
      try {
        postContext.result = await this.withTimeout(
          invocationModel.invokeFunction(context, preContext.inputs, preContext.functionCallback),
          functionName,
          invocationId,
        );
      } catch (err: unknown) {
        postContext.error = err;
      } finally {
        coreCtx.state = undefined;
      }
      coreCtx.state = 'postInvocationHooks';
      try {
        await core.executeHooks('postInvocation', postContext);
      } finally {
        coreCtx.state = undefined;
      }
      if (postContext.error !== null && postContext.error !== undefined) throw postContext.error;

      const response = await invocationModel.getResponse(context, postContext.result);
      const outputData: Record<string, RpcTypedData | undefined> = {};
      for (const entry of response.outputData ?? []) {
        if (entry.name) outputData[entry.name] = entry.data as RpcTypedData | undefined;
      }
      const returnValue = (response.returnValue ?? undefined) as RpcTypedData | undefined;
      await this.writeOutputs(fn, outputData, returnValue, { invocationId, triggerMetadata });
      core.log(
        'information',
        'system',
        `Executed 'Functions.${functionName}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`,
        logTarget,
      );
      return { returnValue, outputData };
    } catch (err: unknown) {
      const e = err instanceof Error ? err : new Error(String(err));
      core.log(
        'error',
        'system',
        `Executed 'Functions.${functionName}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms): ${
          e.stack ?? e.message
        }`,
        logTarget,
      );
      // The original error, so plugins see what the function threw (e.g. durable's OrchestrationFailureError).
      throw err;
    }
  }

  private async writeOutputs(
    fn: RegisteredFunction,
    outputData: Record<string, RpcTypedData | undefined>,
    returnValue: RpcTypedData | undefined,
    context: { invocationId: string; triggerMetadata: Record<string, RpcTypedData> },
  ): Promise<void> {
    for (const [name, binding] of Object.entries(fn.bindings)) {
      if (binding.direction !== 'out' || hostHandledOutputTypes.has(binding.type.toLowerCase())) continue;
      const value = name === '$return' ? returnValue : outputData[name];
      if (value === undefined || value === null) continue;
      const handler = this.handlerFor(binding.type);
      if (!handler)
        throw new Error(`Function "${fn.name}": no plugin writes output binding type "${binding.type}".`);
      await handler.write(fn, name, binding, value, context);
    }
  }

  private withTimeout<T>(p: Promise<T>, functionName: string, invocationId: string): Promise<T> {
    const limit = this.functionTimeoutMs;
    if (!limit) return p;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new Error(
            `Timeout value of ${limit} ms exceeded by function 'Functions.${functionName}' (Id: '${invocationId}'). Initiating cancellation.`,
          ),
        );
        // The code keeps running (nothing can stop it in this process): as on Azure, the host shuts down.
        this.onFunctionTimeout?.(functionName, invocationId);
      }, limit);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}

/** Hook context whose hookData, appHookData and invocationContext cannot be replaced (the worker's ReadOnlyError). */
function readonlyHookContext<T extends object>(
  hookData: Record<string, unknown>,
  appHookData: Record<string, unknown>,
  invocationContext: unknown,
  mutable: T,
): T & { readonly hookData: Record<string, unknown>; readonly appHookData: Record<string, unknown> } {
  const ctx = mutable as T & { hookData: Record<string, unknown>; appHookData: Record<string, unknown> };
  const readOnly = (name: string, value: unknown): PropertyDescriptor => ({
    enumerable: true,
    get: () => value,
    set: () => {
      throw new Error(`Cannot assign "${name}" because it is a read-only property.`);
    },
  });
  Object.defineProperty(ctx, 'hookData', readOnly('hookData', hookData));
  Object.defineProperty(ctx, 'appHookData', readOnly('appHookData', appHookData));
  Object.defineProperty(ctx, 'invocationContext', readOnly('invocationContext', invocationContext));
  return ctx;
}
