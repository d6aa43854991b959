// Metric lines that trials print to stdout: `##batchai[metric] name=value [name=value ...] [step=N]`. A line that is
// not a metric line is ignored, and so is a pair whose value is not a finite number (a typo never fails a trial).

export interface MetricReport {
  name: string;
  value: number;
  /** As printed; when absent the reader numbers the metric's reports 0, 1, 2, ... */
  step?: number;
}

const prefix = '##batchai[metric]';
/** The pair that numbers a report (`step=N`): never a metric of its own. */
export const stepPairName = 'step';
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
    if (match[1] === stepPairName) {
      if (Number.isInteger(value) && value >= 0) step = value;
      continue;
    }
    values.push({ name: match[1], value });
  }
  return values.map((v) => (step === undefined ? v : { ...v, step }));
}

/** The metrics of a block of text, in order. A line ends at '\n', '\r\n' or a lone '\r' (progress bars). */
export function parseMetricText(text: string): MetricReport[] {
  return text.split(/\r\n|\r|\n/).flatMap(parseMetricLine);
}

/** The index of the first '\n' or '\r' of `chunk`, or -1. */
function firstLineEnd(chunk: Buffer): number {
  const ends = [chunk.indexOf(0x0a), chunk.indexOf(0x0d)].filter((i) => i >= 0);
  return ends.length === 0 ? -1 : Math.min(...ends);
}

/** Whether `byte` ends a line. */
export function isLineEnd(byte: number): boolean {
  return byte === 0x0a || byte === 0x0d;
}

/**
 * How much of a chunk read from a growing log is made of complete lines: a trailing partial line is left for the
 * next read, unless the log is final (the process ended).
 */
export function completeLinesLength(chunk: Buffer, final: boolean): number {
  if (final) return chunk.length;
  return Math.max(chunk.lastIndexOf(0x0a), chunk.lastIndexOf(0x0d)) + 1;
}

/** Where a read of a log at an offset leaves it: `skipped` bytes dropped, then `length` bytes of lines to parse. */
export interface LineSpan {
  skipped: number;
  length: number;
}

/**
 * What to take of `chunk`, read from a log at some offset, so the offset always moves on. `midLine`: the byte before
 * the offset ended no line (a line longer than one read is being dropped: the rest of it, up to its end, is
 * skipped); `full`: the read returned all it could (the log may hold more); `final`: the log is complete. A full read
 * that starts a line and ends none holds one line longer than a read: it is dropped like a malformed metric line,
 * and the lines after it are read as usual.
 */
export function takeLines(chunk: Buffer, midLine: boolean, full: boolean, final: boolean): LineSpan {
  let skipped = 0;
  if (midLine) {
    const end = firstLineEnd(chunk);
    if (end < 0) return { skipped: chunk.length, length: 0 };
    skipped = end + 1;
  }
  const rest = chunk.subarray(skipped);
  const length = completeLinesLength(rest, final && !full);
  if (length === 0 && full && skipped === 0 && rest.length > 0) return { skipped: rest.length, length: 0 };
  return { skipped, length };
}
