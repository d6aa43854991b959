// Wire contracts between agent and control plane: valid messages parse, bad ones name the offending field.
import { parseAgentConfig } from '../../shared/contracts/agentConfig';
import { parseClusterCommand } from '../../shared/contracts/clusterCommand';
import { parseNodeEvent } from '../../shared/contracts/nodeEvent';
import {
  agentAtLeast,
  parseNodeTaskMessage,
  preparedContainersSince,
  refusedRunTaskOf,
  runTaskVersion,
  type TaskJobMounts,
} from '../../shared/contracts/nodeTask';
import { decodeQueueMessage, encodeQueueMessage } from '../../shared/contracts/wireEncoding';

const run = {
  schema: 'batchai.nodeTask',
  version: 1,
  kind: 'runTask',
  taskId: 't1',
  jobId: 'j',
  attempt: 1,
  commandLine: 'python train.py',
  environment: { EPOCHS: '3' },
  stdout: { container: 'jobs', name: 'j/stdout.txt' },
  stderr: { container: 'jobs', name: 'j/stderr.txt' },
  container: { image: 'pytorch/pytorch', shmSize: '8g', useGpus: true },
};

test('a run task message round-trips through the queue encoding', () => {
  expect(parseNodeTaskMessage(decodeQueueMessage(encodeQueueMessage(run)))).toEqual({
    ...run,
    workingDirectory: undefined,
    replyTo: undefined,
  });
});

test('a version 3 run task carries what the node prepares before the command', () => {
  const prepare = {
    directories: ['/jobs/j/tmp', '/jobs/j/out'],
    files: [{ path: '/jobs/j/tmp/hosts', content: '' }],
  };
  expect(parseNodeTaskMessage({ ...run, version: 3, prepare }).kind === 'runTask').toBe(true);
  expect(parseNodeTaskMessage({ ...run, version: 3, prepare })).toMatchObject({ prepare });
});

const sealed = 'aesgcm1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AAAA';
const jobMounts = {
  root: '/mnt/batch/tasks/shared/LS_root/jobs/u/mounts',
  volumes: [
    {
      kind: 'azureFileShare',
      relativeMountPath: 'afs',
      azureFileUrl: 'https://acct.file.core.windows.net/logs',
      accountName: 'acct',
      sealedCredentials: sealed,
    },
    { kind: 'azureBlob', relativeMountPath: 'data/in', accountName: 'acct', containerName: 'in' },
  ],
};

const registry = { server: 'team.azurecr.io', username: 'puller', sealedPassword: sealed };

test("a version 4 run task carries the job's own mounts and a registry sign-in; without them it stays version 3", () => {
  expect(parseNodeTaskMessage({ ...run, version: 4, jobMounts })).toMatchObject({ version: 4, jobMounts });
  const withRegistry = { ...run, version: 4, container: { ...run.container, registry } };
  expect(parseNodeTaskMessage(withRegistry)).toMatchObject({ container: { registry } });
  expect(runTaskVersion({ jobMounts: jobMounts as TaskJobMounts })).toBe(4);
  expect(runTaskVersion({ container: { image: 'x', registry } })).toBe(4);
  expect(runTaskVersion({ container: { image: 'x' } })).toBe(3);
  expect(runTaskVersion({})).toBe(3);
});

test("a version 5 run task says whether the node keeps its container's preparation or starts from it", () => {
  for (const prepared of ['keep', 'use'] as const) {
    const message = { ...run, version: 5, container: { ...run.container, prepared } };
    expect(parseNodeTaskMessage(message)).toMatchObject({ version: 5, container: { prepared } });
    expect(runTaskVersion({ container: { image: 'x', prepared } })).toBe(5);
  }
  // Later fields stay readable in a version 5 message.
  expect(parseNodeTaskMessage({ ...run, version: 5, jobMounts })).toMatchObject({ version: 5, jobMounts });
});

test("a version 6 run task says how many of the node's GPUs its job may use", () => {
  expect(parseNodeTaskMessage({ ...run, version: 6, gpus: 2 })).toMatchObject({ version: 6, gpus: 2 });
  expect(runTaskVersion({ gpus: 1, container: { image: 'x', prepared: 'use' } })).toBe(6);
  // Without it: every GPU of the node, as before (no version 6 needed).
  expect(parseNodeTaskMessage({ ...run, version: 6 })).not.toHaveProperty('gpus');
  expect(runTaskVersion({ container: { image: 'x', prepared: 'use' } })).toBe(5);
});

