import { GpuShares } from './gpuShares';

test('jobs sharing a node get GPUs of their own while there are enough', () => {
  const shares = new GpuShares(4);
  expect(shares.take('a-1', 'a/1', 2)).toEqual([0, 1]);
  expect(shares.take('b-1', 'b/1', 2)).toEqual([2, 3]);
  shares.release('a-1');
  expect(shares.take('c-1', 'c/1', 2)).toEqual([0, 1]);
});

test("an attempt's tasks on the node share the devices its first task got", () => {
  const shares = new GpuShares(4);
  expect(shares.take('a-1-worker0', 'a/1', 1)).toEqual([0]);
  expect(shares.take('b-1', 'b/1', 1)).toEqual([1]);
  expect(shares.take('a-1-worker1', 'a/1', 1)).toEqual([0]);
  // The device stays the attempt's while one of its tasks runs.
  shares.release('a-1-worker0');
  expect(shares.take('c-1', 'c/1', 1)).toEqual([2]);
  expect(shares.take('d-1', 'd/1', 1)).toEqual([3]);
  shares.release('a-1-worker1');
  expect(shares.take('e-1', 'e/1', 1)).toEqual([0]);
  // A new attempt of a job is another holder.
  expect(shares.take('b-2', 'b/2', 1)).toEqual([0]);
});

test('more jobs than GPUs share the least used ones', () => {
  const shares = new GpuShares(2);
  expect(['a', 'b', 'c', 'd', 'e'].map((job) => shares.take(job, `${job}/1`, 1))).toEqual([
    [0],
    [1],
    [0],
    [1],
    [0],
  ]);
  shares.release('b');
  shares.release('d');
  // Device 1 is free again: the next job gets it, not device 0 (three jobs).
  expect(shares.take('f', 'f/1', 1)).toEqual([1]);
});

test('a share of several devices takes the least used ones, listed in order', () => {
  const shares = new GpuShares(4);
  shares.take('a', 'a/1', 1); // 0
  shares.take('b', 'b/1', 1); // 1
  shares.release('a');
  expect(shares.take('c', 'c/1', 3)).toEqual([0, 2, 3]);
});

test('no share asked, no GPU, or a share of all: every GPU (no restriction)', () => {
  expect(new GpuShares(4).take('a', 'a/1', undefined)).toBeUndefined();
  expect(new GpuShares(0).take('a', 'a/1', 1)).toBeUndefined();
  expect(new GpuShares(2).take('a', 'a/1', 2)).toBeUndefined();
  expect(new GpuShares(2).take('a', 'a/1', 3)).toBeUndefined();
});
