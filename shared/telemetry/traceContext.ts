// W3C Trace Context (traceparent/tracestate): parsing, new roots and child spans. The local host and durable engine
// use it to hand every invocation the context Azure would hand it; the telemetry adapters map it to operation ids.
import { randomBytes } from 'crypto';

/** The trace context an invocation receives (`InvocationContext.traceContext` of @azure/functions, minus attributes). */
export interface TraceContext {
  traceParent: string;
  traceState?: string;
}

/** The parts of a traceparent: `00-<traceId 32 hex>-<spanId 16 hex>-<flags 2 hex>`. */
export interface TraceParentParts {
  traceId: string;
  spanId: string;
  /** Bit 0 set: the caller sampled this trace. */
  flags: number;
}

const traceParentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a traceparent; undefined when malformed or when it uses the invalid all-zero ids (the spec says: ignore it). */
export function parseTraceParent(text: string | null | undefined): TraceParentParts | undefined {
  if (typeof text !== 'string') return undefined;
  const match = traceParentPattern.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  // Version ff is forbidden; version 00 has nothing after the flags (later versions may append fields).
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

export function formatTraceParent(parts: TraceParentParts): string {
  return `00-${parts.traceId}-${parts.spanId}-${(parts.flags & 0xff).toString(16).padStart(2, '0')}`;
}

function randomHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(hex)) return hex;
  }
}

export function newSpanId(): string {
  return randomHex(8);
}

/** A new trace (a trigger with no caller context): sampled, so the first hop's telemetry is kept. */
export function newRootTraceContext(): TraceContext {
  return { traceParent: formatTraceParent({ traceId: randomHex(16), spanId: newSpanId(), flags: 1 }) };
}

/** A child span of `parent` (same trace id and flags, new span id, tracestate carried); a new root when absent or malformed. */
export function childTraceContext(parent: TraceContext | string | undefined): TraceContext {
  const parentContext = typeof parent === 'string' ? { traceParent: parent } : parent;
  const parts = parseTraceParent(parentContext?.traceParent);
  if (!parts) return newRootTraceContext();
  const child: TraceContext = { traceParent: formatTraceParent({ ...parts, spanId: newSpanId() }) };
  if (parentContext?.traceState) child.traceState = parentContext.traceState;
  return child;
}
