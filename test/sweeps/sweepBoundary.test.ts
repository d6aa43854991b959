// A sweep PUT answers bad input with a 400 naming the field, found at creation, never a 500 or a failure of every
// trial later: a deeply nested job template, and a template naming a cluster or file server that does not exist.
import { ValidationError } from '../../shared/domain/errors';
import type { ResourceRef } from '../../shared/domain/resourceId';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { createSweep, type SweepServiceDeps } from '../../shared/domain/sweeps/sweepService';
import type { SweepRecord } from '../../shared/domain/sweeps/sweepStore';
import { MemorySweepStore } from './support/memorySweepStore';
import { validateSweepBody } from '../../shared/domain/sweeps/sweepDefinition';
import { placeholderNames, substituteParameters } from '../../shared/domain/sweeps/trialJobBody';
import type { JsonObject } from '../../shared/domain/specValidator';
import { refusal as refusalOf } from '../support/refusals';

const clusterId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/c';
const template = {
  cluster: { id: clusterId },
  nodeCount: 1,
  stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs',
  customToolkitSettings: { commandLine: 'python train.py --lr {parameters.lr}' },
};

function body(jobTemplate: unknown): unknown {
  return {
    properties: {
      jobTemplate,
      parameters: { lr: { type: 'choice', values: [0.1, 0.01] } },
      sampling: 'grid',
      objective: { metric: 'accuracy', goal: 'maximize' },
    },
  };
}

/** `{ a: { a: ... 'x' } }` `levels` deep, built without recursion. */
function nested(levels: number): JsonObject {
  let value: JsonObject = { a: '{parameters.lr}' };
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error: unknown) {
    return error;
  }
  return undefined;
}

describe('a deeply nested job template', () => {
  test('is validated before it is scanned: what the job schema does not know is dropped, no stack overflow', () => {
    const deep = { ...template, extra: nested(20_000) };
    const { definition } = validateSweepBody(body(deep), 1);
    expect(definition.jobTemplate).not.toHaveProperty('extra');
  });

  test('where the schema expects a string it is a 400 naming the field', () => {
    const deep = { ...template, customToolkitSettings: { commandLine: nested(20_000) } };
    const error = errorOf(() => validateSweepBody(body(deep), 1));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).target).toBe(
      'properties.jobTemplate.customToolkitSettings.commandLine',
    );
  });

  test('the walkers refuse it with a 400 naming where it is too deep, whatever they are given', () => {
    const scan = errorOf(() => placeholderNames(nested(20_000), 'properties'));
    expect(scan).toBeInstanceOf(ValidationError);
    expect((scan as ValidationError).target).toMatch(/^properties\.a\.a\.a/);
    const substitute = errorOf(() => substituteParameters(nested(20_000), { lr: 1 }));
    expect(substitute).toBeInstanceOf(ValidationError);
    // A template of ordinary depth is walked as before.
    expect(placeholderNames(nested(10), 'p')).toHaveLength(1);
    expect(JSON.stringify(substituteParameters(nested(10), { lr: 1 }))).toContain('"a":"1"');
  });
});

describe("a sweep's job template names its cluster and file servers", () => {
  const address = {
    subscriptionId: 's',
    resourceGroup: 'rg',
    workspace: 'ws',
    experiment: 'exp',
    name: 'sw',
  };
  const fileServerId =
    '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/fileServers/fs';

  /** A store holding the workspace, the experiment and the given cluster / file server names (no jobs). */
  function setUp(existing: string[]) {
    const sweeps = new MemorySweepStore();
    const started: SweepRecord[] = [];
    let ids = 0;
    const services = {
      store: {
        get: (ref: ResourceRef) => {
          const known =
            ref.kind === 'workspace' ||
            ref.kind === 'experiment' ||
            ((ref.kind === 'cluster' || ref.kind === 'fileServer') && existing.includes(ref.name));
          return Promise.resolve(
            known ? { record: { ref, status: { provisioningState: 'succeeded' } }, etag: 'e' } : undefined,
          );
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

  const refusal = (run: () => Promise<unknown>): Promise<ValidationError> => refusalOf(run, ValidationError);

  const withFileServer = {
    ...template,
    mountVolumes: { fileServers: [{ fileServer: { id: fileServerId }, relativeMountPath: 'nfs' }] },
  };

  test('a missing cluster is a 400 under properties.jobTemplate at creation; nothing is stored or started', async () => {
    const { deps, sweeps, started } = setUp([]);
    const error = await refusal(() => createSweep(deps, address, body(template)));
    expect(error).toMatchObject({
      httpStatus: 400,
      code: 'InvalidResourceReference',
      target: 'properties.jobTemplate.cluster.id',
    });
    expect(await sweeps.get(address)).toBeUndefined();
    expect(started).toEqual([]);
  });

  test("another workspace's cluster is refused the same way", async () => {
    const { deps } = setUp(['c']);
    const other = {
      ...template,
      cluster: { id: clusterId.replace('/workspaces/ws/', '/workspaces/other/') },
    };
    expect(await refusal(() => createSweep(deps, address, body(other)))).toMatchObject({
      code: 'InvalidResourceReference',
      target: 'properties.jobTemplate.cluster.id',
    });
  });

  test('a missing file server is a 400 naming its mount under properties.jobTemplate', async () => {
    const { deps, sweeps } = setUp(['c']);
    expect(await refusal(() => createSweep(deps, address, body(withFileServer)))).toMatchObject({
      code: 'InvalidResourceReference',
      target: 'properties.jobTemplate.mountVolumes.fileServers[0].fileServer.id',
    });
    expect(await sweeps.get(address)).toBeUndefined();
  });

  test('with the cluster and file server there the sweep is created, its template ids as given', async () => {
    const { deps, started } = setUp(['c', 'fs']);
    const singular = { ...withFileServer, cluster: { id: clusterId.replace('/workspaces/', '/workspace/') } };
    const created = await createSweep(deps, address, body(singular));
    expect(created.created).toBe(true);
    expect(created.stored.record.definition.jobTemplate.cluster).toEqual(singular.cluster);
    expect((await createSweep(deps, address, body(singular))).created).toBe(false);
    expect(started.length).toBe(2);
  });
});
