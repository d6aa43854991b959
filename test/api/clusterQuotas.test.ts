// Cluster scale settings are held to the quotas Usages reports (cores of the location, clusters per location) and
// to a scale set's hard maximum of 1000 nodes, at PUT and at PATCH: a 400 naming the count, never nodes started for
// a request no quota allows. The same PUT again with the VM size spelled in another case is no change.
import { ValidationError } from '../../shared/domain/errors';
import { keyOf, type ResourceRef } from '../../shared/domain/resourceId';
import { createCluster, updateCluster } from '../../shared/domain/services/clusterService';
import { defaultQuotas } from '../../shared/config/quotaConfig';
import { listUsages } from '../../shared/domain/services/usageService';
import { memoryScope, memoryServiceDeps, type MemoryServiceDeps } from '../support/memoryServiceDeps';
import { refusal as refusalOf } from '../support/refusals';

const scope = memoryScope;
const clusterRef = (name: string): ResourceRef => ({ kind: 'cluster', ...scope, name });
const memoryDeps = (): MemoryServiceDeps => memoryServiceDeps();

function clusterBody(scaleSettings: unknown, vmSize = 'STANDARD_NC6', vmPriority?: string) {
  return {
    properties: {
      vmSize,
      ...(vmPriority ? { vmPriority } : {}),
      scaleSettings,
      userAccountSettings: { adminUserName: 'admin', adminUserPassword: 'p@ssw0rd-x' },
    },
  };
}

const refusal = (call: Promise<unknown>): Promise<ValidationError> => refusalOf(call, ValidationError);

test('a manual count above 1000 nodes is a 400 naming targetNodeCount, and nothing is recorded or scaled', async () => {
  const { deps, records, applied } = memoryDeps();
  const error = await refusal(
    createCluster(
      deps,
      clusterRef('huge'),
      clusterBody({ manual: { targetNodeCount: 100000 } }, 'STANDARD_X1'),
    ),
  );
  expect(error.httpStatus).toBe(400);
  expect(error.target).toBe('properties.scaleSettings.manual.targetNodeCount');
  expect(records.has(keyOf(clusterRef('huge')))).toBe(false);
  expect(applied).toEqual([]);
});

test('manual nodes times cores above the dedicated core quota are a 400 naming targetNodeCount', async () => {
  const { deps } = memoryDeps();
  // 101 x 6 = 606 cores > 600
  const error = await refusal(
    createCluster(deps, clusterRef('big'), clusterBody({ manual: { targetNodeCount: 101 } })),
  );
  expect(error.target).toBe('properties.scaleSettings.manual.targetNodeCount');
  expect(error.code).toBe('QuotaExceeded');
  expect(error.message).toContain('600');
  // 100 x 6 = 600 fits exactly
  const ok = await createCluster(deps, clusterRef('fits'), clusterBody({ manual: { targetNodeCount: 100 } }));
  expect(ok.created).toBe(true);
});

test('low-priority clusters are held to the low-priority quota; autoscale maximum and initial counts are named', async () => {
  const { deps } = memoryDeps();
  // 26 x 6 = 156 > 150
  const max = await refusal(
    createCluster(
      deps,
      clusterRef('lp'),
      clusterBody(
        { autoScale: { minimumNodeCount: 0, maximumNodeCount: 26 } },
        'STANDARD_NC6',
        'lowpriority',
      ),
    ),
  );
  expect(max.target).toBe('properties.scaleSettings.autoScale.maximumNodeCount');
  const dedicated = await createCluster(
    deps,
    clusterRef('dedicated'),
    clusterBody({ autoScale: { minimumNodeCount: 0, maximumNodeCount: 26 } }),
  );
  expect(dedicated.created).toBe(true);
  const over1000 = await refusal(
    createCluster(
      deps,
      clusterRef('auto'),
      clusterBody({ autoScale: { minimumNodeCount: 0, maximumNodeCount: 5000 } }, 'STANDARD_X1'),
    ),
  );
  expect(over1000.target).toBe('properties.scaleSettings.autoScale.maximumNodeCount');
});

