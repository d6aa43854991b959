// Deterministic job names for jobs created by event sources: the same submission, event or due time always maps
// to the same name, so a redelivery finds the job it already created instead of creating a second one.
import { createHash } from 'crypto';

const maxJobNameLength = 64;

function digest(text: string, length: number): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, length);
}

/** Job names allow letters, digits, '-' and '_' (resourceId.ts); anything else becomes '-'. */
function sanitize(text: string): string {
  return text.replace(/[^-\w]/g, '-');
}

/** `<prefix>-<suffix>`, the prefix shortened (with a digest of the full prefix, so two long names stay apart). */
function joinWithin(prefix: string, suffix: string): string {
  const room = maxJobNameLength - suffix.length - 1;
  const clean = sanitize(prefix);
  const head = clean.length <= room ? clean : `${clean.slice(0, room - 7)}-${digest(prefix, 6)}`;
  return `${head}-${suffix}`;
}

/** A queue submission without a jobName: `submission-<24 hex of sha256(submissionId)>`. */
export function submissionJobName(submissionId: string): string {
  return `submission-${digest(submissionId, 24)}`;
}

/** One job per (rule, event): `<rule>-<16 hex of sha256(eventId)>`. */
export function blobEventJobName(ruleName: string, eventId: string): string {
  return joinWithin(ruleName, digest(eventId, 16));
}

/** One job per (rule, batch window, part): `<rule>-b<window start as yyyyMMddTHHmmss>[-<part>]`. */
export function blobBatchJobName(ruleName: string, windowStart: Date, part: number): string {
  return joinWithin(ruleName, `b${compactTime(windowStart)}${part > 0 ? `-${part}` : ''}`);
}

/** The id of a batch document: rule (with a digest of its workspace, rules of two workspaces may share a name), window, part. */
export function blobBatchId(workspaceKey: string, ruleName: string, windowStart: Date, part: number): string {
  return `${sanitize(ruleName.toLowerCase())}-${digest(workspaceKey, 12)}-${compactTime(windowStart)}-p${part}`;
}

/** One job per (schedule, due time): `<schedule>-<due time as yyyyMMddTHHmmss>`. */
export function scheduledJobName(scheduleName: string, dueTime: Date): string {
  return joinWithin(scheduleName, compactTime(dueTime));
}

/** 2024-03-10T02:00:00.000Z -> 20240310T020000 */
export function compactTime(time: Date): string {
  return time
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace(/[-:]/g, '');
}