test('a run task of any version may say that its control plane reads several exits in one event', () => {
  expect(parseNodeTaskMessage({ ...run, version: 3, readsTasksExited: true })).toMatchObject({
    readsTasksExited: true,
  });
  expect(parseNodeTaskMessage({ ...run, version: 3 })).not.toHaveProperty('readsTasksExited');
  expect(() => parseNodeTaskMessage({ ...run, version: 3, readsTasksExited: 'yes' })).toThrow(
    'message.readsTasksExited',
  );
});

test.each([
  [{ ...run, version: 7 }, 'message.version 7 is not supported (this reader understands 1, 2, 3, 4, 5, 6).'],
  [{ ...run, version: 5, gpus: 2 }, 'message.gpus needs message version 6.'],
  [{ ...run, version: 6, gpus: 0 }, 'message.gpus'],
  [{ ...run, version: 6, gpus: 1.5 }, 'message.gpus'],
  [{ ...run, version: 3, jobMounts }, 'message.jobMounts needs message version 4.'],
  [
    { ...run, version: 4, container: { ...run.container, prepared: 'keep' } },
    'message.container.prepared needs message version 5.',
  ],
  [{ ...run, version: 5, container: { ...run.container, prepared: 'reuse' } }, 'message.container.prepared'],
  [
    { ...run, version: 3, container: { ...run.container, registry } },
    'message.container.registry needs message version 4.',
  ],
  [
    { ...run, version: 4, container: { ...run.container, registry: { ...registry, password: 'plain' } } },
    'message.container.registry.password is a secret in plain text',
  ],
  [
    { ...run, version: 4, container: { ...run.container, registry: { server: 's', username: 'u' } } },
    'message.container.registry.sealedPassword is required.',
  ],
  [
    { ...run, version: 4, jobMounts: { ...jobMounts, root: 'relative/mounts' } },
    "message.jobMounts.root 'relative/mounts' must be an absolute path without '..'.",
  ],
  [
    { ...run, version: 4, jobMounts: { ...jobMounts, volumes: [] } },
    'message.jobMounts.volumes must be an array of 1 to 64 mounts.',
  ],
  [
    {
      ...run,
      version: 4,
      jobMounts: { ...jobMounts, volumes: [jobMounts.volumes[0], jobMounts.volumes[0]] },
    },
    'message.jobMounts.volumes must not mount two volumes at one relativeMountPath.',
  ],
  [
    {
      ...run,
      version: 4,
      jobMounts: { ...jobMounts, volumes: [{ ...jobMounts.volumes[1], accountKey: 'plain' }] },
    },
    'message.jobMounts.volumes[0].accountKey is a secret in plain text',
  ],
  [
    {
      ...run,
      version: 4,
      jobMounts: { ...jobMounts, volumes: [{ ...jobMounts.volumes[1], relativeMountPath: '../etc' }] },
    },
    "message.jobMounts.volumes[0].relativeMountPath '../etc' must be '/'-separated segments",
  ],
  [
    { ...run, version: 3, prepare: { directories: ['/a', 7] } },
    'message.prepare.directories[1] must be a string.',
  ],
  [
    { ...run, version: 3, prepare: { files: [{ path: '/h', content: 3 }] } },
    'message.prepare.files[0].content must be a string of at most 1 MiB.',
  ],
  [
    { ...run, version: 2, secrets: { TOKEN: 'plain' } },
    'message.secrets is a secret in plain text: secrets reach nodes only sealed with the node data key.',
  ],
  [
    { ...run, version: 2, sealedEnvironment: 'TOKEN=plain' },
    'message.sealedEnvironment is not a sealed value (aesgcm1:iv:tag:ciphertext).',
  ],
  [{ ...run, attempt: 0 }, 'message.attempt must be an integer between 1 and 10000.'],
  [
    { ...run, environment: { 'BAD-NAME': 'x' } },
    'message.environment.BAD-NAME is not a valid environment variable name.',
  ],
  [
    { ...run, stdout: { container: 'Bad_Container', name: 'x' } },
    "message.stdout.container 'Bad_Container' is not a valid blob container name.",
  ],
  [
    { ...run, container: { image: 'x', shmSize: 'lots' } },
    "message.container.shmSize 'lots' is not a size such as '2g' or '512m'.",
  ],
  [{ ...run, kind: 'reboot' }, "message.kind must be one of 'runTask', 'killTask'."],
])('a malformed task message names the field (%#)', (message, error) => {
  expect(() => parseNodeTaskMessage(message)).toThrow(error);
});

