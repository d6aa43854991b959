import { PreparedImages, preparedImageName, type DockerRunner } from './preparedImages';

/** A docker CLI that records its calls and answers from `images` (the engine's local images). */
function engine(images: Set<string>, failing: string[] = []) {
  const calls: string[] = [];
  const docker: DockerRunner = async (args) => {
    calls.push(args.join(' '));
    if (failing.includes(args[0]))
      return { status: 1, output: `Error response from daemon: ${args[0]} refused` };
    if (args[0] === 'commit') images.add(args[args.length - 1]);
    if (args[0] === 'image') return { status: images.has(args[4]) ? 0 : 1, output: '' };
    if (args[0] === 'rmi') return { status: images.delete(args[1]) ? 0 : 1, output: 'No such image' };
    if (args[0] === 'images') return { status: 0, output: [...images, 'python'].join('\n') };
    return { status: 0, output: '' };
  };
  return { calls, docker };
}

const quiet = (): void => undefined;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('the image is per node, job and attempt, and a name Docker accepts', () => {
  const name = preparedImageName('node-0', '/subscriptions/s/jobs/train', 1);
  expect(name).toMatch(/^batchai-prepared-[0-9a-f]{32}$/);
  expect(preparedImageName('node-1', '/subscriptions/s/jobs/train', 1)).not.toBe(name);
  expect(preparedImageName('node-0', '/subscriptions/s/jobs/train', 2)).not.toBe(name);
  expect(preparedImageName('node-0', '/subscriptions/s/jobs/train', 1)).toBe(name);
});

test('a preparation that succeeded is committed, then its container removed; a failed one is only removed', async () => {
  const images = new Set<string>();
  const { calls, docker } = engine(images);
  const prepared = new PreparedImages(docker, quiet);
  await expect(prepared.keep('batchai-t1', 'batchai-prepared-a', true)).resolves.toBeUndefined();
  await expect(prepared.keep('batchai-t2', 'batchai-prepared-b', false)).resolves.toBeUndefined();
  expect(calls).toEqual(['commit batchai-t1 batchai-prepared-a', 'rm -f batchai-t1', 'rm -f batchai-t2']);
  expect([...images]).toEqual(['batchai-prepared-a']);
});

test('a commit the engine refuses fails the preparation with its answer, and the container is still removed', async () => {
  const { calls, docker } = engine(new Set(), ['commit']);
  const failure = await new PreparedImages(docker, quiet).keep('batchai-t1', 'batchai-prepared-a', true);
  expect(failure).toBe(
    "The job preparation's container could not be kept for the job's processes: Error response from daemon: commit refused",
  );
  expect(calls).toEqual(['commit batchai-t1 batchai-prepared-a', 'rm -f batchai-t1']);
});

test('the image is removed once its last task ended and none started within the grace period', async () => {
  const images = new Set(['batchai-prepared-a']);
  const { calls, docker } = engine(images);
  const prepared = new PreparedImages(docker, quiet, 30);
  await expect(prepared.use('batchai-prepared-a')).resolves.toBe(true);
  await expect(prepared.use('batchai-prepared-a')).resolves.toBe(true);
  prepared.release('batchai-prepared-a');
  await sleep(60);
  expect(images.has('batchai-prepared-a')).toBe(true); // one task still runs from it
  prepared.release('batchai-prepared-a');
  // A task starting within the grace period keeps it.
  await sleep(10);
  await expect(prepared.use('batchai-prepared-a')).resolves.toBe(true);
  await sleep(60);
  expect(images.has('batchai-prepared-a')).toBe(true);
  prepared.release('batchai-prepared-a');
  await sleep(60);
  expect(images.has('batchai-prepared-a')).toBe(false);
  expect(calls.filter((call) => call.startsWith('rmi'))).toEqual(['rmi batchai-prepared-a']);
});

test('a missing image is reported, and a starting agent removes the prepared images it finds, no others', async () => {
  const images = new Set(['batchai-prepared-a', 'batchai-prepared-b']);
  const { calls, docker } = engine(images);
  const prepared = new PreparedImages(docker, quiet, 10);
  await expect(prepared.use('batchai-prepared-c')).resolves.toBe(false);
  await prepared.removeLeftovers();
  expect([...images]).toEqual([]);
  expect(calls).toContain('rmi batchai-prepared-a');
  expect(calls).not.toContain('rmi python');
  await sleep(30);
  expect(calls.filter((call) => call.startsWith('rmi'))).toHaveLength(2); // nothing scheduled for the missing one
});

test("the image keeps none of the preparation's variables, and goes when no process comes to use it", async () => {
  const images = new Set<string>();
  const { calls, docker } = engine(images);
  const prepared = new PreparedImages(docker, quiet, 10, 30);
  await prepared.keep('batchai-t1', 'batchai-prepared-a', true, ['TOKEN', 'AZ_BATCHAI_JOB_TEMP']);
  expect(calls[0]).toBe(
    'commit --change ENV TOKEN= --change ENV AZ_BATCHAI_JOB_TEMP= batchai-t1 batchai-prepared-a',
  );
  expect(images.has('batchai-prepared-a')).toBe(true);
  // The attempt ended or moved before its processes started here: nothing uses the image, and it is removed.
  await sleep(60);
  expect(images.has('batchai-prepared-a')).toBe(false);
});
