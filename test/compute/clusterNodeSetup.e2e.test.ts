// A cluster's nodeSetup on local nodes through the real host: the setup task's output also lands where Batch AI
// put it, `{stdOutErrPathPrefix}/{stdOutErrPathSuffix}/stdout-<node>.txt` on the mounted volume, with the read-only
// suffix shown on GET; and the performance counters (nodeSetup.performanceCountersSettings): each node samples CPU,
// memory, network and its work disk and sends them as metric items with the cluster's instrumentation key to
// Application Insights ingestion (the local HTTPS fake); the key reaches the node sealed (its agent.json holds no
// plain key). Needs `npx tsc -p tsconfig.json` first.
import * as fs from 'fs';
import * as path from 'path';
import { localClusterFileSystem } from '../../shared/adapters/compute/localNodeRegistry';
import { clusterTag } from '../../shared/contracts/nodeQueueNames';
import {
  startAppInsightsIngestionFake,
  type AppInsightsIngestionFake,
} from '../../runtime/fakes/appInsightsIngestionFake';
import { startJobTestBed, workspace, type JobTestBed } from '../jobs/support/jobTestBed';
import { waitFor } from '../support/testEnvironment';

const instrumentationKey = '5a0c1f6e-2b7d-4c1e-9f3a-8d6e4b2c1a90';
let ingestion: AppInsightsIngestionFake;
let bed: JobTestBed;

beforeAll(async () => {
  ingestion = await startAppInsightsIngestionFake();
  bed = await startJobTestBed({
    PERFORMANCE_COUNTERS_INGESTION_ENDPOINT: ingestion.endpoint,
    PERFORMANCE_COUNTERS_CA_FILE: ingestion.certificateFile,
    PERFORMANCE_COUNTERS_INTERVAL_SECONDS: '1',
  });
}, 120_000);

afterAll(async () => {
  await bed?.stop();
  await ingestion?.stop();
});

test("a cluster's nodes write their setup output in Batch AI's layout and send their performance counters", async () => {
  await bed.api.put(`${workspace}/clusters/watched`, {
    properties: {
      vmSize: 'STANDARD_D1_V2',
      scaleSettings: { manual: { targetNodeCount: 1 } },
      userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
      nodeSetup: {
        setupTask: {
          commandLine: 'echo setting up $AZ_BATCHAI_NODE_ID; echo a warning >&2',
          stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/afs/setup',
        },
        mountVolumes: {
          azureFileShares: [
            {
              accountName: 'teamstore',
              azureFileUrl: 'https://teamstore.file.core.windows.net/logs',
              relativeMountPath: 'afs',
              credentials: { accountKey: 'dGVhbS1rZXk=' },
            },
          ],
        },
        performanceCountersSettings: {
          appInsightsReference: {
            component: {
              id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/components/team',
            },
            instrumentationKey,
          },
        },
      },
    },
  });
  const names = [
    'Node CPU usage (%)',
    'Node memory usage (%)',
    'Node network received (bytes/s)',
    'Node disk free (bytes)',
  ];
  const items = await ingestion.waitFor(
    (envelopes) => names.every((name) => envelopes.some((e) => JSON.stringify(e.data).includes(name))),
    60_000,
  );
  const cpu = items.find((e) => JSON.stringify(e.data).includes('Node CPU usage (%)'))!;
  expect(cpu).toMatchObject({
    name: `Microsoft.ApplicationInsights.${instrumentationKey.replace(/-/g, '')}.Metric`,
    iKey: instrumentationKey,
    tags: { 'ai.cloud.role': 'batchai-node' },
    data: {
      baseType: 'MetricData',
      baseData: {
        metrics: [{ name: 'Node CPU usage (%)', value: expect.any(Number) }],
        properties: { cluster: bed.clusterId('watched').toLowerCase(), vmSize: 'STANDARD_D1_V2' },
      },
    },
  });
  const value = (cpu.data.baseData.metrics as { value: number }[])[0].value;
  expect(value).toBeGreaterThanOrEqual(0);
  expect(value).toBeLessThanOrEqual(100);
  // The key travelled sealed: the node's configuration file does not hold it.
  const clusterDir = path.join(bed.dataDir, 'nodes', clusterTag(bed.clusterId('watched').toLowerCase()));
  await waitFor('the node directory', async () => (fs.existsSync(clusterDir) ? true : undefined));
  const [node] = fs.readdirSync(clusterDir);
  // The setup output, in the directory standing for the mounted share, under the suffix GET shows.
  const shown = (await bed.api.send('GET', `${workspace}/clusters/watched`)).body.properties as {
    nodeSetup: { setupTask: { stdOutErrPathSuffix: string; stdOutErrPathPrefix: string } };
  };
  const suffix = shown.nodeSetup.setupTask.stdOutErrPathSuffix;
  expect(suffix).toMatch(
    /^00000000-0000-0000-0000-000000000000\/jobsrg\/workspaces\/ws\/clusters\/watched\/[0-9a-f-]{36}$/,
  );
  expect(shown.nodeSetup.setupTask.stdOutErrPathPrefix).toBe('$AZ_BATCHAI_MOUNT_ROOT/afs/setup');
  // Local nodes share the cluster's mount root, as a cluster's VMs share the volumes mounted there.
  const { mountRoot } = localClusterFileSystem(bed.dataDir, bed.clusterId('watched').toLowerCase());
  const outputDir = path.join(mountRoot, 'afs', 'setup', suffix);
  const stdout = await waitFor('the setup output', async () => {
    const file = path.join(outputDir, `stdout-${node}.txt`);
    return fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('setting up')
      ? fs.readFileSync(file, 'utf8')
      : undefined;
  });
  expect(stdout).toBe(`setting up ${node}\n`);
  expect(fs.readFileSync(path.join(outputDir, `stderr-${node}.txt`), 'utf8')).toBe('a warning\n');
  const config = fs.readFileSync(path.join(clusterDir, node, 'agent.json'), 'utf8');
  expect(config).toContain('sealedInstrumentationKey');
  expect(config).not.toContain(instrumentationKey);
  // Nor does the local pool's file hold the admin password (VMs get it through Resource Manager only).
  const pool = fs.readFileSync(path.join(clusterDir, 'pool.json'), 'utf8');
  expect(pool).toContain('adminUserName');
  expect(pool).not.toContain('Passw0rd!');
  // Nor does any answer of the API.
  const got = await bed.api.send('GET', `${workspace}/clusters/watched`);
  expect(got.text).not.toContain(instrumentationKey);
});