test('node events are validated by kind', () => {
  const base = {
    schema: 'batchai.nodeEvent',
    version: 1,
    nodeId: 'n',
    clusterKey: 'c',
    time: '2026-01-01T00:00:00Z',
  };
  expect(parseNodeEvent({ ...base, kind: 'heartbeat' })).toMatchObject({ runningTaskIds: [] });
  expect(parseNodeEvent({ ...base, vmId: 'vm-1', kind: 'heartbeat' })).toMatchObject({ vmId: 'vm-1' });
  expect(parseNodeEvent({ ...base, kind: 'heartbeat' })).not.toHaveProperty('vmId');
  const exit = { taskId: 't', exitCode: 0, reason: 'exited', time: '2026-01-01T00:00:00Z' };
  expect(parseNodeEvent({ ...base, kind: 'heartbeat', exits: [exit] })).toMatchObject({ exits: [exit] });
  expect(() =>
    parseNodeEvent({ ...base, kind: 'heartbeat', exits: [{ ...exit, reason: 'finished' }] }),
  ).toThrow('message.exits[0].reason must be one of');
  expect(() => parseNodeEvent({ ...base, kind: 'heartbeat', exits: {} })).toThrow(
    'message.exits must be an array of at most 32 exits.',
  );
  expect(() =>
    parseNodeEvent({ ...base, kind: 'registered', vmSize: 'S', cpuCount: 0, gpuCount: 0, agentVersion: '1' }),
  ).toThrow('message.cpuCount must be an integer between 1 and 4096.');
  expect(() => parseNodeEvent({ ...base, time: 'yesterday', kind: 'heartbeat' })).toThrow(
    'message.time must be an ISO 8601 timestamp.',
  );
  expect(() =>
    parseNodeEvent({ ...base, kind: 'evictionNotice', eventId: 'e', eventType: 'Reboot' }),
  ).toThrow("message.eventType must be one of 'Preempt', 'Terminate'.");
});

test("a tasksExited event (version 3) is its exits, each a version 2 taskExited with the node's header", () => {
  const header = { schema: 'batchai.nodeEvent', nodeId: 'n', clusterKey: 'c', vmId: 'vm-1' };
  const base = { ...header, version: 3, kind: 'tasksExited', time: '2026-01-01T00:00:09Z' };
  const first = {
    taskId: 'a',
    jobId: 'job-a',
    attempt: 1,
    exitCode: 0,
    reason: 'exited',
    replyTo: 'job-a-lifecycle',
    releasesNodeOf: 'a/1',
    traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    time: '2026-01-01T00:00:01Z',
  };
  const second = {
    taskId: 'b',
    jobId: 'job-b',
    attempt: 2,
    signal: 'SIGTERM',
    reason: 'killed',
    time: '2026-01-01T00:00:02Z',
  };
  const parsed = parseNodeEvent({ ...base, exits: [first, second] });
  expect(parsed).toMatchObject({ kind: 'tasksExited', version: 3, time: base.time });
  // (toEqual: a field absent and one set to undefined are the same)
  expect(parsed.kind === 'tasksExited' && parsed.exits).toEqual([
    { ...header, version: 2, kind: 'taskExited', ...first },
    { ...header, version: 2, kind: 'taskExited', ...second },
  ]);
  expect(() => parseNodeEvent({ ...base, exits: [first, { ...second, taskId: undefined }] })).toThrow(
    'message.exits[1].taskId',
  );
  expect(() => parseNodeEvent({ ...base, exits: [{ ...first, time: 'soon' }] })).toThrow(
    'message.exits[0].time must be an ISO 8601 timestamp.',
  );
  expect(() => parseNodeEvent({ ...base, exits: [] })).toThrow(
    'message.exits must be an array of 1 to 32 exits.',
  );
  expect(() => parseNodeEvent({ ...base, exits: Array.from({ length: 33 }, () => first) })).toThrow(
    'message.exits must be an array of 1 to 32 exits.',
  );
  // Version 3 is that kind's alone: a reader of the previous release refuses it, and takes every other event.
  expect(() => parseNodeEvent({ ...base, version: 2, exits: [first] })).toThrow(
    'message.version must be 3 for tasksExited.',
  );
  expect(() => parseNodeEvent({ ...base, kind: 'heartbeat' })).toThrow(
    'message.version 3 is only for tasksExited.',
  );
});

