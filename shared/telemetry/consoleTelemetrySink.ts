// Console adapter: one JSON line per item (time, level, type, operation and parent ids, properties), the local
// default. Errors go to stderr, the rest to stdout; items below the minimum level are not written.
import { severityRank, type Correlation, type Severity } from './telemetry';
import type { TelemetryItem, TelemetrySink } from './telemetrySink';

export type LineWriter = (line: string, severity: Severity) => void;

const processWriter: LineWriter = (line, severity) => {
  if (severityRank[severity] >= severityRank.error) process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
};

function severityOf(item: TelemetryItem): Severity {
  switch (item.kind) {
    case 'trace':
      return item.severity;
    case 'exception':
      return 'error';
    case 'request':
    case 'dependency':
      return item.success ? 'information' : 'warning';
    default:
      return 'information';
  }
}

export class ConsoleTelemetrySink implements TelemetrySink {
  constructor(
    private readonly minimumSeverity: Severity = 'information',
    private readonly write: LineWriter = processWriter,
  ) {}

  emit(item: TelemetryItem, correlation: Correlation | undefined): void {
    const level = severityOf(item);
    if (severityRank[level] < severityRank[this.minimumSeverity]) return;
    const { kind, properties, ...fields } = item;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, type: kind, ...fields };
    if (kind === 'trace') delete line.severity;
    if (correlation) {
      line.operationId = correlation.operationId;
      line.parentId = correlation.parentId;
    }
    if (Object.keys(properties).length > 0) line.properties = properties;
    this.write(JSON.stringify(line), level);
  }

  async flush(): Promise<void> {
    // Lines are written synchronously: nothing is buffered here.
  }
}
