// The telemetry port: the one way the app, its orchestrations, activities and the node agent emit logs, events,
// metrics, exceptions, requests and dependencies. Adapters: console (local default) and Application Insights.
import type { SecretValue } from './redaction';
import type { TraceContext } from './traceContext';

export type Severity = 'verbose' | 'information' | 'warning' | 'error' | 'critical';

export const severityRank: Readonly<Record<Severity, number>> = {
  verbose: 0,
  information: 1,
  warning: 2,
  error: 3,
  critical: 4,
};

/** Custom dimensions. Values wrapped with `secret()` (and keys that name secrets) are redacted before emission. */
export type TelemetryProperties = Readonly<
  Record<string, string | number | boolean | SecretValue | null | undefined>
>;

export type Measurements = Readonly<Record<string, number>>;

/**
 * Where an item sits in the distributed trace: operation id = the W3C trace id (the portal's end-to-end transaction),
 * parent id = the span id of the invocation (or caller) that emitted it.
 */
export interface Correlation {
  operationId: string;
  parentId: string;
  traceParent: string;
  traceState?: string;
}

/** Incoming work handled by this process (one API call; a task a node agent ran for a queue message). */
export interface RequestTelemetry {
  /** e.g. `GET /subscriptions/{subscriptionId}/.../jobs/{jobName}` (a route template, never a URL with values). */
  name: string;
  /** The request URL without its query string (the query may hold SAS tokens). */
  url?: string;
  /** HTTP method (GET, PUT, ...). */
  method?: string;
  /** Route template (e.g. `/subscriptions/{subscriptionId}/...`): groups requests in the portal. */
  route?: string;
  /** The HTTP status; for work that is not HTTP, its own result (e.g. a task's exit code or signal). */
  resultCode: number | string;
  durationMs: number;
  success: boolean;
  properties?: TelemetryProperties;
}

/** A call this process made to something else (a storage account, a VM scale set API, a node). */
export interface DependencyTelemetry {
  name: string;
  /** e.g. `Azure blob`, `HTTP`, `Azure DocumentDB`. */
  type: string;
  /** Host or resource called. */
  target?: string;
  /** Command or URL path (no secrets, no query). */
  data?: string;
  resultCode?: number | string;
  durationMs: number;
  success: boolean;
  properties?: TelemetryProperties;
}

export interface Telemetry {
  /** The correlation items are bound to (undefined: not bound to any trace). */
  readonly correlation: Correlation | undefined;
  trace(message: string, severity?: Severity, properties?: TelemetryProperties): void;
  event(name: string, properties?: TelemetryProperties, measurements?: Measurements): void;
  metric(name: string, value: number, properties?: TelemetryProperties): void;
  exception(error: unknown, properties?: TelemetryProperties): void;
  request(request: RequestTelemetry): void;
  dependency(dependency: DependencyTelemetry): void;
  /** A child bound to this trace context (e.g. `context.traceContext` of an invocation); unbound when absent or malformed. */
  withCorrelation(traceContext: TraceContext | undefined): Telemetry;
  /** A child that adds these properties to every item (e.g. `{ jobId, clusterId }`). */
  withProperties(properties: TelemetryProperties): Telemetry;
  /** Sends what is buffered (call before a process exits or an activity returns, where it matters). */
  flush(): Promise<void>;
}