test('a VM agent configuration may not carry a storage connection string', () => {
  const config = {
    schema: 'batchai.agentConfig',
    version: 1,
    mode: 'vm',
    clusterKey: 'c',
    vmSize: 'S',
    cpuCount: 1,
    gpuCount: 0,
    workRoot: '/mnt/batch/tasks',
    storage: { connectionString: 'DefaultEndpointsProtocol=https;AccountKey=secret' },
    nodeEventsQueue: 'node-events',
    setupOutputContainer: 'node-setup-output',
    heartbeatIntervalMs: 1000,
    taskPollIntervalMs: 1000,
    scheduledEventsPollIntervalMs: 1000,
  };
  expect(() => parseAgentConfig(config)).toThrow(
    "config.storage.connectionString is allowed only in 'local' mode",
  );
  expect(
    parseAgentConfig({ ...config, storage: { blobEndpoint: 'https://b', queueEndpoint: 'https://q' } })
      .metadataServiceUrl,
  ).toBe('http://169.254.169.254');
});

test('version 2 task exits carry a machine-readable reason; version 1 exits get one from their facts', () => {
  const base = { schema: 'batchai.nodeEvent', nodeId: 'n', clusterKey: 'c', time: '2026-01-01T00:00:00Z' };
  const exit = { ...base, kind: 'taskExited', taskId: 't', jobId: 'j', attempt: 1, signal: 'SIGTERM' };
  expect(
    parseNodeEvent({ ...exit, version: 2, reason: 'evicted', message: 'The node was evicted (Preempt).' }),
  ).toMatchObject({ reason: 'evicted', message: 'The node was evicted (Preempt).' });
  expect(() => parseNodeEvent({ ...exit, version: 2, reason: 'The node was evicted.' })).toThrow(
    "message.reason must be one of 'exited', 'killed', 'evicted', 'nodeLost', 'failedToStart'.",
  );
  expect(parseNodeEvent({ ...exit, version: 2, reason: 'killed', nodeRemoval: 'terminate' })).toMatchObject({
    nodeRemoval: 'terminate',
  });
  // A version 1 agent's text is kept for people; the text never decides (an eviction shows as 'killed').
  expect(parseNodeEvent({ ...exit, version: 1, reason: 'The node was evicted (Preempt).' })).toMatchObject({
    reason: 'killed',
    message: 'The node was evicted (Preempt).',
  });
});

/** A local node's agent configuration, as the wire carries it. */
const local = {
  schema: 'batchai.agentConfig',
  version: 2,
  mode: 'local',
  nodeId: 'n',
  clusterKey: 'c',
  vmSize: 'S',
  cpuCount: 1,
  gpuCount: 0,
  workRoot: '/tmp/n',
  storage: { connectionString: 'UseDevelopmentStorage=true' },
  nodeEventsQueue: 'node-events',
  setupOutputContainer: 'node-setup-output',
  heartbeatIntervalMs: 1000,
  taskPollIntervalMs: 1000,
  scheduledEventsPollIntervalMs: 1000,
};

test('an agent configuration with a contact lease under a second is refused, naming the field', () => {
  expect(parseAgentConfig({ ...local, contactLeaseMs: 45_000 }).contactLeaseMs).toBe(45_000);
  expect(parseAgentConfig(local).contactLeaseMs).toBeUndefined();
  expect(() => parseAgentConfig({ ...local, contactLeaseMs: 500 })).toThrow(/config\.contactLeaseMs/);
});

