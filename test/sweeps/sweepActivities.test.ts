// The sweep activities against in-memory services: the status write removes the record of a sweep whose DELETE
// came after the orchestration's last poll, and the poll reads an ended trial's stdout to the end (over several
// rounds when more than one read's worth is left) before the trial counts as ended; a line longer than one read is
// dropped (the lines after it are read), and a cancelled sweep does not wait for the rest of an ended trial's stdout.
import { Readable } from 'stream';
import type { ContainerClient } from '@azure/storage-blob';
import type { SweepActivityServices } from '../../orchestrations/sweeps/sweepServices';
import { createSweepTrials } from '../../orchestrations/sweeps/createSweepTrialsActivity';
import { pollSweepTrials } from '../../orchestrations/sweeps/pollSweepTrialsActivity';
import { recordSweepStatus } from '../../orchestrations/sweeps/recordSweepStatusActivity';
import { maxBytesPerRead } from '../../orchestrations/sweeps/trialStdoutReader';
import { ConflictError } from '../../shared/domain/errors';
import { trialParameters } from '../../shared/domain/sweeps/searchSpace';
import { trialJobBody } from '../../shared/domain/sweeps/trialJobBody';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import {
  applyCreated,
  applyObservations,
  initialRunState,
  isActive,
  isFinished,
  planRound,
  type SweepRunState,
  type SweepStatus,
} from '../../shared/domain/sweeps/sweepProgress';
import type { SweepRecord } from '../../shared/domain/sweeps/sweepStore';
import { MemorySweepStore } from './support/memorySweepStore';
import { testSweepDefinition } from './support/sweepDefinition';

let services: SweepActivityServices;
jest.mock('../../orchestrations/sweeps/sweepServices', () => ({
  getSweepActivityServices: () => Promise.resolve(services),
}));
/** The job service's create, as `createJobAs` says (set by the CreateSweepTrials tests). */
let createJobAs: (ref: { name: string }, body: unknown, options?: { createdBy?: string }) => Promise<unknown>;
jest.mock('../../shared/domain/services/jobService', () => ({
  createJob: (_deps: unknown, ref: { name: string }, body: unknown, options?: { createdBy?: string }) =>
    createJobAs(ref, body, options),
}));

