// The live stdout/stderr tail: which byte range to ask the blob for next, and how to fold the answer into the
// text kept on screen (only the last `maxChars`), so a growing log costs one small Range request per refresh.

export interface LogTailState {
  /** The blob URL this tail follows (a new SAS link for the same file keeps the offset). */
  fileName: string;
  /** Bytes of the blob consumed so far. */
  offset: number;
  text: string;
  /** True when the beginning of the log was dropped. */
  clipped: boolean;
}

export const defaultTailChars = 64 * 1024;

export function emptyTail(fileName: string): LogTailState {
  return { fileName, offset: 0, text: '', clipped: false };
}

/**
 * The Range header for the next read, or undefined when nothing new is there. On a first read of a large blob it
 * starts near the end: only the tail is shown anyway. `bytes=N-` is a CORS-safelisted range.
 */
export function nextRange(
  state: LogTailState,
  contentLength: number,
  maxChars = defaultTailChars,
): string | undefined {
  if (!Number.isFinite(contentLength) || contentLength <= state.offset) return undefined;
  const start = state.offset === 0 && contentLength > maxChars ? contentLength - maxChars : state.offset;
  return `bytes=${start}-`;
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
  return { fileName: state.fileName, offset: start + chunkBytes, text, clipped };
}

/** A blob shorter than what was read was replaced (a retried attempt): start over. */
export function isReset(state: LogTailState, contentLength: number): boolean {
  return contentLength < state.offset;
}

/**
 * The log file shown first: a failed job's stderr (where its error is), else its stdout, else the first file.
 * `names` are the stdouterr directory's files (stdout.txt, stderr-wk-0.txt, ...).
 */
export function defaultLogFile(names: readonly string[], executionState: unknown): string {
  const stdout = names.find((n) => n.startsWith('stdout'));
  const stderr = names.find((n) => n.startsWith('stderr'));
  return (executionState === 'failed' ? (stderr ?? stdout) : (stdout ?? stderr)) ?? names[0] ?? '';
}
