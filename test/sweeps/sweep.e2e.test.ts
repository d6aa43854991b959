// End to end through the real app on the local host: a parameter sweep runs its trials as ordinary jobs on local
// nodes, never more than maxConcurrentTrials at a time, reads their metric lines from stdout, and reports the best
// trial; an early-termination policy stops a clearly bad trial; cancel stops the running trials; a line longer than
// one read does not stop the sweep; a sweep created again under its name never adopts the old trial jobs.
// Needs `npx tsc -p tsconfig.json` first (the host, the app and the agents run from dist/).
import * as path from 'path';
import { repoRoot, waitFor } from '../support/testEnvironment';
import { customJob, experiment, startJobTestBed, type JobTestBed } from '../jobs/support/jobTestBed';

let bed: JobTestBed;
const script = path.join(repoRoot, 'examples', 'sweep', 'train.js');
const node = process.execPath;

beforeAll(async () => {
  bed = await startJobTestBed({ SWEEP_POLL_SECONDS: '1', SWEEP_ROUNDS_PER_EPISODE: '5' });
  await bed.createCluster('cpu', 2);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

type Properties = Record<string, unknown>;
interface Trial {
  name: string;
  parameters: Record<string, unknown>;
  state: string;
  metric?: number;
  step?: number;
}

function sweepBody(commandLine: string, extra: Properties): Properties {
  return {
    properties: {
      jobTemplate: customJob(bed, 'cpu', commandLine),
      sampling: 'grid',
      maxConcurrentTrials: 2,
      objective: { metric: 'accuracy', goal: 'maximize' },
      ...extra,
    },
  };
}

async function getSweep(name: string): Promise<Properties> {
  const response = await bed.api.send('GET', `${experiment}/sweeps/${name}`);
  if (response.status !== 200) throw new Error(`GET sweep ${name}: ${response.status} ${response.text}`);
  return response.body.properties as Properties;
}

async function waitForSweep(name: string, state: string, timeoutMs = 90_000): Promise<Properties> {
  let last: Properties = {};
  try {
    return await waitFor(
      `sweep ${name} ${state}`,
      async () => {
        last = await getSweep(name);
        return last.executionState === state ? last : undefined;
      },
      timeoutMs,
    );
  } catch (error: unknown) {
    throw new Error(
      `${(error as Error).message}\nlast seen: ${JSON.stringify(last)}\n${bed.env.hostOutput().slice(-3000)}`,
    );
  }
}

/** The largest number of trial jobs that ran at the same time, from their attempts' start and end times. */
async function maxOverlap(names: string[]): Promise<number> {
  const edges: [number, number][] = [];
  for (const name of names) {
    const job = await bed.getJob(name);
    for (const attempt of (job.attempts ?? []) as { startTime?: string; endTime?: string }[]) {
      if (!attempt.startTime || !attempt.endTime) throw new Error(`${name}: attempt without start/end`);
      edges.push([Date.parse(attempt.startTime), 1], [Date.parse(attempt.endTime), -1]);
    }
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // an end before a start at the same instant
  let running = 0;
  let peak = 0;
  for (const [, delta] of edges) peak = Math.max(peak, (running += delta));
  return peak;
}

test('a 4-trial grid sweep runs at most 2 trials at a time and reports the best trial', async () => {
  const body = sweepBody(`${node} ${script} --lr {parameters.lr} --epochs 3 --epoch-seconds 0.2`, {
    parameters: { lr: { type: 'choice', values: [0.1, 0.01, 0.001, 0.0001] } },
  });
  const put = await bed.api.send('PUT', `${experiment}/sweeps/grid`, body);
  expect(put.status).toBe(201);
  expect(put.text).not.toContain('c2VjcmV0LWtleQ=='); // the template's storage key is sealed, never echoed
  expect((await bed.api.send('PUT', `${experiment}/sweeps/grid`, body)).status).toBe(200);
  const changed = { properties: { ...(body.properties as Properties), maxConcurrentTrials: 3 } };
  const again = await bed.api.send('PUT', `${experiment}/sweeps/grid`, changed);
  expect((again.body.error as { target: string }).target).toBe('properties.maxConcurrentTrials');
  expect(again.status).toBe(409);

  const done = await waitForSweep('grid', 'succeeded');
  expect(done.trialCounts).toEqual({
    notStarted: 0,
    queued: 0,
    running: 0,
    succeeded: 4,
    failed: 0,
    earlyTerminated: 0,
    cancelled: 0,
  });
  // accuracy = quality(lr) * (1 - 0.5^3): quality peaks at lr = 0.01 (trial 1).
  expect(done.bestTrial).toEqual({ name: 'grid-t1', parameters: { lr: 0.01 }, metric: 0.875 });
  const trials = done.trials as Trial[];
  expect(trials.map((t) => [t.name, t.parameters.lr, t.state, t.step])).toEqual([
    ['grid-t0', 0.1, 'succeeded', 3],
    ['grid-t1', 0.01, 'succeeded', 3],
    ['grid-t2', 0.001, 'succeeded', 3],
    ['grid-t3', 0.0001, 'succeeded', 3],
  ]);
  expect(trials[3].metric).toBeCloseTo((1 - 4 / 9) * 0.875, 5);

  // Trials are ordinary jobs of the experiment, and never more than 2 ran at once.
  const jobs = await bed.api.send('GET', `${experiment}/jobs`);
  const names = ((jobs.body.value ?? []) as { name: string }[])
    .map((j) => j.name)
    .filter((n) => n.startsWith('grid-'));
  expect(names.sort()).toEqual(['grid-t0', 'grid-t1', 'grid-t2', 'grid-t3']);
  expect(await maxOverlap(names)).toBeLessThanOrEqual(2);

  const list = await bed.api.send('GET', `${experiment}/sweeps`);
  expect(((list.body.value ?? []) as { name: string }[]).map((s) => s.name)).toContain('grid');
});

test('the bandit policy stops a clearly bad trial early; the good one finishes and is the best', async () => {
  const put = await bed.api.send(
    'PUT',
    `${experiment}/sweeps/bandit`,
    sweepBody(`${node} ${script} --lr {parameters.lr} --epochs 16 --epoch-seconds 0.25`, {
      parameters: { lr: { type: 'choice', values: [0.01, 0.000001] } },
      earlyTermination: { policy: 'bandit', evaluationInterval: 1, delayEvaluation: 1, slackFactor: 0.1 },
    }),
  );
  expect(put.status).toBe(201);
  const done = await waitForSweep('bandit', 'succeeded');
  const [good, bad] = done.trials as (Trial & { reason?: string })[];
  expect(good).toMatchObject({ name: 'bandit-t0', state: 'succeeded', step: 16 });
  expect(bad).toMatchObject({ name: 'bandit-t1', state: 'earlyTerminated' });
  expect(bad.step).toBeLessThan(16);
  expect(bad.reason).toContain('Bandit');
  expect(done.bestTrial).toMatchObject({ name: 'bandit-t0', parameters: { lr: 0.01 } });
  const badJob = await bed.getJob('bandit-t1');
  expect(badJob.executionState).toBe('failed');
  expect(badJob.executionInfo).toMatchObject({
    errors: [{ code: 'JobTerminated', message: `Stopped by the sweep 'bandit': ${bad.reason}` }],
  });
});

test('cancel stops the running trials, creates no more and ends the sweep cancelled', async () => {
  await bed.api.send(
    'PUT',
    `${experiment}/sweeps/cancelled`,
    sweepBody(`${node} ${script} --lr {parameters.lr} --epochs 200 --epoch-seconds 0.25`, {
      parameters: { lr: { type: 'choice', values: [0.1, 0.01, 0.001] } },
    }),
  );
  await waitFor(
    'two trials running',
    async () =>
      ((await getSweep('cancelled')).trialCounts as Record<string, number>).running === 2 || undefined,
    60_000,
  );
  const cancel = await bed.api.send('POST', `${experiment}/sweeps/cancelled/cancel`);
  expect(cancel.status).toBe(200);
  const done = await waitForSweep('cancelled', 'cancelled');
  expect(done.trialCounts).toMatchObject({ cancelled: 2, notStarted: 0, running: 0, queued: 0 });
  expect((done.trials as Trial[]).length).toBe(2);
  const deleted = await bed.api.send('DELETE', `${experiment}/sweeps/cancelled`);
  expect(deleted.status).toBe(200);
  expect((await bed.api.send('GET', `${experiment}/sweeps/cancelled`)).status).toBe(404);
});

test('a bad sweep body is a 400 naming the field', async () => {
  const response = await bed.api.send(
    'PUT',
    `${experiment}/sweeps/bad`,
    sweepBody(`${node} ${script} --lr {parameters.lr}`, {
      parameters: { lr: { type: 'uniform', min: 0.001, max: 0.1 } },
    }),
  );
  expect(response.status).toBe(400);
  expect((response.body.error as { target: string }).target).toBe('properties.parameters.lr.type');
});

test('a trial printing a line longer than one read (4 MB) ends, and the metric line after it counts', async () => {
  // No newline for 5 MB (a progress bar rewriting itself with '\r' would not need one, this does), then the metric.
  const print = `process.stdout.write('x'.repeat(5 * 1024 * 1024)); console.log('\\n##batchai[metric] accuracy={parameters.lr} step=1')`;
  const put = await bed.api.send(
    'PUT',
    `${experiment}/sweeps/longline`,
    sweepBody(`${node} -e "${print}"`, { parameters: { lr: { type: 'choice', values: [0.5] } } }),
  );
  expect(put.status).toBe(201);
  const done = await waitForSweep('longline', 'succeeded');
  expect(done.bestTrial).toEqual({ name: 'longline-t0', parameters: { lr: 0.5 }, metric: 0.5 });
});

test('a sweep deleted and created again under its name is refused while its trial jobs exist, never adopting them', async () => {
  const body = (accuracy: number) =>
    sweepBody(`${node} -e "console.log('##batchai[metric] accuracy=${accuracy} step=1')"`, {
      parameters: { lr: { type: 'choice', values: [0.1] } },
    });
  expect((await bed.api.send('PUT', `${experiment}/sweeps/again`, body(0.1))).status).toBe(201);
  await waitForSweep('again', 'succeeded');
  const old = await bed.getJob('again-t0');
  expect((await bed.api.send('DELETE', `${experiment}/sweeps/again`)).status).toBe(200);
  // The trial job stays: the same name again (the same body or another) is a 409 naming it.
  for (const accuracy of [0.1, 0.9]) {
    const refused = await bed.api.send('PUT', `${experiment}/sweeps/again`, body(accuracy));
    expect(refused.status).toBe(409);
    const error = refused.body.error as { code: string; target: string; message: string };
    expect(error).toMatchObject({ code: 'TrialJobNameTaken', target: 'name' });
    expect(error.message).toContain(`'again-t0'`);
    expect((await bed.api.send('GET', `${experiment}/sweeps/again`)).status).toBe(404);
  }
  // Once that job is deleted the sweep is created, and its trial is a new job that runs.
  const deletion = await bed.api.send('DELETE', `${experiment}/jobs/again-t0`);
  if (deletion.status === 202) await bed.api.waitForOperation(deletion);
  expect((await bed.api.send('GET', `${experiment}/jobs/again-t0`)).status).toBe(404);
  expect((await bed.api.send('PUT', `${experiment}/sweeps/again`, body(0.9))).status).toBe(201);
  const done = await waitForSweep('again', 'succeeded');
  expect(done.bestTrial).toMatchObject({ name: 'again-t0', metric: 0.9 });
  expect((await bed.getJob('again-t0')).creationTime).not.toBe(old.creationTime);
});

test("an objective named 'step' (the step of a metric line) is a 400 naming the field", async () => {
  const response = await bed.api.send(
    'PUT',
    `${experiment}/sweeps/bystep`,
    sweepBody(`${node} ${script} --lr {parameters.lr}`, {
      parameters: { lr: { type: 'choice', values: [0.1] } },
      objective: { metric: 'step', goal: 'maximize' },
    }),
  );
  expect(response.status).toBe(400);
  expect((response.body.error as { target: string }).target).toBe('properties.objective.metric');
});

test('deleting the experiment deletes its sweeps (a re-created experiment has none)', async () => {
  const put = await bed.api.send(
    'PUT',
    `${experiment}/sweeps/leftover`,
    sweepBody(`${node} ${script} --lr {parameters.lr} --epochs 1`, {
      parameters: { lr: { type: 'choice', values: [0.1] } },
    }),
  );
  expect(put.status).toBe(201);
  await waitForSweep('leftover', 'succeeded');
  expect((await bed.api.send('DELETE', experiment)).status).toBe(202);
  await waitFor('the experiment gone', async () =>
    (await bed.api.send('GET', experiment)).status === 404 ? true : undefined,
  );
  expect([200, 201, 202]).toContain((await bed.api.send('PUT', experiment)).status);
  await waitFor('the experiment back', async () =>
    (await bed.api.send('GET', experiment)).status === 200 ? true : undefined,
  );
  expect((await bed.api.send('GET', `${experiment}/sweeps/leftover`)).status).toBe(404);
  expect((await bed.api.send('GET', `${experiment}/sweeps`)).body.value).toEqual([]);
});
