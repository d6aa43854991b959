// When a scheduling pass rewrites a waiting job's queueInfo: at once for a new reason, at most every refresh
// period when only its figures moved (in a busy queue every start moves every position).
import { queueInfoChange } from '../../orchestrations/jobs/scheduleJobsActivity';

const t0 = Date.parse('2026-11-22T00:00:00.000Z');
const info = (fields: Record<string, unknown>, updatedTime = new Date(t0).toISOString()) => ({
  position: 3,
  reason: 'InsufficientFreeNodes',
  message: 'Position 3: needs 1 node, 0 free.',
  nodesNeeded: 1,
  nodesFree: 0,
  updatedTime,
  ...fields,
});

test('a job without a queueInfo, or with another reason or node count, is written at once', () => {
  expect(queueInfoChange(undefined, info({}), t0)).toBe('reason');
  expect(queueInfoChange(info({}), info({ reason: 'WaitingForRunningJobs' }), t0 + 1)).toBe('reason');
  expect(queueInfoChange(info({}), info({ nodesNeeded: 2 }), t0 + 1)).toBe('reason');
});

test('moved figures wait for the refresh period; the same figures are never rewritten', () => {
  const moved = info({ position: 2, message: 'Position 2: needs 1 node, 0 free.', blockedByJobId: 'other' });
  expect(queueInfoChange(info({}), moved, t0 + 14_999)).toBeUndefined();
  expect(queueInfoChange(info({}), moved, t0 + 15_000)).toBe('refresh');
  const later = new Date(t0 + 60_000).toISOString();
  expect(queueInfoChange(info({}), info({}, later), t0 + 60_000)).toBeUndefined();
  expect(queueInfoChange(info({}, 'not a time'), moved, t0)).toBe('refresh');
});
