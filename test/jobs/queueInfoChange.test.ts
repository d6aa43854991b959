// When a scheduling pass rewrites a waiting job's queueInfo: at once for a new reason, at most every refresh
// period when only its figures moved (in a busy queue every start moves every position).
import { queueInfoChange, queueInfoOf } from '../../orchestrations/jobs/scheduleJobsActivity';

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

test('the message names the jobs a job waits for by their names, the fields keep their GUIDs', () => {
  const holder = '0b9c4f3e-1111-4c1e-9d1e-000000000001';
  const running = '0b9c4f3e-2222-4c1e-9d1e-000000000002';
  const names: Record<string, string> = { [holder]: 'big-gang', [running]: 'train' };
  const blocked = queueInfoOf(
    {
      code: 'BlockedByReservation',
      position: 2,
      message: `Position 2: starting it could delay job '${holder}', which holds the reservation.`,
      nodesNeeded: 1,
      nodesFree: 1,
      nodesUsable: 2,
      nodesProvisioning: 0,
      blockedByJobId: holder,
    },
    new Date(t0).toISOString(),
    (id) => names[id],
  );
  expect(blocked.message).toBe(
    "Position 2: starting it could delay job 'big-gang', which holds the reservation.",
  );
  expect(blocked.blockedByJobId).toBe(holder);
  const first = queueInfoOf(
    {
      code: 'WaitingForRunningJobs',
      position: 1,
      message: `Position 1: free when ${running}, 0b9c-unknown end(s).`,
      nodesNeeded: 2,
      nodesFree: 0,
      nodesUsable: 2,
      nodesProvisioning: 0,
      waitingForJobIds: [running, '0b9c-unknown'],
    },
    new Date(t0).toISOString(),
    (id) => names[id],
  );
  expect(first.message).toBe('Position 1: free when train, 0b9c-unknown end(s).');
});
