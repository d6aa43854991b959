import { compareQueueOrder, queueOrderKey } from './queueOrder';
import type { JobPriority, WaitingJob } from './schedulingInput';

test("a job's queue order key sorts as text exactly as the policy orders the queue", () => {
  const priorities: JobPriority[] = ['low', 'normal', 'high'];
  const base = Date.UTC(2026, 11, 6);
  // Submit times that differ in every place a text comparison could get wrong: ms, seconds, days, years.
  const offsets = [0, 1, 9, 10, 999, 1_000, 59_999, 86_400_000, 31_536_000_000];
  const jobs: WaitingJob[] = [];
  let n = 0;
  for (const priority of priorities) {
    for (const offset of offsets) {
      for (const id of ['b', 'a']) {
        jobs.push({
          id: `${id}${n++ % 3}`,
          priority,
          submitTime: new Date(base + offset).toISOString(),
          nodeCount: 1,
          attempt: 1,
        });
      }
    }
  }
  const byPolicy = [...jobs].sort(compareQueueOrder);
  const byKey = [...jobs].sort((a, b) => {
    const [ka, kb] = [a, b].map((j) => queueOrderKey(j.priority, j.submitTime, j.id));
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  expect(byKey).toEqual(byPolicy);
  expect(byPolicy[0].priority).toBe('high');
  expect(byPolicy.at(-1)!.priority).toBe('low');
});
