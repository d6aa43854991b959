// What an adapter receives: items already redacted, filtered by level and merged with common properties, plus the
// correlation they belong to. Adapters only translate items to their wire (console line, Application Insights).
import type { Correlation, Measurements, Severity } from './telemetry';

export interface ExceptionDetails {
  type: string;
  message: string;
  stack?: string;
}

export type TelemetryItem =
  | { kind: 'trace'; message: string; severity: Severity; properties: Record<string, string> }
  | { kind: 'event'; name: string; properties: Record<string, string>; measurements: Measurements }
  | { kind: 'metric'; name: string; value: number; properties: Record<string, string> }
  | { kind: 'exception'; exception: ExceptionDetails; properties: Record<string, string> }
  | {
      kind: 'request';
      name: string;
      url?: string;
      method?: string;
      route?: string;
      resultCode: number | string;
      durationMs: number;
      success: boolean;
      properties: Record<string, string>;
    }
  | {
      kind: 'dependency';
      name: string;
      type: string;
      target?: string;
      data?: string;
      resultCode?: string;
      durationMs: number;
      success: boolean;
      properties: Record<string, string>;
    };

export interface TelemetrySink {
  emit(item: TelemetryItem, correlation: Correlation | undefined): void;
  flush(): Promise<void>;
}
