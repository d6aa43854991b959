// The job page's extension parts: why a queued job waits (`properties.queueInfo`) and each run of the job
// (`properties.attempts`: a preempted job runs again). Pure: no DOM.

export interface AttemptRowView {
  attempt: string;
  nodes: string;
  startTime?: string;
  endTime?: string;
  exitCode: string;
  outcome: string;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

export function attemptRows(attempts: unknown): AttemptRowView[] {
  if (!Array.isArray(attempts)) return [];
  return attempts.map((a) => {
    const attempt = (a ?? {}) as Record<string, unknown>;
    return {
      attempt: str(attempt.attempt),
      nodes: Array.isArray(attempt.nodeIds) ? attempt.nodeIds.map(str).join(', ') : '',
      startTime: str(attempt.startTime) || undefined,
      endTime: str(attempt.endTime) || undefined,
      exitCode: str(attempt.exitCode),
      // Still running: no outcome yet. A preempted attempt says what happened to its nodes.
      outcome:
        [str(attempt.outcome), str(attempt.reason)].filter(Boolean).join(': ') ||
        (attempt.endTime ? '' : 'running'),
    };
  });
}

/** The queueInfo fields as label/value pairs, in the order a reader needs them; absent ones left out. */
export function queueInfoFields(queueInfo: unknown): [string, string][] {
  if (!queueInfo || typeof queueInfo !== 'object') return [];
  const q = queueInfo as Record<string, unknown>;
  const fields: [string, string][] = [
    ['Queue position', str(q.position)],
    ['Wait reason', str(q.reason)],
    ['Explanation', str(q.message)],
    ['Nodes needed / free', q.nodesNeeded === undefined ? '' : `${str(q.nodesNeeded)} / ${str(q.nodesFree)}`],
    ['Blocked by job', str(q.blockedByJobId)],
    ['Expected start', str(q.expectedStartTime)],
  ];
  return fields.filter(([, value]) => value !== '');
}
