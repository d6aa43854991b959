// Metric lines that trials print to stdout: `##batchai[metric] name=value [name=value ...] [step=N]`. A line that is
// not a metric line is ignored, and so is a pair whose value is not a finite number (a typo never fails a trial).

export interface MetricReport {
  name: string;
  value: number;
  /** As printed; when absent the reader numbers the metric's reports 0, 1, 2, ... */
  step?: number;
}

const prefix = '##batchai[metric]';
const pairPattern = /^([A-Za-z_][\w.-]{0,127})=(\S+)$/;

/** The metrics of one line (empty when it is not a metric line). */
export function parseMetricLine(line: string): MetricReport[] {
  const text = line.trim();
  if (!text.startsWith(prefix)) return [];
  const values: { name: string; value: number }[] = [];
  let step: number | undefined;
  for (const token of text.slice(prefix.length).trim().split(/\s+/)) {
    const match = pairPattern.exec(token);
    if (!match) continue;
    const value = Number(match[2]);
    if (match[2].trim() === '' || !Number.isFinite(value)) continue;
    if (match[1] === 'step') {
      if (Number.isInteger(value) && value >= 0) step = value;
      continue;
    }
    values.push({ name: match[1], value });
  }
  return values.map((v) => (step === undefined ? v : { ...v, step }));
}

/** The metrics of a block of text, in order. */
export function parseMetricText(text: string): MetricReport[] {
  return text.split('\n').flatMap(parseMetricLine);
}

/**
 * How much of a chunk read from a growing log is made of complete lines: a trailing partial line is left for the
 * next read, unless the log is final (the process ended).
 */
export function completeLinesLength(chunk: Buffer, final: boolean): number {
  if (final) return chunk.length;
  const lastNewline = chunk.lastIndexOf(0x0a);
  return lastNewline + 1;
}
