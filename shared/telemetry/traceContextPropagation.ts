// Makes an invocation's W3C trace context the active OpenTelemetry context while its function runs, so libraries
// that propagate context do so: the durable-functions client sends `traceparent` when it starts an orchestration or
// signals an entity, and the durable engine (local, or the extension on Azure) parents the orchestration under it.
import { AsyncLocalStorage } from 'async_hooks';
import {
  context as otelContext,
  createTraceState,
  propagation,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type ContextManager,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { formatTraceParent, parseTraceParent, type TraceContext } from './traceContext';

/** Context manager on AsyncLocalStorage (what @opentelemetry/context-async-hooks does), for when no SDK set one. */
class AsyncLocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(context, () => fn.call(thisArg, ...args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (...args: unknown[]): unknown =>
      this.storage.run(context, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** W3C traceparent/tracestate propagator (what @opentelemetry/core's W3CTraceContextPropagator does). */
class TraceParentPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const span = trace.getSpanContext(context);
    if (!span || !trace.isSpanContextValid(span)) return;
    setter.set(
      carrier,
      'traceparent',
      formatTraceParent({ traceId: span.traceId, spanId: span.spanId, flags: span.traceFlags }),
    );
    const state = span.traceState?.serialize();
    if (state) setter.set(carrier, 'tracestate', state);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, 'traceparent');
    const parts = parseTraceParent(Array.isArray(header) ? header[0] : header);
    if (!parts) return context;
    const state = getter.get(carrier, 'tracestate');
    const stateText = Array.isArray(state) ? state.join(',') : state;
    return trace.setSpanContext(context, {
      traceId: parts.traceId,
      spanId: parts.spanId,
      traceFlags: parts.flags & TraceFlags.SAMPLED,
      isRemote: true,
      traceState: stateText ? createTraceState(stateText) : undefined,
    });
  }

  fields(): string[] {
    return ['traceparent', 'tracestate'];
  }
}

let ensured = false;

/**
 * Registers a context manager and a W3C propagator unless an OpenTelemetry SDK (the Application Insights adapter)
 * already did: create the telemetry first, then call this.
 */
export function ensureTraceContextPropagation(): void {
  if (ensured) return;
  ensured = true;
  // Both calls refuse (return false) when something is already registered: the SDK's own ones then stay.
  otelContext.setGlobalContextManager(new AsyncLocalContextManager());
  propagation.setGlobalPropagator(new TraceParentPropagator());
}

/** Runs `fn` with `traceContext` as the active OpenTelemetry span context (unchanged when absent or malformed). */
export function runInTraceContext<T>(traceContext: Partial<TraceContext> | undefined, fn: () => T): T {
  const parts = parseTraceParent(traceContext?.traceParent);
  if (!parts) return fn();
  const active = trace.setSpanContext(otelContext.active(), {
    traceId: parts.traceId,
    spanId: parts.spanId,
    traceFlags: parts.flags & TraceFlags.SAMPLED,
    isRemote: true,
    traceState: traceContext?.traceState ? createTraceState(traceContext.traceState) : undefined,
  });
  return otelContext.with(active, fn);
}

/**
 * The active OpenTelemetry span context as a W3C trace context (inside a function: its invocation's, or a span the
 * SDK started within it); undefined outside any trace. For context that must travel in a message, not a header.
 */
export function activeTraceContext(): TraceContext | undefined {
  const span = trace.getSpanContext(otelContext.active());
  if (!span || !trace.isSpanContextValid(span)) return undefined;
  const active: TraceContext = {
    traceParent: formatTraceParent({ traceId: span.traceId, spanId: span.spanId, flags: span.traceFlags }),
  };
  const state = span.traceState?.serialize();
  if (state) active.traceState = state;
  return active;
}
