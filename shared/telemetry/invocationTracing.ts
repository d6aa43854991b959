// One call from the app's entry file makes every function run inside its invocation's trace context (a
// preInvocation hook), so outgoing calls carry `traceparent`: the durable client's start/signal requests, which
// the durable engine turns into the orchestration's parent. Typed structurally: no Azure SDK import here.
import { parseTraceParent } from './traceContext';
import { ensureTraceContextPropagation, runInTraceContext } from './traceContextPropagation';
import type { Telemetry } from './telemetry';
import { getTelemetryHandle } from './telemetryFactory';

/** The part of @azure/functions' PreInvocationContext this hook uses. */
export interface PreInvocationTraceHookContext {
  invocationContext: { traceContext?: { traceParent?: string | null; traceState?: string | null } };
  functionHandler: (...args: never[]) => unknown;
}

/** The part of @azure/functions' `app` this needs (pass `app`). */
export interface AppWithHooks {
  hook: { preInvocation(handler: (context: PreInvocationTraceHookContext) => void): unknown };
}

export function registerInvocationTracing(app: AppWithHooks): void {
  // The telemetry first: when it is Application Insights, its SDK registers the context machinery and ours stays out.
  getTelemetryHandle();
  ensureTraceContextPropagation();
  app.hook.preInvocation((hookContext) => {
    const traceContext = hookContext.invocationContext.traceContext;
    if (!parseTraceParent(traceContext?.traceParent)) return;
    const callback = hookContext.functionHandler;
    const active = {
      traceParent: traceContext?.traceParent ?? undefined,
      traceState: traceContext?.traceState ?? undefined,
    };
    hookContext.functionHandler = (...args: never[]) => runInTraceContext(active, () => callback(...args));
  });
}

/** The invocation's telemetry: the process telemetry bound to `context.traceContext` (use in every handler). */
export function invocationTelemetry(context: {
  traceContext?: { traceParent?: string | null; traceState?: string | null };
  invocationId?: string;
  functionName?: string;
}): Telemetry {
  const traceParent = context.traceContext?.traceParent ?? undefined;
  const bound = getTelemetryHandle().telemetry.withCorrelation(
    traceParent ? { traceParent, traceState: context.traceContext?.traceState ?? undefined } : undefined,
  );
  return bound.withProperties({ invocationId: context.invocationId, functionName: context.functionName });
}
