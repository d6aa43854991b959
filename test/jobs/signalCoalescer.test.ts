// One process's scheduler signals per cluster: a caller joins the next signal while one is on its way, and no caller
// returns before a signal sent after its call is in.
import { SignalCoalescer } from '../../orchestrations/jobs/requestJobSchedulingActivity';

/** A send the test completes by hand, recording what each send was asked. */
function manualSends() {
  const sends: { startIfIdle: boolean; finish: (error?: Error) => void }[] = [];
  const send = (startIfIdle: boolean): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      sends.push({ startIfIdle, finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { sends, send };
}

const settled = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

test('callers during a send share the next one, sent once the first is in', async () => {
  const signals = new SignalCoalescer();
  const { sends, send } = manualSends();
  const done: string[] = [];
  const first = signals.signal('c1', false, send).then(() => done.push('first'));
  await settled();
  expect(sends).toHaveLength(1);
  // Three callers while the first signal is on its way: one more signal, after it.
  const later = ['a', 'b', 'c'].map((name) => signals.signal('c1', false, send).then(() => done.push(name)));
  await settled();
  expect(sends).toHaveLength(1);
  sends[0].finish();
  await first;
  await settled();
  expect(sends).toHaveLength(2);
  expect(done).toEqual(['first']); // theirs was not in yet
  sends[1].finish();
  await Promise.all(later);
  expect(done).toEqual(['first', 'a', 'b', 'c']);
  // Nothing on its way now: the next caller sends at once.
  const again = signals.signal('c1', false, send);
  await settled();
  expect(sends).toHaveLength(3);
  sends[2].finish();
  await again;
});

test('a joined signal starts the receiver when any of its callers needs that', async () => {
  const signals = new SignalCoalescer();
  const { sends, send } = manualSends();
  const first = signals.signal('c1', false, send);
  const second = signals.signal('c1', false, send);
  const third = signals.signal('c1', true, send);
  await settled();
  sends[0].finish();
  await first;
  await settled();
  expect(sends.map((s) => s.startIfIdle)).toEqual([false, true]);
  sends[1].finish();
  await Promise.all([second, third]);
});

test('clusters do not share signals, and a failed send fails its callers only', async () => {
  const signals = new SignalCoalescer();
  const { sends, send } = manualSends();
  const one = signals.signal('c1', true, send);
  const other = signals.signal('c2', true, send);
  await settled();
  expect(sends).toHaveLength(2);
  const joined = signals.signal('c1', true, send);
  sends[0].finish(new Error('host unreachable'));
  await expect(one).rejects.toThrow('host unreachable');
  await settled();
  // The next signal is still sent after the failed one.
  expect(sends).toHaveLength(3);
  sends[2].finish();
  await expect(joined).resolves.toBeUndefined();
  sends[1].finish();
  await expect(other).resolves.toBeUndefined();
});
