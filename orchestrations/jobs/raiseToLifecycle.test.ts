import { isMissingInstance, raiseToLifecycle } from './raiseToLifecycle';

const missing = (id: string) => new Error(`No instance with ID '${id}' found.`);

test('an event for a lifecycle not there yet is raised again until it is', async () => {
  const calls: string[] = [];
  let absentFor = 2;
  const client = {
    raiseEvent: async (instanceId: string, eventName: string) => {
      calls.push(`${instanceId}:${eventName}`);
      if (absentFor-- > 0) throw missing(instanceId);
    },
  };
  await raiseToLifecycle(client, 'job-1', 'task:t', {}, [1, 1, 1]);
  expect(calls).toEqual(['job-1:task:t', 'job-1:task:t', 'job-1:task:t']);
});

test('a lifecycle still missing after every retry, or any other error, is an error', async () => {
  let calls = 0;
  const absent = {
    raiseEvent: async (instanceId: string) => {
      calls++;
      throw missing(instanceId);
    },
  };
  await expect(raiseToLifecycle(absent, 'job-2', 'task:t', {}, [1, 1])).rejects.toThrow(
    "No instance with ID 'job-2'",
  );
  expect(calls).toBe(3);
  calls = 0;
  const failing = {
    raiseEvent: async () => {
      calls++;
      throw new Error('The durable extension answered 500.');
    },
  };
  await expect(raiseToLifecycle(failing, 'job-3', 'task:t', {}, [1, 1])).rejects.toThrow('answered 500');
  expect(calls).toBe(1);
  expect(isMissingInstance(missing('x'))).toBe(true);
  expect(isMissingInstance(new Error('Instance x already completed.'))).toBe(false);
});
