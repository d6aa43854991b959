// The Telemetry implementation every adapter shares: binds correlation and common properties, applies the minimum
// level, redacts secrets and normalises errors, then hands items to a sink (console or Application Insights).
import { redactProperties, redactText } from './redaction';
import {
  severityRank,
  type Correlation,
  type DependencyTelemetry,
  type Measurements,
  type RequestTelemetry,
  type Severity,
  type Telemetry,
  type TelemetryProperties,
} from './telemetry';
import { parseTraceParent, type TraceContext } from './traceContext';
import type { ExceptionDetails, TelemetrySink } from './telemetrySink';

/** Operation id = trace id, parent id = span id: how Application Insights joins items into one transaction. */
export function correlationOf(traceContext: TraceContext | undefined): Correlation | undefined {
  const parts = parseTraceParent(traceContext?.traceParent);
  if (!parts || !traceContext) return undefined;
  const correlation: Correlation = {
    operationId: parts.traceId,
    parentId: parts.spanId,
    traceParent: traceContext.traceParent,
  };
  if (traceContext.traceState) correlation.traceState = traceContext.traceState;
  return correlation;
}

/** Any thrown value as type, message and stack, with embedded credentials redacted. */
export function exceptionDetails(error: unknown): ExceptionDetails {
  if (error instanceof Error) {
    const details: ExceptionDetails = { type: error.name, message: redactText(error.message) };
    if (error.stack) details.stack = redactText(error.stack);
    return details;
  }
  return { type: typeof error, message: redactText(String(error)) };
}

export class BoundTelemetry implements Telemetry {
  constructor(
    private readonly sink: TelemetrySink,
    private readonly minimumSeverity: Severity,
    readonly correlation: Correlation | undefined = undefined,
    private readonly common: TelemetryProperties = {},
  ) {}

  trace(message: string, severity: Severity = 'information', properties?: TelemetryProperties): void {
    if (severityRank[severity] < severityRank[this.minimumSeverity]) return;
    this.sink.emit(
      { kind: 'trace', message: redactText(message), severity, properties: this.props(properties) },
      this.correlation,
    );
  }

  event(name: string, properties?: TelemetryProperties, measurements: Measurements = {}): void {
    this.sink.emit(
      { kind: 'event', name, properties: this.props(properties), measurements },
      this.correlation,
    );
  }

  metric(name: string, value: number, properties?: TelemetryProperties): void {
    if (!Number.isFinite(value)) {
      this.trace(`Metric '${name}' dropped: its value ${String(value)} is not a finite number.`, 'warning');
      return;
    }
    this.sink.emit({ kind: 'metric', name, value, properties: this.props(properties) }, this.correlation);
  }

  exception(error: unknown, properties?: TelemetryProperties): void {
    this.sink.emit(
      { kind: 'exception', exception: exceptionDetails(error), properties: this.props(properties) },
      this.correlation,
    );
  }

  request(request: RequestTelemetry): void {
    this.sink.emit(
      {
        kind: 'request',
        name: request.name,
        url: request.url === undefined ? undefined : redactText(request.url),
        method: request.method,
        route: request.route,
        resultCode: request.resultCode,
        durationMs: request.durationMs,
        success: request.success,
        properties: this.props(request.properties),
      },
      this.correlation,
    );
  }

  dependency(dependency: DependencyTelemetry): void {
    this.sink.emit(
      {
        kind: 'dependency',
        name: dependency.name,
        type: dependency.type,
        target: dependency.target,
        data: dependency.data === undefined ? undefined : redactText(dependency.data),
        resultCode: dependency.resultCode === undefined ? undefined : String(dependency.resultCode),
        durationMs: dependency.durationMs,
        success: dependency.success,
        properties: this.props(dependency.properties),
      },
      this.correlation,
    );
  }

  withCorrelation(traceContext: TraceContext | undefined): Telemetry {
    return new BoundTelemetry(this.sink, this.minimumSeverity, correlationOf(traceContext), this.common);
  }

  withProperties(properties: TelemetryProperties): Telemetry {
    return new BoundTelemetry(this.sink, this.minimumSeverity, this.correlation, {
      ...this.common,
      ...properties,
    });
  }

  flush(): Promise<void> {
    return this.sink.flush();
  }

  private props(properties: TelemetryProperties | undefined): Record<string, string> {
    return redactProperties({ ...this.common, ...properties });
  }
}
