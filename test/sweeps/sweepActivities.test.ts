// The sweep activities against in-memory services: the status write removes the record of a sweep whose DELETE
// came after the orchestration's last poll, and the poll reads an ended trial's stdout to the end (over several
// rounds when more than one read's worth is left) before the trial counts as ended.
import { Readable } from 'stream';
import type { ContainerClient } from '@azure/storage-blob';
import type { SweepActivityServices } from '../../orchestrations/sweeps/sweepServices';
import { pollSweepTrials } from '../../orchestrations/sweeps/pollSweepTrialsActivity';
import { recordSweepStatus } from '../../orchestrations/sweeps/recordSweepStatusActivity';
import { maxBytesPerRead } from '../../orchestrations/sweeps/trialStdoutReader';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import {
  applyCreated,
  applyObservations,
  initialRunState,
  isActive,
  type SweepStatus,
} from '../../shared/domain/sweeps/sweepProgress';
import type { SweepRecord } from '../../shared/domain/sweeps/sweepStore';
import { MemorySweepStore } from './support/memorySweepStore';
import { testSweepDefinition } from './support/sweepDefinition';

let services: SweepActivityServices;
jest.mock('../../orchestrations/sweeps/sweepServices', () => ({
  getSweepActivityServices: () => Promise.resolve(services),
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
      const observed = await pollSweepTrials({
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
      if (rounds === 1) expect(observed.trials[0]).toMatchObject({ state: 'succeeded', unread: true });
      state = applyObservations(definition, state, observed.trials);
    }
    expect(rounds).toBe(2);
    expect(state.trials[0]).toMatchObject({ phase: 'succeeded', offset: stdout.length });
    expect(state.trials[0].series).toMatchObject({ last: 0.93, lastStep: 1, reports: 2 });
  });
});