test('agent configurations refuse plain secrets and a node data key in VM custom data', () => {
  const key = Buffer.alloc(32, 1).toString('base64');
  expect(parseAgentConfig({ ...local, nodeDataKey: key }).nodeDataKey).toBe(key);
  expect(() => parseAgentConfig({ ...local, nodeDataKey: 'c2hvcnQ=' })).toThrow(
    'config.nodeDataKey must be base64 of 32 bytes.',
  );
  const vm = {
    ...local,
    mode: 'vm',
    storage: { blobEndpoint: 'https://b', queueEndpoint: 'https://q', managedIdentityClientId: 'id' },
  };
  expect(() => parseAgentConfig({ ...vm, nodeDataKey: key })).toThrow(
    "config.nodeDataKey is allowed only in 'local' mode",
  );
  expect(
    parseAgentConfig({
      ...vm,
      nodeDataKeySource: { keyVaultUrl: 'https://kv.vault.azure.net', secretName: 'cluster-c-node-key' },
    }).nodeDataKeySource,
  ).toEqual({ keyVaultUrl: 'https://kv.vault.azure.net', secretName: 'cluster-c-node-key' });
  const share = {
    kind: 'azureFileShare',
    relativeMountPath: 'afs',
    azureFileUrl: 'https://a.file.core.windows.net/s',
    accountName: 'a',
  };
  expect(() => parseAgentConfig({ ...local, mountVolumes: [{ ...share, accountKey: 'plain' }] })).toThrow(
    'config.mountVolumes[0].accountKey is a secret in plain text',
  );
  const counters = {
    ingestionEndpoint: 'https://dc.services.visualstudio.com/',
    sealedInstrumentationKey: 'aesgcm1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AAAA',
    intervalMs: 60_000,
  };
  expect(parseAgentConfig({ ...vm, performanceCounters: counters }).performanceCounters).toEqual(counters);
  expect(() =>
    parseAgentConfig({ ...vm, performanceCounters: { ...counters, instrumentationKey: 'plain' } }),
  ).toThrow('config.performanceCounters.instrumentationKey is a secret in plain text');
  expect(() =>
    parseAgentConfig({
      ...vm,
      performanceCounters: { ...counters, ingestionEndpoint: 'http://dc.example/' },
    }),
  ).toThrow("config.performanceCounters.ingestionEndpoint must be an https URL ending with '/'.");
  const signedIn = { ...counters, managedIdentityClientId: 'id' };
  expect(
    parseAgentConfig({ ...vm, metadataServiceUrl: 'http://169.254.169.254', performanceCounters: signedIn })
      .performanceCounters,
  ).toEqual(signedIn);
  expect(() => parseAgentConfig({ ...local, performanceCounters: signedIn })).toThrow(
    'config.performanceCounters.managedIdentityClientId needs metadataServiceUrl',
  );
  expect(() =>
    parseAgentConfig({ ...local, setupTask: { commandLine: 'true', secrets: { A: 'plain' } } }),
  ).toThrow('config.setupTask.secrets is a secret in plain text');
});

test('a cluster command whose key does not match its cluster is refused', () => {
  const command = {
    schema: 'batchai.clusterCommand',
    version: 1,
    kind: 'apply',
    clusterKey: '/subscriptions/s/resourcegroups/rg/providers/microsoft.batchai/workspaces/w/clusters/other',
    cluster: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'w', name: 'c' },
  };
  expect(() => parseClusterCommand(command)).toThrow('message.clusterKey does not match message.cluster.');
  expect(() => decodeQueueMessage('%%%')).toThrow('message is neither JSON nor base64-encoded JSON.');
});

test("a node's agent release says whether its task messages may keep a preparation's container", () => {
  expect(agentAtLeast('1.1.0', preparedContainersSince)).toBe(true);
  expect(agentAtLeast('1.10.0', '1.9.2')).toBe(true);
  expect(agentAtLeast('1.0.0', preparedContainersSince)).toBe(false);
  expect(agentAtLeast('1.1', '1.1.0')).toBe(true);
  expect(agentAtLeast(undefined, preparedContainersSince)).toBe(false);
});

test('a refused run message still names its task and where its exit goes; anything else names nothing', () => {
  const future = { ...run, version: 99, replyTo: 'job-0b1c', somethingNew: { x: 1 } };
  expect(refusedRunTaskOf(future)).toEqual({ taskId: 't1', jobId: 'j', attempt: 1, replyTo: 'job-0b1c' });
  expect(refusedRunTaskOf({ ...future, kind: 'killTask' })).toBeUndefined();
  expect(refusedRunTaskOf({ ...future, taskId: '' })).toBeUndefined();
  expect(refusedRunTaskOf({ ...future, attempt: 0 })).toBeUndefined();
  expect(refusedRunTaskOf({ ...future, schema: 'other' })).toBeUndefined();
  expect(refusedRunTaskOf('text')).toBeUndefined();
});
