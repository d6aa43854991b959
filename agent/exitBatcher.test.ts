// The exit batcher alone: what goes alone, what waits for the send under way, and how a batch is cut into events.
import { ExitBatcher } from './exitBatcher';

interface Sent {
  items: string[];
  done(): void;
  fail(error: Error): void;
}

/** A batcher whose sends stay under way until the test ends them. */
function heldBatcher(
  options: { together?: boolean; holdFirst?: boolean; maxItems?: number; maxBytes?: number } = {},
) {
  const sends: Sent[] = [];
  const hold = (items: string[]): Promise<void> =>
    new Promise<void>((resolve, reject) => sends.push({ items, done: resolve, fail: reject }));
  const batcher = new ExitBatcher<string>({
    sendOne: (item) => hold([item]),
    sendMany: (items) => hold(items),
    together: () => options.together ?? true,
    holdFirst: () => options.holdFirst ?? false,
    bytesOf: (item) => item.length,
    maxItems: options.maxItems ?? 32,
    maxBytes: options.maxBytes ?? 1_000,
  });
  return { batcher, sends };
}

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('the first exit goes at once; those that come during its send go together once it is over', async () => {
  const { batcher, sends } = heldBatcher();
  const first = batcher.send('a');
  const others = [batcher.send('b'), batcher.send('c')];
  expect(sends.map((s) => s.items)).toEqual([['a']]);
  sends[0].done();
  await first;
  await settled();
  expect(sends.map((s) => s.items)).toEqual([['a'], ['b', 'c']]);
  // One that comes during that batch's send waits for it in turn.
  const late = batcher.send('d');
  sends[1].done();
  await Promise.all(others);
  await settled();
  expect(sends.map((s) => s.items)).toEqual([['a'], ['b', 'c'], ['d']]);
  sends[2].done();
  await late;
  await settled();
  // Nothing under way: the next goes at once.
  void batcher.send('e');
  expect(sends.map((s) => s.items)).toEqual([['a'], ['b', 'c'], ['d'], ['e']]);
});

test('a batch is cut into events of at most maxItems exits and maxBytes bytes, in order', async () => {
  const { batcher, sends } = heldBatcher({ maxItems: 2, maxBytes: 5 });
  void batcher.send('x');
  for (const item of ['aa', 'bb', 'c', 'dddd', 'eeeeee', 'f']) void batcher.send(item);
  sends[0].done();
  await settled();
  expect(sends.slice(1).map((s) => s.items)).toEqual([['aa', 'bb'], ['c', 'dddd'], ['eeeeee'], ['f']]);
});

test('without a control plane that reads them together, each waiting exit goes alone', async () => {
  const { batcher, sends } = heldBatcher({ together: false });
  void batcher.send('a');
  void batcher.send('b');
  void batcher.send('c');
  sends[0].done();
  await settled();
  expect(sends.map((s) => s.items)).toEqual([['a'], ['b'], ['c']]);
});

test('a failed send fails each of its exits, and the next ones still go', async () => {
  const { batcher, sends } = heldBatcher();
  const first = batcher.send('a');
  const batch = [batcher.send('b'), batcher.send('c')].map((sent) =>
    sent.catch((error: Error) => error.message),
  );
  sends[0].fail(new Error('queue down'));
  await expect(first).rejects.toThrow('queue down');
  await settled();
  sends[1].fail(new Error('still down'));
  expect(await Promise.all(batch)).toEqual(['still down', 'still down']);
  await settled();
  const next = batcher.send('d');
  expect(sends.map((s) => s.items)).toEqual([['a'], ['b', 'c'], ['d']]);
  sends[2].done();
  await next;
});

test('while other tasks run, the first exit waits one timer tick, and those ending meanwhile go with it', async () => {
  const { batcher, sends } = heldBatcher({ holdFirst: true });
  const sent = [batcher.send('a'), batcher.send('b')];
  expect(sends).toHaveLength(0);
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect(sends.map((s) => s.items)).toEqual([['a', 'b']]);
  sends[0].done();
  await Promise.all(sent);
});
