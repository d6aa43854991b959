// A test bed for job lifecycle tests: the real app on the local host with Azurite, the Cosmos emulator and local
// nodes (node-agent processes), a workspace, an experiment and clusters of local nodes, plus job helpers.
// Needs `npx tsc -p tsconfig.json` first. Always call stop() (it stops every local node and removes temp dirs).
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { listNodeDirs, stopAllLocalNodes } from '../../../shared/adapters/compute/localNodeRegistry';
import { ApiClient, SUB, workspacePath } from '../../api/apiClient';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../../support/testEnvironment';

export const workspace = workspacePath('jobsrg', 'ws');
export const experiment = `${workspace}/experiments/exp`;

export interface JobTestBed {
  api: ApiClient;
  env: TestEnvironment;
  /** The host's data directory: local nodes live under it (nodes/<clusterTag>/<nodeId>). */
  dataDir: string;
  clusterId(name: string): string;
  /** Creates a cluster of `nodes` local nodes (`extra`: more properties) and waits until they are all idle. */
  createCluster(name: string, nodes: number, extra?: Record<string, unknown>): Promise<void>;
  /** Creates an autoscale cluster of 0 to `maximumNodeCount` nodes, none at first (returns at once). */
  putAutoscaleCluster(name: string, maximumNodeCount: number): Promise<void>;
  putJob(name: string, properties: Record<string, unknown>): Promise<void>;
  /** Submits a job on `cluster` whose process runs for 10 minutes; resolves with its pid once it started. */
  putLongJob(name: string, cluster: string): Promise<number>;
  getJob(name: string): Promise<Record<string, unknown>>;
  /** The cluster's properties, as GET answers them. */
  getCluster(name: string): Promise<Record<string, unknown>>;
  /** The job's stdout.txt as listOutputFiles lists it, downloaded by its SAS link ('' until it exists). */
  stdoutOf(name: string): Promise<string>;
  /** Polls the job until `predicate` holds on its properties; returns them. */
  waitForJob(
    name: string,
    what: string,
    predicate: (properties: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startJobTestBed(settings: Record<string, string> = {}): Promise<JobTestBed> {
  let env: TestEnvironment | undefined;
  const stop = async (): Promise<void> => {
    // Local nodes are detached (they outlive a host crash, as VMs do): stop them before the stack goes.
    if (env) await stopAllLocalNodes(env.hostDataDir, 2_000).catch(() => 0);
    await env?.stop();
  };
  try {
    env = await startTestEnvironment({
      settings: {
        SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        COMPUTE_HEARTBEAT_SECONDS: '1',
        COMPUTE_NODE_LOST_AFTER_SECONDS: '10',
        COMPUTE_MONITOR_INTERVAL_SECONDS: '2',
        ...settings,
      },
    });
    const started = env;
    // Follows the host when a test restarts it (on a new port).
    const api = new ApiClient(() => started.baseUrl);
    await api.put(workspace, { location: 'eastus' });
    await api.put(experiment);
    const getJob = async (name: string): Promise<Record<string, unknown>> => {
      const response = await api.send('GET', `${experiment}/jobs/${name}`);
      if (response.status !== 200) throw new Error(`GET job ${name}: ${response.status} ${response.text}`);
      return response.body.properties as Record<string, unknown>;
    };
    const getCluster = async (name: string): Promise<Record<string, unknown>> =>
      (await api.send('GET', `${workspace}/clusters/${name}`)).body.properties as Record<string, unknown>;
    const putCluster = (name: string, scaleSettings: Record<string, unknown>, extra = {}) =>
      api.put(`${workspace}/clusters/${name}`, {
        properties: {
          vmSize: 'STANDARD_D1_V2',
          scaleSettings,
          userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Passw0rd!' },
          ...extra,
        },
      });
    const bed: JobTestBed = {
      api,
      env,
      dataDir: env.hostDataDir,
      clusterId: (name) => `${workspace}/clusters/${name}`,
      async createCluster(name, nodes, extra = {}) {
        await putCluster(name, { manual: { targetNodeCount: nodes } }, extra);
        await waitFor(
          `${nodes} idle node(s) in cluster ${name}`,
          async () => {
            const counts = (await getCluster(name)).nodeStateCounts as Record<string, number> | undefined;
            return counts?.idleNodeCount === nodes ? true : undefined;
          },
          60_000,
        );
      },
      async putAutoscaleCluster(name, maximumNodeCount) {
        await putCluster(name, { autoScale: { minimumNodeCount: 0, maximumNodeCount, initialNodeCount: 0 } });
      },
      async putJob(name, properties) {
        await api.put(`${experiment}/jobs/${name}`, { properties });
      },
      async putLongJob(name, cluster) {
        const pidFile = path.join(env!.hostDataDir, `${name}.pid`);
        await bed.putJob(name, customJob(bed, cluster, `echo $$ > '${pidFile}'; exec sleep 600`));
        return waitFor(`the process pid of ${name}`, async () => {
          const text = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '';
          return /^\d+\n$/.test(text) ? Number(text) : undefined;
        });
      },
      getJob,
      getCluster,
      async stdoutOf(name) {
        const listing = await api.send(
          'POST',
          api.url(`${experiment}/jobs/${name}/listOutputFiles`, { outputdirectoryid: 'stdouterr' }),
        );
        const files = (listing.body.value ?? []) as { name: string; downloadUrl: string }[];
        const stdout = files.find((f) => f.name === 'stdout.txt');
        return stdout ? (await fetch(stdout.downloadUrl)).text() : '';
      },
      async waitForJob(name, what, predicate, timeoutMs = 60_000) {
        let last: Record<string, unknown> = {};
        try {
          return await waitFor(
            `job ${name} ${what}`,
            async () => {
              last = await getJob(name);
              return predicate(last) ? last : undefined;
            },
            timeoutMs,
          );
        } catch (error: unknown) {
          throw new Error(
            `${(error as Error).message}\nlast seen: ${JSON.stringify(last)}\n${diagnostics(env!)}`,
          );
        }
      },
      stop,
    };
    return bed;
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}

/**
 * What a timed-out wait prints besides the job, so that a failure seen once in CI can be read: the end of every
 * local node's agent log, and the host's warnings and errors.
 */
function diagnostics(env: TestEnvironment): string {
  const tail = (text: string, lines: number): string => text.trimEnd().split('\n').slice(-lines).join('\n');
  const agents = listNodeDirs(env.hostDataDir).flatMap((dir) =>
    ['agent.log', 'agent.out'].map((name) => {
      const log = path.join(dir, name);
      return `--- ${dir}/${name}\n${fs.existsSync(log) ? tail(fs.readFileSync(log, 'utf8'), 15) : '(none)'}`;
    }),
  );
  const warnings = env
    .hostOutput()
    .split('\n')
    .filter((line) => /\[(warning|error)\]|"level":"(warning|error)"/.test(line));
  return [...agents, `--- host warnings and errors\n${warnings.slice(-20).join('\n')}`].join('\n');
}

/** A job's properties say it has ended (succeeded or failed): what `waitForJob` usually waits for. */
export const jobEnded = (p: Record<string, unknown>): boolean =>
  p.executionState === 'succeeded' || p.executionState === 'failed';

/** A custom-toolkit job on `cluster` whose stdout/stderr go to a job-level Azure file share mount. */
export function customJob(
  bed: JobTestBed,
  cluster: string,
  commandLine: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    cluster: { id: bed.clusterId(cluster) },
    nodeCount: 1,
    stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs',
    mountVolumes: {
      azureFileShares: [
        {
          accountName: 'storageacct',
          azureFileUrl: 'https://storageacct.file.core.windows.net/logs',
          relativeMountPath: 'afs',
          credentials: { accountKey: 'c2VjcmV0LWtleQ==' },
        },
      ],
    },
    customToolkitSettings: { commandLine },
    ...extra,
  };
}

export { SUB };

/** A queued job's `properties.queueInfo`, as the tests read it. */
export interface QueueInfo {
  position?: number;
  reason: string;
  message: string;
  nodesNeeded: number;
  nodesFree: number;
}

/**
 * A scheduling pass has written why the queued job waits (before that, GET answers `NotYetConsidered`: no pass has
 * reached the job yet).
 */
export function queueInfoExplained(properties: Record<string, unknown>): boolean {
  const reason = (properties.queueInfo as { reason?: string } | undefined)?.reason;
  return reason !== undefined && reason !== 'NotYetConsidered';
}