const definition = testSweepDefinition([0.1, 0.01]);
const sweep = { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', experiment: 'exp', name: 'sw' };
const uuid = '0b1c2d3e-0000-4000-8000-000000000003';
const running: SweepStatus = {
  executionState: 'running',
  trialCounts: {
    notStarted: 0,
    queued: 0,
    running: 1,
    succeeded: 1,
    failed: 0,
    earlyTerminated: 0,
    cancelled: 0,
  },
  trials: [],
};
const record = (flags: Partial<SweepRecord> = {}): SweepRecord => ({
  address: sweep,
  armId: '/subscriptions/s/.../sweeps/sw',
  uuid,
  definition,
  encryptedSecrets: {},
  creationTime: '2030-01-01T00:00:00.000Z',
  executionStateTransitionTime: '2030-01-01T00:00:00.000Z',
  status: running,
  ...flags,
});

/** Activity services over in-memory stores; `blobs` are the job-files container's blobs by name. */
function servicesWith(
  sweeps: MemorySweepStore,
  jobs: Record<string, unknown>,
  blobs: Record<string, Buffer>,
) {
  const jobFiles = {
    getBlobClient: (name: string) => ({
      download: (offset: number, count: number) => {
        const blob = blobs[name];
        if (!blob) return Promise.reject(Object.assign(new Error('BlobNotFound'), { statusCode: 404 }));
        if (offset >= blob.length)
          return Promise.reject(Object.assign(new Error('InvalidRange'), { statusCode: 416 }));
        return Promise.resolve({
          readableStreamBody: Readable.from([blob.subarray(offset, offset + count)]),
        });
      },
    }),
  } as unknown as ContainerClient;
  const store = {
    get: (ref: { name: string }) => Promise.resolve(jobs[ref.name] && { record: jobs[ref.name], etag: 'e' }),
  };
  return { sweeps, jobFiles, deps: { store } as unknown as ServiceDeps };
}

/** PollSweepTrials as the orchestration asks it for the active trials of `state`. */
function pollActiveTrials(state: SweepRunState) {
  return pollSweepTrials({
    sweep,
    uuid,
    metric: 'accuracy',
    trials: state.trials.filter(isActive).map((t) => ({
      name: t.name,
      attempt: t.attempt,
      offset: t.offset,
      reports: t.series.reports,
      ...(t.stdoutBlob !== undefined ? { stdoutBlob: t.stdoutBlob } : {}),
    })),
  });
}

describe('RecordSweepStatus', () => {
  const succeeded: SweepStatus = { ...running, executionState: 'succeeded' };

  test('the final status of a sweep whose DELETE came after the last poll removes its record', async () => {
    const sweeps = new MemorySweepStore();
    await sweeps.create(record({ cancelRequested: true, deleteRequested: true }));
    services = servicesWith(sweeps, {}, {});
    // The orchestration polled before the DELETE: it asks for no removal.
    expect(await recordSweepStatus({ sweep, uuid, status: succeeded, remove: false, final: true })).toBe(
      true,
    );
    expect(await sweeps.get(sweep)).toBeUndefined();
  });

  test('an older instance (no final flag) removes it on a status that is not running', async () => {
    const sweeps = new MemorySweepStore();
    await sweeps.create(record({ cancelRequested: true, deleteRequested: true }));
    services = servicesWith(sweeps, {}, {});
    await recordSweepStatus({ sweep, uuid, status: succeeded, remove: false });
    expect(await sweeps.get(sweep)).toBeUndefined();
  });

  test('a status that is not final keeps the record and its pending DELETE', async () => {
    const sweeps = new MemorySweepStore();
    await sweeps.create(record({ cancelRequested: true, deleteRequested: true }));
    services = servicesWith(sweeps, {}, {});
    const failedStopping: SweepStatus = { ...running, executionState: 'failed', error: 'down' };
    await recordSweepStatus({ sweep, uuid, status: failedStopping, remove: false, final: false });
    expect((await sweeps.get(sweep))?.record).toMatchObject({
      deleteRequested: true,
      status: failedStopping,
    });
  });

  test('without a pending DELETE the final status is written', async () => {
    const sweeps = new MemorySweepStore();
    await sweeps.create(record());
    services = servicesWith(sweeps, {}, {});
    await recordSweepStatus({ sweep, uuid, status: succeeded, remove: false, final: true });
    expect((await sweeps.get(sweep))?.record.status.executionState).toBe('succeeded');
  });
});

describe('PollSweepTrials', () => {
  test('a trial that ended with more than one read of stdout left counts as ended only with its last metric', async () => {
    const filler = `${'x'.repeat(1023)}\n`.repeat(Math.ceil((maxBytesPerRead * 1.2) / 1024));
    const stdout = Buffer.from(
      `##batchai[metric] accuracy=0.5 step=0\n${filler}##batchai[metric] accuracy=0.93 step=1`,
    );
    expect(stdout.length).toBeGreaterThan(maxBytesPerRead);
    const sweeps = new MemorySweepStore();
    await sweeps.create(record());
    const job = { job: { executionState: 'succeeded', attempts: [{}] }, status: {}, spec: {} };
    services = servicesWith(sweeps, { 'sw-t0': job }, { 'out/stdout.txt': stdout });

    let state = applyCreated(initialRunState(0), [{ index: 0, name: 'sw-t0' }]);
    state = {
      ...state,
      trials: state.trials.map((t) => ({ ...t, attempt: 1, stdoutBlob: 'out/stdout.txt' })),
    };
    let rounds = 0;
    while (state.trials.some(isActive) && rounds < 5) {
      rounds++;
      const observed = await pollActiveTrials(state);
      if (rounds === 1) expect(observed.trials[0]).toMatchObject({ state: 'succeeded', unread: true });
      state = applyObservations(definition, state, observed.trials);
    }
    expect(rounds).toBe(2);
    expect(state.trials[0]).toMatchObject({ phase: 'succeeded', offset: stdout.length });
    expect(state.trials[0].series).toMatchObject({ last: 0.93, lastStep: 1, reports: 2 });
  });
});

describe('PollSweepTrials: lines longer than one read, progress bars, a cancel', () => {
  const trialJob = (executionState: string) => ({
    job: { executionState, attempts: [{}] },
    status: {},
    spec: {},
  });
  const oneTrial = (): SweepRunState => {
    const state = applyCreated(initialRunState(0), [{ index: 0, name: 'sw-t0' }]);
    return {
      ...state,
      trials: state.trials.map((t) => ({ ...t, attempt: 1, stdoutBlob: 'out/stdout.txt' })),
    };
  };
  /** One orchestration round's observation of the active trials. */
  async function round(state: SweepRunState): Promise<SweepRunState> {
    const observed = await pollActiveTrials(state);
    return applyObservations(definition, state, observed.trials);
  }
  const metricLine = (value: number, step: number) => `##batchai[metric] accuracy=${value} step=${step}`;

  test('an ended trial whose stdout has one line longer than a read ends, with the metric printed after it', async () => {
    // The over-long line ends with what looks like a metric line: it is dropped whole, never half read.
    const longLine = `${'x'.repeat(Math.ceil(maxBytesPerRead * 1.25))}${metricLine(0.99, 9)}`;
    const stdout = Buffer.from(`${metricLine(0.2, 0)}\n${longLine}\n${metricLine(0.5, 1)}\n`);
    const sweeps = new MemorySweepStore();
    await sweeps.create(record());
    services = servicesWith(sweeps, { 'sw-t0': trialJob('succeeded') }, { 'out/stdout.txt': stdout });
    let state = oneTrial();
    let rounds = 0;
    while (state.trials.some(isActive) && rounds < 10) {
      rounds++;
      state = await round(state);
    }
    expect(state.trials[0]).toMatchObject({ phase: 'succeeded', offset: stdout.length });
    expect(state.trials[0].series).toMatchObject({ last: 0.5, lastStep: 1, reports: 2 });
    expect(isFinished(definition, { ...state, nextIndex: definition.maxTrials })).toBe(true);
  });

  test('while the job runs, a line longer than a read is dropped and the next metric line is read', async () => {
    const blobs: Record<string, Buffer> = { 'out/stdout.txt': Buffer.from('x'.repeat(maxBytesPerRead + 10)) };
    const sweeps = new MemorySweepStore();
    await sweeps.create(record());
    const jobs: Record<string, unknown> = { 'sw-t0': trialJob('running') };
    services = servicesWith(sweeps, jobs, blobs);
    let state = await round(oneTrial());
    expect(state.trials[0].offset).toBe(maxBytesPerRead);
    blobs['out/stdout.txt'] = Buffer.concat([
      blobs['out/stdout.txt'],
      Buffer.from(`yyy\n${metricLine(0.7, 1)}\n`),
    ]);
    state = await round(state);
    expect(state.trials[0]).toMatchObject({ phase: 'running', offset: blobs['out/stdout.txt'].length });
    expect(state.trials[0].series).toMatchObject({ last: 0.7, lastStep: 1 });
  });

  test("a metric line printed after a progress bar's '\\r' updates is read", async () => {
    const bar = Array.from({ length: 100 }, (_, i) => `training ${i}%`).join('\r');
    const stdout = Buffer.from(`${bar}\r${metricLine(0.8, 3)}\r\n`);
    const sweeps = new MemorySweepStore();
    await sweeps.create(record());
    services = servicesWith(sweeps, { 'sw-t0': trialJob('running') }, { 'out/stdout.txt': stdout });
    const state = await round(oneTrial());
    expect(state.trials[0].series).toMatchObject({ last: 0.8, lastStep: 3 });
  });

  test('a cancel ends a trial whose job ended without reading the rest of its stdout, and the sweep ends', async () => {
    const filler = `${'x'.repeat(1023)}\n`.repeat(Math.ceil((maxBytesPerRead * 3) / 1024));
    const stdout = Buffer.from(`${metricLine(0.6, 0)}\n${filler}${metricLine(0.9, 1)}\n`);
    const sweeps = new MemorySweepStore();
    await sweeps.create(record());
    const jobs: Record<string, unknown> = { 'sw-t0': trialJob('succeeded') };
    services = servicesWith(sweeps, jobs, { 'out/stdout.txt': stdout });
    let state = await round(oneTrial());
    expect(state.trials[0]).toMatchObject({ phase: 'running', ended: 'succeeded' });
    // The user cancels (or deletes) the sweep: the next round ends the trial with what was read.
    const current = await sweeps.get(sweep);
    await sweeps.replace({ ...current!.record, cancelRequested: true }, current!.etag);
    state = await round(state);
    const plan = planRound(definition, state, 0, true);
    expect(plan.stop).toEqual([]);
    expect(plan.state.trials[0]).toMatchObject({ phase: 'succeeded' });
    expect(plan.state.trials[0].series.last).toBe(0.6);
    expect(isFinished(definition, plan.state)).toBe(true);
  });
});

describe('CreateSweepTrials never adopts a job it did not create', () => {
  const sweepCreated = '2030-01-01T00:00:00.000Z';
  const requestedAt = '2030-01-01T01:00:00.000Z';
  /** The body the sweep gives trial `index`'s job. */
  const trialBody = (index: number) =>
    trialJobBody(definition.jobTemplate, trialParameters(definition, index), {});
  /**
   * The experiment's jobs (name: creation time, and whether the body is the trial's), and a createJob that creates
   * or confirms (the same body) or refuses (another body) as the job service does.
   */
  async function setUp(existing: Record<string, { created: string; sameBody: boolean; createdBy?: string }>) {
    const sweeps = new MemorySweepStore();
    await sweeps.create(record({ creationTime: sweepCreated }));
    const jobs: Record<
      string,
      { status: { creationTime: string }; body: unknown; job?: { createdBy?: string } }
    > = {};
    for (const [name, job] of Object.entries(existing))
      jobs[name] = {
        status: { creationTime: job.created },
        ...(job.createdBy !== undefined ? { job: { createdBy: job.createdBy } } : {}),
        body: job.sameBody ? trialBody(Number(name.slice('sw-t'.length))) : { properties: { other: true } },
      };
    const created: string[] = [];
    createJobAs = (ref, body, options) => {
      const job = jobs[ref.name];
      if (!job) {
        jobs[ref.name] = {
          status: { creationTime: '2030-01-01T01:00:01.000Z' },
          body,
          job: { createdBy: options?.createdBy },
        };
        created.push(ref.name);
        return Promise.resolve({ created: true, stored: { record: jobs[ref.name], etag: 'e' } });
      }
      if (JSON.stringify(job.body) !== JSON.stringify(body))
        return Promise.reject(
          new ConflictError('PropertyChangeNotAllowed', `The resource '${ref.name}' already exists.`),
        );
      return Promise.resolve({ created: false, stored: { record: job, etag: 'e' } });
    };
    services = servicesWith(sweeps, jobs, {});
    return { jobs, created };
  }

  test('a job of an earlier sweep of that name with the same body is not adopted: the trial fails', async () => {
    const { created, jobs } = await setUp({
      'sw-t0': { created: '2029-12-31T00:00:00.000Z', sameBody: true },
    });
    const result = await createSweepTrials({ sweep, uuid, indexes: [0, 1], requestedAt });
    expect(result.created[0]).toMatchObject({ index: 0, name: 'sw-t0' });
    expect(result.created[0].error).toMatch(/^TrialJobNameTaken: the job 'sw-t0' already exists/);
    expect(result.created[1]).toEqual({ index: 1, name: 'sw-t1' });
    expect(created).toEqual(['sw-t1']);
    expect(jobs['sw-t0'].status.creationTime).toBe('2029-12-31T00:00:00.000Z'); // left as it was
    // An instance from before requestedAt was passed goes by the sweep's creation time alone.
    const older = await createSweepTrials({ sweep, uuid, indexes: [0] });
    expect(older.created[0].error).toMatch(/^TrialJobNameTaken/);
  });

  test('so is an identical job made by hand after the sweep, long before the round asked for the trial', async () => {
    await setUp({ 'sw-t1': { created: '2030-01-01T00:30:00.000Z', sameBody: true } });
    const result = await createSweepTrials({ sweep, uuid, indexes: [1], requestedAt });
    expect(result.created[0].error).toMatch(/^TrialJobNameTaken/);
  });

  test('a job of that name with another body fails the trial with a clear reason', async () => {
    await setUp({ 'sw-t1': { created: '2030-01-01T01:00:02.000Z', sameBody: false } });
    const result = await createSweepTrials({ sweep, uuid, indexes: [1], requestedAt });
    expect(result.created[0].error).toMatch(
      /^TrialJobNameTaken: the job 'sw-t1' already exists with another body/,
    );
  });

  test("a new trial job is marked as this sweep's", async () => {
    const { jobs } = await setUp({});
    await createSweepTrials({ sweep, uuid, indexes: [0], requestedAt });
    expect(jobs['sw-t0'].job).toEqual({ createdBy: `sweep:${uuid}` });
  });

  test('a trial job made by an earlier round that failed, long before this round, is confirmed', async () => {
    // The round that created it failed after (another trial's create failed all its retries): the next round, a
    // few minutes later, asks for the same trial again.
    const { created } = await setUp({
      'sw-t0': { created: '2030-01-01T00:55:00.000Z', sameBody: true, createdBy: `sweep:${uuid}` },
    });
    const result = await createSweepTrials({ sweep, uuid, indexes: [0, 1], requestedAt });
    expect(result.created).toEqual([
      { index: 0, name: 'sw-t0' },
      { index: 1, name: 'sw-t1' },
    ]);
    expect(created).toEqual(['sw-t1']);
  });

  test("another sweep's trial job of that name is not adopted, however recent", async () => {
    await setUp({
      'sw-t0': {
        created: '2030-01-01T01:00:01.000Z',
        sameBody: true,
        createdBy: 'sweep:0b1c2d3e-0000-4000-8000-0000000000ff',
      },
    });
    const result = await createSweepTrials({ sweep, uuid, indexes: [0], requestedAt });
    expect(result.created[0].error).toMatch(/^TrialJobNameTaken: the job 'sw-t0' already exists/);
  });

  test('the job a retried call created for this round is confirmed', async () => {
    await setUp({ 'sw-t0': { created: '2030-01-01T01:00:01.000Z', sameBody: true } });
    const result = await createSweepTrials({ sweep, uuid, indexes: [0], requestedAt });
    expect(result.created).toEqual([{ index: 0, name: 'sw-t0' }]);
  });
});
