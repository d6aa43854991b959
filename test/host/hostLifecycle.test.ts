// Lifecycle of the local Functions host process: graceful shutdown with invocations that outlive the deadline,
// function timeouts, and timers whose runs outlast their period. A fixture app with long-running functions, real
// Azurite behind it, the host as a child process.
import { QueueServiceClient } from '@azure/storage-queue';
import * as path from 'path';
import { repoRoot, startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

const appRoot = path.join(repoRoot, 'test', 'fixtures', 'apps', 'lifecycleApp');
const tenMinutes = 600_000;
let env: TestEnvironment;
let queues: QueueServiceClient;

beforeAll(async () => {
  env = await startTestEnvironment({
    appRoot,
    settings: {
      FUNCTIONS_HOST_SHUTDOWN_TIMEOUT_MS: '2000',
      SLOW_TIMER_SCHEDULE: '0 0 0 1 1 *',
      SLOW_TIMER_MS: '0',
    },
  });
  queues = QueueServiceClient.fromConnectionString(env.stack.storageConnectionString);
});

afterAll(async () => {
  await env?.stop();
});

/** Exit code of the host after `signal`, or 'still running' if it has not exited within a minute (a hang). */
async function exitAfter(signal: NodeJS.Signals | undefined): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), 60_000)));
  try {
    return await Promise.race([signal ? env.killHost(signal) : waitForExit(), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Exit code of a host that shuts itself down (a SIGTERM meanwhile joins its stop and keeps its exit code). */
async function waitForExit(): Promise<number | null> {
  await waitFor(
    'the host to shut down',
    async () => (/Host is shutting down/.test(env.hostOutput()) ? true : undefined),
    60_000,
  );
  return env.killHost('SIGTERM');
}

async function sendSlow(ms: number): Promise<void> {
  const q = queues.getQueueClient('slow-items');
  await q.createIfNotExists();
  await q.sendMessage(Buffer.from(JSON.stringify({ ms })).toString('base64'));
}

async function removeAll(queueName: string): Promise<void> {
  const q = queues.getQueueClient(queueName);
  for (;;) {
    const { receivedMessageItems } = await q.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return;
    for (const m of receivedMessageItems) await q.deleteMessage(m.messageId, m.popReceipt);
  }
}

describe('graceful shutdown', () => {
  it('ends at the drain deadline while a queue function runs, gives its message back and runs appTerminate', async () => {
    await sendSlow(tenMinutes);
    await waitFor('the slow queue function', async () =>
      env.hostOutput().includes('slowQueue start') ? true : undefined,
    );
    expect(await exitAfter('SIGTERM')).toBe(0);
    const output = env.hostOutput();
    expect(output).toMatch(/Invocation 'Functions\.slowQueue' \(Id=[^)]+\) is still running/);
    expect(output).toContain('appTerminate hook ran');
    // Visible again at once for the next host, not after the processing lease runs out.
    const { peekedMessageItems } = await queues.getQueueClient('slow-items').peekMessages();
    expect(peekedMessageItems).toHaveLength(1);
    await removeAll('slow-items');
  });

  it('ends at the drain deadline while a timer function runs', async () => {
    await env.restartHost({ SLOW_TIMER_SCHEDULE: '* * * * * *', SLOW_TIMER_MS: String(tenMinutes) });
    await waitFor('the slow timer function', async () =>
      env.hostOutput().includes('slowTimer start') ? true : undefined,
    );
    expect(await exitAfter('SIGTERM')).toBe(0);
    const output = env.hostOutput();
    expect(output).toMatch(/Invocation 'Functions\.slowTimer' \(Id=[^)]+\) is still running/);
    expect(output).toContain('appTerminate hook ran');
  });
});

/** The next multiple of `seconds` (UTC) strictly after `t`: the occurrence of a schedule "every `seconds` s" that follows. */
function nextOccurrence(t: number, seconds: number): number {
  return (Math.floor(t / (seconds * 1000)) + 1) * seconds * 1000;
}

describe('timer runs longer than its period', () => {
  it('runs the overrun occurrence as soon as the run ends (next counted from the run start), never overlapping', async () => {
    await env.restartHost({
      SLOW_TIMER_SCHEDULE: '*/5 * * * * *',
      SLOW_TIMER_MS: '6000',
      AzureFunctionsJobHost__functionTimeout: '00:30:00',
    });
    const q = queues.getQueueClient('timer-runs');
    const runs: { start: number; end: number }[] = [];
    await waitFor(
      'two timer runs',
      async () => {
        if (!(await q.exists())) return undefined;
        const { receivedMessageItems } = await q.receiveMessages({ numberOfMessages: 32 });
        for (const m of receivedMessageItems) {
          const r = JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as {
            start: string;
            end: string;
          };
          runs.push({ start: Date.parse(r.start), end: Date.parse(r.end) });
          await q.deleteMessage(m.messageId, m.popReceipt);
        }
        return runs.length >= 2 ? true : undefined;
      },
      60_000,
    );
    await env.restartHost({ SLOW_TIMER_SCHEDULE: '0 0 0 1 1 *', SLOW_TIMER_MS: '0' });
    runs.sort((a, b) => a.start - b.start);
    const [first, second] = runs;
    expect(second.start).toBeGreaterThanOrEqual(first.end);
    // The occurrence 5 s after the first run's start was missed while it ran: it runs at once, not skipped to the
    // occurrence after the first run's end.
    expect(second.start).toBeLessThan(nextOccurrence(first.end, 5));
  });
});

describe('function timeout', () => {
  it('shuts the host down (exit 1, for its supervisor to restart it) instead of running the message again', async () => {
    await env.restartHost({
      SLOW_TIMER_SCHEDULE: '0 0 0 1 1 *',
      SLOW_TIMER_MS: '0',
      AzureFunctionsJobHost__functionTimeout: '00:00:02',
    });
    await sendSlow(tenMinutes);
    expect(await exitAfter(undefined)).toBe(1);
    const output = env.hostOutput();
    expect(output).toContain("Timeout value of 2000 ms exceeded by function 'Functions.slowQueue'");
    expect(output).toContain('A function timeout has occurred. Host is shutting down.');
    expect(output).toContain('appTerminate hook ran');
    // The message ran once in this host: the next host (after the restart) takes it again.
    expect(output.match(/slowQueue start/g)).toEqual(['slowQueue start']);
    await removeAll('slow-items');
  });
});