test("other clusters' current cores in the location count, as Usages shows them", async () => {
  const { deps, records } = memoryDeps();
  await createCluster(deps, clusterRef('first'), clusterBody({ manual: { targetNodeCount: 90 } }));
  const first = records.get(keyOf(clusterRef('first')))!;
  first.record.status.currentNodeCount = 90; // 540 cores in use
  const usages = await listUsages(deps, scope.subscriptionId, 'eastus');
  expect(usages[1].currentValue).toBe(540);
  const error = await refusal(
    createCluster(deps, clusterRef('second'), clusterBody({ manual: { targetNodeCount: 11 } })),
  );
  expect(error.target).toBe('properties.scaleSettings.manual.targetNodeCount');
  expect(error.message).toContain('at most 10 nodes');
  expect(
    (await createCluster(deps, clusterRef('second'), clusterBody({ manual: { targetNodeCount: 10 } })))
      .created,
  ).toBe(true);
  // The first cluster's own nodes are not counted against its PATCH.
  const patched = await updateCluster(deps, clusterRef('first'), {
    properties: { scaleSettings: { manual: { targetNodeCount: 90 } } },
  });
  expect(patched.record.spec.scaleSettings).toMatchObject({ manual: { targetNodeCount: 90 } });
});

test('PATCH scale settings above the quota or above 1000 nodes is a 400 and the cluster is unchanged', async () => {
  const { deps, records, applied } = memoryDeps();
  await createCluster(deps, clusterRef('c'), clusterBody({ manual: { targetNodeCount: 1 } }));
  applied.length = 0;
  const cores = await refusal(
    updateCluster(deps, clusterRef('c'), {
      properties: { scaleSettings: { autoScale: { minimumNodeCount: 0, maximumNodeCount: 500 } } },
    }),
  );
  expect(cores.target).toBe('properties.scaleSettings.autoScale.maximumNodeCount');
  const nodes = await refusal(
    updateCluster(deps, clusterRef('c'), {
      properties: { scaleSettings: { manual: { targetNodeCount: 100000 } } },
    }),
  );
  expect(nodes.target).toBe('properties.scaleSettings.manual.targetNodeCount');
  expect(records.get(keyOf(clusterRef('c')))!.record.spec.scaleSettings).toMatchObject({
    manual: { targetNodeCount: 1 },
  });
  expect(applied).toEqual([]);
});

test('a cluster beyond the clusters-per-location quota is a 400; the same PUT of an existing one is not', async () => {
  const { deps } = memoryDeps();
  for (let i = 0; i < defaultQuotas.clustersPerLocation; i++) {
    await createCluster(deps, clusterRef(`c${i}`), clusterBody({ manual: { targetNodeCount: 0 } }));
  }
  const error = await refusal(
    createCluster(deps, clusterRef('one-too-many'), clusterBody({ manual: { targetNodeCount: 0 } })),
  );
  expect(error.code).toBe('QuotaExceeded');
  expect(error.target).toBe('clusterName');
  const again = await createCluster(deps, clusterRef('c0'), clusterBody({ manual: { targetNodeCount: 0 } }));
  expect(again.created).toBe(false);
});

test('the same cluster PUT again with the VM size in another case is no change', async () => {
  const { deps } = memoryDeps();
  await createCluster(
    deps,
    clusterRef('gpu'),
    clusterBody({ manual: { targetNodeCount: 1 } }, 'STANDARD_NC6'),
  );
  const again = await createCluster(
    deps,
    clusterRef('gpu'),
    clusterBody({ manual: { targetNodeCount: 1 } }, 'Standard_nc6'),
  );
  expect(again.created).toBe(false);
  expect(again.stored.record.spec.vmSize).toBe('STANDARD_NC6');
  await expect(
    createCluster(deps, clusterRef('gpu'), clusterBody({ manual: { targetNodeCount: 1 } }, 'STANDARD_NC12')),
  ).rejects.toMatchObject({ code: 'PropertyChangeNotAllowed', target: 'properties.vmSize' });
});

test("usages refuse a location outside the spec's pattern with a 400 naming location", async () => {
  const { deps } = memoryDeps();
  const error = await refusal(listUsages(deps, scope.subscriptionId, 'ea$st'));
  expect(error.target).toBe('location');
  expect(await listUsages(deps, scope.subscriptionId, 'east_us.2-x')).toHaveLength(3);
});

test('a PUT that changes the scale settings of a cluster is a 409 pointing at the PATCH (resize), not at a delete', async () => {
  const { deps } = memoryDeps();
  await createCluster(deps, clusterRef('c'), clusterBody({ manual: { targetNodeCount: 1 } }));
  await expect(
    createCluster(deps, clusterRef('c'), clusterBody({ manual: { targetNodeCount: 2 } })),
  ).rejects.toMatchObject({
    code: 'PropertyChangeNotAllowed',
    message: expect.stringContaining(
      'scale settings change with a PATCH of the cluster (`batchai cluster resize`',
    ),
  });
  // Another change besides: a PATCH would not make it, and the message does not say it would.
  await expect(
    createCluster(deps, clusterRef('c'), clusterBody({ manual: { targetNodeCount: 2 } }, 'STANDARD_NC12')),
  ).rejects.toMatchObject({ message: expect.stringContaining('delete it and create it again') });
});
