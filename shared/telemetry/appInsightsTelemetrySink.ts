// Application Insights adapter (applicationinsights 3.x, OpenTelemetry underneath). Each item is tracked inside an
// OpenTelemetry context carrying its correlation, so operation id = W3C trace id and parent id = the span id: the
// portal's end-to-end transaction view joins HTTP request -> orchestration -> activity -> node agent.
// Only telemetryFactory loads this file, and only when a connection string is configured (the SDK is heavy).
import {
  useInstrumenter,
  type Instrumenter,
  type TracingContext,
  type TracingSpan,
} from '@azure/core-tracing';
import { context as otelContext, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import type * as https from 'https';
import type { TokenCredential } from '@azure/core-auth';
import { TelemetryClient, KnownSeverityLevel } from 'applicationinsights';
import type { Correlation, Severity } from './telemetry';
import type { TelemetryItem, TelemetrySink } from './telemetrySink';
import { parseTraceParent } from './traceContext';

export interface AppInsightsSinkOptions {
  connectionString: string;
  /** 0..100; 100 keeps everything (the Functions host samples on its own side). */
  samplingPercentage: number;
  /** Agent for the ingestion calls only (e.g. trusting a local fake's certificate); the process stays untouched. */
  ingestionAgent?: https.Agent;
  /**
   * Whether the SDK collects outgoing calls and the process's performance counters on its own (default true). The
   * node agent turns it off: it polls its queues all the time, and reports its own node's counters.
   */
  autoCollect?: boolean;
  /** Signs the ingestion calls with its Entra ID token (a component with local authentication disabled). */
  credential?: TokenCredential;
}

const severityLevel: Readonly<Record<Severity, KnownSeverityLevel>> = {
  verbose: KnownSeverityLevel.Verbose,
  information: KnownSeverityLevel.Information,
  warning: KnownSeverityLevel.Warning,
  error: KnownSeverityLevel.Error,
  critical: KnownSeverityLevel.Critical,
};

function contextOf(correlation: Correlation | undefined): Context {
  const parts = parseTraceParent(correlation?.traceParent);
  if (!parts) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parts.traceId,
    spanId: parts.spanId,
    // Always sampled here: this process already decided to emit the item (the sampler still applies its ratio).
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/** An immutable tracing context of the Azure SDK's own (what its default, no-op instrumenter hands around). */
class PlainTracingContext implements TracingContext {
  constructor(private readonly values: ReadonlyMap<symbol, unknown> = new Map()) {}
  getValue(key: symbol): unknown {
    return this.values.get(key);
  }
  setValue(key: symbol, value: unknown): TracingContext {
    return new PlainTracingContext(new Map(this.values).set(key, value));
  }
  deleteValue(key: symbol): TracingContext {
    const values = new Map(this.values);
    values.delete(key);
    return new PlainTracingContext(values);
  }
}

const silentSpan: TracingSpan = {
  end: () => undefined,
  isRecording: () => false,
  recordException: () => undefined,
  setAttribute: () => undefined,
  setStatus: () => undefined,
  addEvent: () => undefined,
};

/** The Azure SDK's tracing as it is without OpenTelemetry: no span, no traceparent header. */
const silentAzureSdkInstrumenter: Instrumenter = {
  startSpan: (_name, spanOptions) => ({
    span: silentSpan,
    tracingContext: spanOptions.tracingContext ?? new PlainTracingContext(),
  }),
  withContext: (_context, callback, ...callbackArgs) => callback(...callbackArgs),
  parseTraceparentHeader: () => undefined,
  createRequestHeaders: () => ({}),
};

/** The HTTP verb a dependency name starts with (`PUT /subscriptions/...`), if any. */
function httpVerb(name: string): string | undefined {
  const verb = /^(GET|PUT|POST|PATCH|DELETE|HEAD|OPTIONS)\b/.exec(name)?.[1];
  return verb;
}

export class AppInsightsTelemetrySink implements TelemetrySink {
  private readonly client: TelemetryClient;

  constructor(options: AppInsightsSinkOptions) {
    const client = new TelemetryClient(options.connectionString);
    const config = client.config;
    config.samplingPercentage = options.samplingPercentage;
    if (options.credential) config.aadTokenCredential = options.credential;
    // Incoming HTTP belongs to the Functions host (it reports one request per invocation; our API reports its own):
    // auto-collected server spans would duplicate them. Outgoing calls (Cosmos, Storage, ARM) stay collected.
    config.enableAutoCollectRequests = false;
    const autoCollect = options.autoCollect ?? true;
    config.enableAutoCollectDependencies = autoCollect;
    config.enableAutoCollectPerformance = autoCollect;
    config.enableAutoCollectConsole = false;
    config.enableSendLiveMetrics = false;
    const parse = config.parseConfig.bind(config);
    config.parseConfig = () => {
      const parsed = parse();
      if (!autoCollect) {
        // The two flags above are not enough in the 3.x SDK: its Azure SDK instrumentation still reports every
        // Storage call (`QueueClient-receiveMessages` and its `GET /...` span), and its HTTP instrumentation stays on
        // whenever requests or dependencies are collected. Without auto-collection, no instrumentation at all.
        const names = new Set(['http', 'azureSdk', ...Object.keys(parsed.instrumentationOptions ?? {})]);
        parsed.instrumentationOptions = Object.fromEntries(
          [...names].map((name) => [name, { enabled: false }]),
        ) as typeof parsed.instrumentationOptions;
      }
      if (options.ingestionAgent) {
        parsed.azureMonitorExporterOptions = {
          ...parsed.azureMonitorExporterOptions,
          agent: options.ingestionAgent,
        } as typeof parsed.azureMonitorExporterOptions;
      }
      return parsed;
    };
    client.initialize();
    // initialize() also bridges the Azure SDK's tracing to OpenTelemetry whatever the options say (the SDK's
    // ensureAzureSdkTracingBridge), which would report each Storage call as two dependencies (the client operation,
    // `QueueClient-receiveMessages`, and its `GET /...`). Without auto-collection, the Azure SDK traces nothing.
    if (!autoCollect) useInstrumenter(silentAzureSdkInstrumenter);
    this.client = client;
  }

  emit(item: TelemetryItem, correlation: Correlation | undefined): void {
    otelContext.with(contextOf(correlation), () => this.track(item));
  }

  flush(): Promise<void> {
    return this.client.flush();
  }

  /** Stops the SDK's exporters (tests and process exit); the sink is unusable afterwards. */
  shutdown(): Promise<void> {
    return this.client.shutdown();
  }

  private track(item: TelemetryItem): void {
    const client = this.client;
    switch (item.kind) {
      case 'trace':
        client.trackTrace({
          message: item.message,
          severity: severityLevel[item.severity],
          properties: item.properties,
        });
        return;
      case 'event':
        client.trackEvent({
          name: item.name,
          properties: item.properties,
          measurements: { ...item.measurements },
        });
        return;
      case 'metric':
        client.trackMetric({ name: item.name, value: item.value, properties: item.properties });
        return;
      case 'exception': {
        const error = new Error(item.exception.message);
        error.name = item.exception.type;
        error.stack = item.exception.stack ?? `${item.exception.type}: ${item.exception.message}`;
        client.trackException({
          exception: error,
          severity: KnownSeverityLevel.Error,
          properties: item.properties,
        });
        return;
      }
      case 'request':
        client.trackRequest({
          name: item.name,
          url: item.url ?? '',
          resultCode: String(item.resultCode),
          duration: item.durationMs,
          success: item.success,
          // The exporter reads the status code only from spans that carry an HTTP method, and names the request
          // after `http.route` (else after the URL path, which holds resource names).
          properties: {
            ...item.properties,
            'http.method': item.method ?? 'HTTP',
            ...(item.route ? { 'http.route': item.route } : {}),
          },
        });
        return;
      case 'dependency':
        client.trackDependency({
          name: item.name,
          dependencyTypeName: item.type,
          target: item.target,
          data: item.data ?? item.name,
          resultCode: item.resultCode ?? '',
          duration: item.durationMs,
          success: item.success,
          // As for requests, the exporter maps the result code of HTTP dependencies only with an HTTP method.
          properties: httpVerb(item.name)
            ? { ...item.properties, 'http.method': httpVerb(item.name) }
            : item.properties,
        });
        return;
    }
  }
}
