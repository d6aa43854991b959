// One call from the app's entry file makes every function run inside its invocation's trace context (a
// preInvocation hook), so outgoing calls carry `traceparent`: the durable client's start/signal requests, which
// the durable engine turns into the orchestration's parent; and reports every failed invocation (activity,
// trigger, orchestrator episode as the worker hands it back) as one exception in its trace (a postInvocation hook).
// Typed structurally: no Azure SDK import here.
import { parseTraceParent } from './traceContext';
import { ensureTraceContextPropagation, runInTraceContext } from './traceContextPropagation';
import type { Telemetry } from './telemetry';
import { getTelemetryHandle } from './telemetryFactory';

/** The part of @azure/functions' PreInvocationContext this hook uses. */
export interface PreInvocationTraceHookContext {
  invocationContext: { traceContext?: { traceParent?: string | null; traceState?: string | null } };
  functionHandler: (...args: never[]) => unknown;
}

/** The part of @azure/functions' PostInvocationContext this hook uses. */
export interface PostInvocationTraceHookContext {
  invocationContext: InvocationIdentity;
  /** What the function threw (null or undefined when it succeeded). */
  error: unknown;
}

/** What an invocation's telemetry is bound to: its trace context and names. */
export interface InvocationIdentity {
  traceContext?: { traceParent?: string | null; traceState?: string | null };
  invocationId?: string;
  functionName?: string;
}

/** The part of @azure/functions' `app` this needs (pass `app`). */
export interface AppWithHooks {
  hook: {
    preInvocation(handler: (context: PreInvocationTraceHookContext) => void): unknown;
    postInvocation(handler: (context: PostInvocationTraceHookContext) => void): unknown;
  };
}

/**
 * durable-functions reports a failed orchestrator episode by throwing an error whose message appends the
 * orchestrator's whole state (its actions with their inputs) after this label: only the part before it is kept.
 */
const outOfProcDataLabel = '$OutOfProcData$';

/** The thrown value as reported: an orchestrator failure without the state the library appended to its message. */
export function reportedInvocationError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const at = error.message.indexOf(outOfProcDataLabel);
  if (at < 0) return error;
  const reported = new Error(error.message.slice(0, at).trimEnd());
  reported.name = error.name;
  if (error.stack) {
    const stackAt = error.stack.indexOf(outOfProcDataLabel);
    reported.stack = stackAt < 0 ? error.stack : error.stack.slice(0, stackAt).trimEnd();
  }
  return reported;
}

/** Tracks a failed invocation's error as one exception in its trace, with the function's name. */
export function trackInvocationFailure(context: PostInvocationTraceHookContext): void {
  if (context.error === null || context.error === undefined) return;
  invocationTelemetry(context.invocationContext).exception(reportedInvocationError(context.error), {
    failedInvocation: true,
  });
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
  app.hook.postInvocation(trackInvocationFailure);
}

/** The invocation's telemetry: the process telemetry bound to `context.traceContext` (use in every handler). */
export function invocationTelemetry(context: InvocationIdentity): Telemetry {
  const traceParent = context.traceContext?.traceParent ?? undefined;
  const bound = getTelemetryHandle().telemetry.withCorrelation(
    traceParent ? { traceParent, traceState: context.traceContext?.traceState ?? undefined } : undefined,
  );
  return bound.withProperties({ invocationId: context.invocationId, functionName: context.functionName });
}
