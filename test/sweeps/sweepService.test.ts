// The sweep service's cancel and DELETE of a sweep that failed while trials ran: the trials it left running are
// stopped (the orchestration is started again for them), and one that left none is unchanged or deleted at once;
// a new sweep whose trials' job names are taken by jobs of the experiment is refused (409 naming them).
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import type { SweepStatus } from '../../shared/domain/sweeps/sweepProgress';
import { ApiError } from '../../shared/domain/errors';
import type { ResourceRef } from '../../shared/domain/resourceId';
import {
  cancelSweep,
  createSweep,
  deleteSweep,
  type SweepServiceDeps,
} from '../../shared/domain/sweeps/sweepService';
import type { SweepRecord } from '../../shared/domain/sweeps/sweepStore';
import { MemorySweepStore } from './support/memorySweepStore';
import { testSweepDefinition } from './support/sweepDefinition';
import { refusal as refusalOf } from '../support/refusals';

const definition = testSweepDefinition([0.1, 0.01]);
const address = { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', experiment: 'exp', name: 'sw' };
const failed = (trialState: 'running' | 'cancelled'): SweepStatus => ({
  executionState: 'failed',
  error: 'The sweep stopped after 5 failed rounds: down',
  trialCounts: {
    notStarted: 0,
    queued: 0,
    running: 0,
    succeeded: 1,
    failed: 0,
    earlyTerminated: 0,
    cancelled: 0,
  },
  trials: [
    { name: 'sw-t0', parameters: { lr: 0.1 }, state: 'succeeded', metric: 0.8, step: 1 },
    { name: 'sw-t1', parameters: { lr: 0.01 }, state: trialState },
  ],
});

async function setUp(status: SweepStatus) {
  const sweeps = new MemorySweepStore();
  const record: SweepRecord = {
    address,
    armId: '/subscriptions/s/.../sweeps/sw',
    uuid: '0b1c2d3e-0000-4000-8000-000000000004',
    definition,
    encryptedSecrets: {},
    creationTime: '2030-01-01T00:00:00.000Z',
    executionStateTransitionTime: '2030-01-01T00:00:00.000Z',
    status,
  };
  await sweeps.create(record);
  const started: SweepRecord[] = [];
  // The workspace and the experiment exist.
  const services = {
    store: {
      get: () => Promise.resolve({ record: { status: { provisioningState: 'succeeded' } }, etag: 'e' }),
    },
  } as unknown as ServiceDeps;
  const deps: SweepServiceDeps = {
    services,
    sweeps,
    runner: { ensureStarted: (r) => Promise.resolve(void started.push(r)) },
  };
  return { deps, sweeps, started };
}

test('cancel of a failed sweep that left a trial running asks for the stop and starts its orchestration', async () => {
  const { deps, sweeps, started } = await setUp(failed('running'));
  await cancelSweep(deps, address);
  expect((await sweeps.get(address))?.record).toMatchObject({
    cancelRequested: true,
    status: { executionState: 'failed' },
  });
  expect(started.map((r) => r.cancelRequested)).toEqual([true]);
});

test('DELETE of a failed sweep that left a trial running is accepted and waits for the trial to stop', async () => {
  const { deps, sweeps, started } = await setUp(failed('running'));
  expect(await deleteSweep(deps, address)).toBe('deleting');
  expect((await sweeps.get(address))?.record).toMatchObject({ cancelRequested: true, deleteRequested: true });
  expect(started.map((r) => r.deleteRequested)).toEqual([true]);
});

test('a failed sweep whose trials all ended: cancel changes nothing and DELETE removes it at once', async () => {
  const { deps, sweeps, started } = await setUp(failed('cancelled'));
  await cancelSweep(deps, address);
  expect((await sweeps.get(address))?.record.cancelRequested).toBeUndefined();
  expect(await deleteSweep(deps, address)).toBe('deleted');
  expect(await sweeps.get(address)).toBeUndefined();
  expect(started.map((r) => r.cancelRequested)).toEqual([undefined]);
});

describe('creating a sweep whose trial names are taken', () => {
  const clusterId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/c';
  const body = {
    properties: {
      jobTemplate: {
        cluster: { id: clusterId },
        nodeCount: 1,
        stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_TEMP',
        customToolkitSettings: { commandLine: 'python train.py --lr {parameters.lr}' },
      },
      parameters: { lr: { type: 'choice', values: [0.1, 0.01, 0.001] } },
      sampling: 'grid',
      objective: { metric: 'accuracy', goal: 'maximize' },
    },
  };
  /** Service deps over an experiment holding jobs of these names (as the store keys them: case-insensitive). */
  function withJobs(jobNames: string[]) {
    const sweeps = new MemorySweepStore();
    const started: SweepRecord[] = [];
    const jobs = new Map(jobNames.map((name) => [name.toLowerCase(), name]));
    let ids = 0;
    const services = {
      store: {
        get: (ref: ResourceRef) => {
          if (ref.kind !== 'job')
            return Promise.resolve({ record: { status: { provisioningState: 'succeeded' } }, etag: 'e' });
          const name = jobs.get(ref.name.toLowerCase());
          return Promise.resolve(name && { record: { ref: { ...ref, name }, status: {} }, etag: 'e' });
        },
      },
      newId: () => `0b1c2d3e-0000-4000-8000-00000000000${++ids}`,
      now: () => new Date('2030-01-01T00:00:00.000Z'),
    } as unknown as ServiceDeps;
    const deps: SweepServiceDeps = {
      services,
      sweeps,
      runner: { ensureStarted: (r) => Promise.resolve(void started.push(r)) },
    };
    return { deps, sweeps, started };
  }
  const refusal = (run: () => Promise<unknown>): Promise<ApiError> => refusalOf(run, ApiError);

  test("a job left by an earlier sweep of that name is a 409 naming 'name' and the job; nothing starts", async () => {
    const { deps, sweeps, started } = withJobs(['SW-t2', 'sw-t02', 'sw-t3', 'other']);
    const error = await refusal(() => createSweep(deps, address, body));
    expect(error).toMatchObject({ httpStatus: 409, code: 'TrialJobNameTaken', target: 'name' });
    expect(error.message).toContain(`'SW-t2'`);
    expect(error.message).not.toContain('sw-t3'); // beyond the 3 trials: no conflict
    expect(error.message).toContain('Delete those jobs or choose another sweep name');
    expect(await sweeps.get(address)).toBeUndefined();
    expect(started).toEqual([]);
  });

  test('with the names free the sweep is created; the same PUT again confirms it', async () => {
    const { deps, started } = withJobs(['sw-t02', 'sw-t3', 'other']);
    expect((await createSweep(deps, address, body)).created).toBe(true);
    expect((await createSweep(deps, address, body)).created).toBe(false);
    expect(started.length).toBe(2);
  });
});
