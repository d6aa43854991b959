// The live stdout/stderr tail: which byte range to ask the blob for next, and how to fold the answer into the
// text kept on screen (only the last `maxChars`), so a growing log costs one small Range request per refresh.

export interface LogTailState {
  /**
   * The blob this tail follows: its download URL without the query string, so a new SAS link for the same blob
   * keeps the offset, while another attempt's blob of the same file name (attempt-2/...) starts over.
   */
  source: string;
  /** Bytes of the blob consumed so far. */
  offset: number;
  text: string;
  /** True when the beginning of the log was dropped. */
  clipped: boolean;
}

export const defaultTailChars = 64 * 1024;

export function emptyTail(source: string): LogTailState {
  return { source, offset: 0, text: '', clipped: false };
}

/** The blob a download link names: the URL without its query string (the SAS) and fragment. */
export function logSource(downloadUrl: string): string {
  return downloadUrl.replace(/[?#].*$/s, '');
}

/**
 * The Range header for the next read, or undefined when nothing new is there. When more was written since the
 * last read than is shown (a first read of a large blob, or a tab left paused), it starts `maxChars` before the
 * end: only the tail is shown anyway. `bytes=N-` is a CORS-safelisted range.
 */
export function nextRange(
  state: LogTailState,
  contentLength: number,
  maxChars = defaultTailChars,
): string | undefined {
  if (!Number.isFinite(contentLength) || contentLength <= state.offset) return undefined;
  return `bytes=${rangeStart(state, contentLength, maxChars)}-`;
}

/** The first byte the next read asks for (a skip ahead when it differs from `state.offset`). */
export function rangeStart(state: LogTailState, contentLength: number, maxChars = defaultTailChars): number {
  return contentLength - state.offset > maxChars ? contentLength - maxChars : state.offset;
}

/** Folds a read into the tail. `start` is the first byte the server returned (206) or 0 (a full 200 answer). */
export function appendChunk(
  state: LogTailState,
  start: number,
  chunk: string,
  chunkBytes: number,
  maxChars = defaultTailChars,
): LogTailState {
  const fromScratch = start === 0 || start !== state.offset;
  let text = fromScratch ? chunk : state.text + chunk;
  let clipped = fromScratch ? start > 0 : state.clipped;
  if (text.length > maxChars) {
    // Cut at a line break when there is one near the cut, so the first line shown is whole.
    const cut = text.length - maxChars;
    const newline = text.indexOf('\n', cut);
    text = text.slice(newline >= 0 && newline - cut < 200 ? newline + 1 : cut);
    clipped = true;
  }
  return { source: state.source, offset: start + chunkBytes, text, clipped };
}

/**
 * Start over: the file shown is another blob (another attempt's, under attempt-N/, or another file), or the blob
 * is shorter than what was read (replaced).
 */
export function isReset(state: LogTailState, contentLength: number, source = state.source): boolean {
  return source !== state.source || contentLength < state.offset;
}

/**
 * The log file shown first: a failed job's stderr (where its error is), else its stdout, else the first file.
 * `names` are the stdouterr directory's files (stdout.txt, stderr-wk-0.txt, stderr-job_prep.txt, ...): the main
 * process's own file first, then the other processes' (workers), and the job preparation's only when nothing else.
 */
export function defaultLogFile(names: readonly string[], executionState: unknown): string {
  const order = executionState === 'failed' ? ['stderr', 'stdout'] : ['stdout', 'stderr'];
  const prep = (n: string): boolean => n.endsWith('-job_prep.txt');
  const candidates = [
    ...order.map((stream) => names.find((n) => n === `${stream}.txt`)),
    ...order.map((stream) => names.find((n) => n.startsWith(stream) && !prep(n))),
    ...order.map((stream) => names.find((n) => n.startsWith(stream))),
    names[0],
  ];
  return candidates.find((n) => n !== undefined) ?? '';
}
