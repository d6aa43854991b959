// Jobs of every toolkit through Microsoft's generated SDK for Batch AI 2018-05-01 (`@azure/arm-batchai` 2.2.1):
// each settings object as the SDK models and serializes it, with input directories, job preparation, variables,
// secrets and container settings, comes back from GET as the SDK sent it (as the SDK deserializes it). PyTorch,
// TensorFlow (parameter server and workers on two nodes) and Caffe2 jobs run on local nodes; the toolkits that need
// MPI, CNTK, Caffe or Docker are only created and read back, on a cluster without nodes where they stay queued.
// Needs `npx tsc -p tsconfig.json` first.
import * as fs from 'fs';
import * as path from 'path';
import type { BatchAIManagementClient } from '@azure/arm-batchai';
import type { BatchAIManagementModels } from '@azure/arm-batchai';
import { startJobTestBed, type JobTestBed } from '../jobs/support/jobTestBed';
import { workspacePath } from './apiClient';
import { officialSdkClient, waitForIdleClusterNodes } from './officialSdkClient';

const rg = 'sdkrg';
const ws = 'sdkws';
const exp = 'sdkexp';
const clusterPath = (name: string) => `${workspacePath(rg, ws)}/clusters/${name}`;

let bed: JobTestBed;
let client: BatchAIManagementClient;
let inputDir: string;
let script: string;

beforeAll(async () => {
  bed = await startJobTestBed({ JOB_NODE_CHECK_SECONDS: '1' });
  client = officialSdkClient(bed.env.baseUrl);
  await client.workspaces.create(rg, ws, { location: 'eastus' });
  await client.experiments.create(rg, ws, exp);
  const user = { adminUserName: 'me', adminUserPassword: 'Passw0rd!' };
  await client.clusters.create(rg, ws, 'pair', {
    vmSize: 'STANDARD_D1_V2',
    scaleSettings: { manual: { targetNodeCount: 2 } },
    userAccountSettings: user,
  });
  // No nodes: jobs on it stay queued, so toolkits this machine cannot run are only created and read back.
  await client.clusters.create(rg, ws, 'empty', {
    vmSize: 'STANDARD_D1_V2',
    scaleSettings: { manual: { targetNodeCount: 0 } },
    userAccountSettings: user,
  });
  inputDir = path.join(bed.dataDir, 'sdk-input');
  fs.mkdirSync(inputDir, { recursive: true });
  fs.writeFileSync(path.join(inputDir, 'data.txt'), 'the input\n');
  // One script for every toolkit that runs here: what the toolkit gave the process, one line. A TensorFlow
  // parameter server then serves until it is stopped (the job ends with its workers), and the workers start once
  // it is up, as TensorFlow's connect to it (local nodes share the job's temp directory).
  script = path.join(bed.dataDir, 'sdk-train.py');
  fs.writeFileSync(
    script,
    [
      'import os, sys, time',
      'e = os.environ',
      "up = os.path.join(e['AZ_BATCHAI_SHARED_JOB_TEMP'], 'ps-up')",
      "if e.get('TF_CONFIG') and '--role ps' not in ' '.join(sys.argv[1:]) and e.get('AZ_BATCHAI_PS_HOSTS'):",
      '    for _ in range(300):',
      '        if os.path.exists(up): break',
      '        time.sleep(0.1)',
      "data = open(os.path.join(e['AZ_BATCHAI_INPUT_DATA'], 'data.txt')).read().strip()",
      "prepared = open(os.path.join(e['AZ_BATCHAI_JOB_TEMP'], 'prepared')).read().strip()",
      "print('task=%s tf=%s args=%s data=%s prepared=%s greeting=%s token=%s' % (e.get('AZ_BATCHAI_TASK_INDEX'),",
      "      e.get('TF_CONFIG', '-') != '-', ' '.join(sys.argv[1:]), data, prepared, e['GREETING'], e['TOKEN']),",
      '      flush=True)',
      "if '--role ps' in ' '.join(sys.argv[1:]):",
      "    open(up, 'w').close()",
      '    time.sleep(600)',
    ].join('\n'),
  );
  await waitForIdleNodes('pair', 2);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

/** Waits until the cluster has `count` idle nodes. */
function waitForIdleNodes(cluster: string, count: number): Promise<void> {
  return waitForIdleClusterNodes(client, rg, ws, cluster, count);
}

async function waitForJobEnd(job: string): Promise<BatchAIManagementModels.Job> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const got = await client.jobs.get(rg, ws, exp, job);
    if (got.executionState === 'succeeded' || got.executionState === 'failed') return got;
    if (Date.now() > deadline) throw new Error(`job ${job}: ${got.executionState}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The text of each file in the job's stdouterr directory, by name. */
async function stdOutErr(job: string): Promise<Record<string, string>> {
  const files = await client.jobs.listOutputFiles(rg, ws, exp, job, { outputdirectoryid: 'stdouterr' });
  const texts: Record<string, string> = {};
  for (const file of files) texts[file.name!] = await (await fetch(file.downloadUrl!)).text();
  return texts;
}

/** What every job here shares: where stdout goes, an input directory, job preparation, a variable, a secret. */
function commonParameters(cluster: string): Omit<BatchAIManagementModels.JobCreateParameters, 'nodeCount'> {
  return {
    cluster: { id: clusterPath(cluster) },
    stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
    inputDirectories: [{ id: 'DATA', path: inputDir }],
    jobPreparation: { commandLine: 'echo ready > "$AZ_BATCHAI_JOB_TEMP/prepared"' },
    environmentVariables: [{ name: 'GREETING', value: 'hi' }],
    secrets: [{ name: 'TOKEN', value: 'tok3n' }],
    constraints: { maxWallClockTime: 'PT2H30M' },
    schedulingPriority: 'high',
  };
}

/** The parts of a job the SDK read back that were sent, besides the toolkit. */
function expectCommonRoundTrip(got: BatchAIManagementModels.Job, cluster: string): void {
  expect(got.cluster).toEqual({ id: clusterPath(cluster) });
  expect(got.stdOutErrPathPrefix).toBe('$AZ_BATCHAI_MOUNT_ROOT/logs');
  expect(got.inputDirectories).toEqual([{ id: 'DATA', path: inputDir }]);
  expect(got.jobPreparation).toEqual({ commandLine: 'echo ready > "$AZ_BATCHAI_JOB_TEMP/prepared"' });
  expect(got.environmentVariables).toEqual([{ name: 'GREETING', value: 'hi' }]);
  // A secret comes back with its name only.
  expect(got.secrets).toEqual([{ name: 'TOKEN' }]);
  expect(got.constraints).toEqual({ maxWallClockTime: 'PT2H30M' });
  expect(got.schedulingPriority).toBe('high');
  expect(got.provisioningState).toBe('succeeded');
  expect(got.creationTime).toBeInstanceOf(Date);
  expect(got.provisioningStateTransitionTime).toBeInstanceOf(Date);
  expect(got.executionStateTransitionTime).toBeInstanceOf(Date);
  expect(got.jobOutputDirectoryPathSegment).toEqual(expect.any(String));
}

test('a PyTorch job sent by the SDK round-trips and runs with its input, preparation, variables and secrets', async () => {
  const pyTorchSettings: BatchAIManagementModels.PyTorchSettings = {
    pythonScriptFilePath: script,
    pythonInterpreterPath: 'python3',
    commandLineArgs: '--epochs 1',
    processCount: 2,
    communicationBackend: 'gloo',
  };
  const created = await client.jobs.create(rg, ws, exp, 'torch', {
    ...commonParameters('pair'),
    nodeCount: 2,
    pyTorchSettings,
  });
  expect(created.toolType).toBe('pytorch');
  expect(created.pyTorchSettings).toEqual(pyTorchSettings);
  expectCommonRoundTrip(created, 'pair');

  const done = await waitForJobEnd('torch');
  expect(done.executionState).toBe('succeeded');
  expect(done.pyTorchSettings).toEqual(pyTorchSettings);
  expect(done.executionInfo?.startTime).toBeInstanceOf(Date);
  expect(done.executionInfo?.endTime).toBeInstanceOf(Date);
  expect(done.executionInfo!.endTime!.getTime()).toBeGreaterThanOrEqual(
    done.executionInfo!.startTime!.getTime(),
  );
  expect(done.executionInfo?.exitCode).toBe(0);
  const files = await stdOutErr('torch');
  for (const rank of [0, 1]) {
    expect(files[`stdout-${rank}.txt`]).toBe(
      `task=${rank} tf=False args=--epochs 1 data=the input prepared=ready greeting=hi token=tok3n\n`,
    );
  }
}, 120_000);

test('a TensorFlow job with a parameter server and two workers on two nodes round-trips and runs', async () => {
  const tensorFlowSettings: BatchAIManagementModels.TensorFlowSettings = {
    pythonScriptFilePath: script,
    pythonInterpreterPath: 'python3',
    masterCommandLineArgs: '--role master',
    workerCommandLineArgs: '--role worker',
    parameterServerCommandLineArgs: '--role ps',
    workerCount: 2,
    parameterServerCount: 1,
  };
  const created = await client.jobs.create(rg, ws, exp, 'tf', {
    ...commonParameters('pair'),
    nodeCount: 2,
    tensorFlowSettings,
  });
  expect(created.toolType).toBe('tensorflow');
  expect(created.tensorFlowSettings).toEqual(tensorFlowSettings);
  expectCommonRoundTrip(created, 'pair');

  const done = await waitForJobEnd('tf');
  expect(done.executionState).toBe('succeeded');
  expect(done.tensorFlowSettings).toEqual(tensorFlowSettings);
  const files = await stdOutErr('tf');
  const line = (task: number, role: string) =>
    `task=${task} tf=True args=--role ${role} data=the input prepared=ready greeting=hi token=tok3n\n`;
  expect(files['stdout-ps-0.txt']).toBe(line(0, 'ps'));
  expect(files['stdout-wk-0.txt']).toBe(line(0, 'master'));
  expect(files['stdout-wk-1.txt']).toBe(line(1, 'worker'));
}, 120_000);

test('a Caffe2 job round-trips and runs one process per node', async () => {
  const caffe2Settings: BatchAIManagementModels.Caffe2Settings = {
    pythonScriptFilePath: script,
    pythonInterpreterPath: 'python3',
    commandLineArgs: '--shard',
  };
  const created = await client.jobs.create(rg, ws, exp, 'caffe2', {
    ...commonParameters('pair'),
    nodeCount: 2,
    caffe2Settings,
  });
  expect(created.toolType).toBe('caffe2');
  expect(created.caffe2Settings).toEqual(caffe2Settings);
  const done = await waitForJobEnd('caffe2');
  expect(done.executionState).toBe('succeeded');
  const files = await stdOutErr('caffe2');
  expect(files['stdout-1.txt']).toBe(
    'task=1 tf=False args=--shard data=the input prepared=ready greeting=hi token=tok3n\n',
  );
}, 120_000);

/** Toolkits only created and read back (MPI, CNTK and Caffe are not needed to check what the API stores). */
const queuedOnly: [string, string, Partial<BatchAIManagementModels.JobCreateParameters>][] = [
  [
    'chainer',
    'chainer',
    {
      chainerSettings: {
        pythonScriptFilePath: '$AZ_BATCHAI_INPUT_DATA/train_mnist.py',
        pythonInterpreterPath: '/usr/bin/python3',
        commandLineArgs: '--epoch 1',
        processCount: 2,
      },
    },
  ],
  [
    'horovod',
    'horovod',
    {
      horovodSettings: {
        pythonScriptFilePath: '$AZ_BATCHAI_INPUT_DATA/tensorflow_mnist.py',
        commandLineArgs: '--epochs 1',
        processCount: 4,
      },
    },
  ],
  [
    'custommpi',
    'custommpi',
    { customMpiSettings: { commandLine: 'python $AZ_BATCHAI_INPUT_DATA/allreduce.py', processCount: 2 } },
  ],
  [
    'cntk-bs',
    'cntk',
    {
      cntkSettings: {
        languageType: 'BrainScript',
        configFilePath: '$AZ_BATCHAI_INPUT_DATA/ConvNet_MNIST.cntk',
        commandLineArgs: 'DataDir=$AZ_BATCHAI_INPUT_DATA',
        processCount: 2,
      },
    },
  ],
  [
    'cntk-py',
    'cntk',
    {
      cntkSettings: {
        languageType: 'Python',
        pythonScriptFilePath: '$AZ_BATCHAI_INPUT_DATA/ConvNet_MNIST.py',
        pythonInterpreterPath: '/opt/conda/bin/python',
        commandLineArgs: '$AZ_BATCHAI_INPUT_DATA',
        processCount: 1,
      },
    },
  ],
  [
    'caffe-cfg',
    'caffe',
    { caffeSettings: { configFilePath: '$AZ_BATCHAI_INPUT_DATA/lenet_solver.prototxt', processCount: 2 } },
  ],
  [
    'caffe-py',
    'caffe',
    {
      caffeSettings: {
        pythonScriptFilePath: '$AZ_BATCHAI_INPUT_DATA/train.py',
        pythonInterpreterPath: 'python2',
        commandLineArgs: '--gpu all',
        processCount: 1,
      },
    },
  ],
];

test.each(queuedOnly)(
  'a %s job sent by the SDK comes back from GET as sent (toolType %s)',
  async (name, toolType, toolkit) => {
    const created = await client.jobs.create(rg, ws, exp, name, {
      ...commonParameters('empty'),
      nodeCount: 2,
      ...toolkit,
    });
    const got = await client.jobs.get(rg, ws, exp, name);
    for (const job of [created, got]) {
      expect(job.toolType).toBe(toolType);
      for (const [key, value] of Object.entries(toolkit)) {
        expect(job[key as keyof BatchAIManagementModels.Job]).toEqual(value);
      }
      expectCommonRoundTrip(job, 'empty');
      expect(job.nodeCount).toBe(2);
      expect(job.executionState).toBe('queued');
    }
    await client.jobs.deleteMethod(rg, ws, exp, name);
    expect((await client.jobs.listByExperiment(rg, ws, exp)).map((j) => j.name)).not.toContain(name);
  },
);

test('container settings with a private registry round-trip; the registry password is never returned', async () => {
  const containerSettings: BatchAIManagementModels.ContainerSettings = {
    imageSourceRegistry: {
      serverUrl: 'https://registry.example.com',
      image: 'registry.example.com/team/train:1.0',
      credentials: { username: 'puller', password: 'regist3y-pass' },
    },
    shmSize: '2g',
  };
  const created = await client.jobs.create(rg, ws, exp, 'boxed', {
    ...commonParameters('empty'),
    nodeCount: 1,
    containerSettings,
    customToolkitSettings: { commandLine: 'python train.py' },
  });
  const got = await client.jobs.get(rg, ws, exp, 'boxed');
  for (const job of [created, got]) {
    expect(job.containerSettings).toEqual({
      imageSourceRegistry: {
        serverUrl: 'https://registry.example.com',
        image: 'registry.example.com/team/train:1.0',
        credentials: { username: 'puller' },
      },
      shmSize: '2g',
    });
    expect(job.customToolkitSettings).toEqual({ commandLine: 'python train.py' });
    expect(job.toolType).toBe('custom');
  }
  expect(JSON.stringify(got._response.parsedBody)).not.toContain('regist3y-pass');
  await client.jobs.deleteMethod(rg, ws, exp, 'boxed');
});

test('a failed job reports its exit code and errors; output files list directories, sizes and dates', async () => {
  await client.jobs.create(rg, ws, exp, 'fails', {
    cluster: { id: clusterPath('pair') },
    nodeCount: 1,
    stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
    outputDirectories: [{ id: 'OUT', pathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs', pathSuffix: 'run' }],
    customToolkitSettings: {
      commandLine:
        'mkdir -p "$AZ_BATCHAI_OUTPUT_OUT/sub" && printf abc > "$AZ_BATCHAI_OUTPUT_OUT/sub/inner.txt" && ' +
        'for i in 1 2 3; do echo $i > "$AZ_BATCHAI_OUTPUT_OUT/sub/more-$i.txt"; done && ' +
        'printf hello > "$AZ_BATCHAI_OUTPUT_OUT/top.txt"; exit 3',
    },
  });
  const done = await waitForJobEnd('fails');
  expect(done.executionState).toBe('failed');
  expect(done.executionInfo?.exitCode).toBe(3);
  expect(done.executionInfo?.errors).toEqual([
    expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
  ]);
  for (const detail of done.executionInfo?.errors?.[0].details ?? []) {
    expect(detail).toEqual({ name: expect.any(String), value: expect.any(String) });
  }

  const top = await client.jobs.listOutputFiles(rg, ws, exp, 'fails', {
    outputdirectoryid: 'OUT',
    linkexpiryinminutes: 5,
  });
  expect(top.map((f) => [f.name, f.fileType])).toEqual([
    ['sub', 'directory'],
    ['top.txt', 'file'],
  ]);
  const file = top.find((f) => f.name === 'top.txt')!;
  expect(file.contentLength).toBe(5);
  expect(file.lastModified).toBeInstanceOf(Date);
  expect(Math.abs(file.lastModified!.getTime() - Date.now())).toBeLessThan(10 * 60_000);
  expect(await (await fetch(file.downloadUrl!)).text()).toBe('hello');
  const inner = await client.jobs.listOutputFiles(rg, ws, exp, 'fails', {
    outputdirectoryid: 'OUT',
    directory: 'sub',
  });
  expect(inner.map((f) => [f.name, f.fileType, f.contentLength])).toEqual([
    ['inner.txt', 'file', 3],
    ['more-1.txt', 'file', 2],
    ['more-2.txt', 'file', 2],
    ['more-3.txt', 'file', 2],
  ]);
  // The next pages stay in the directory asked for.
  const firstPage = await client.jobs.listOutputFiles(rg, ws, exp, 'fails', {
    outputdirectoryid: 'OUT',
    directory: 'sub',
    maxResults: 3,
  });
  expect(firstPage.map((f) => f.name)).toEqual(['inner.txt', 'more-1.txt', 'more-2.txt']);
  const nextPage = await client.jobs.listOutputFilesNext(firstPage.nextLink!);
  expect(nextPage.map((f) => f.name)).toEqual(['more-3.txt']);
  expect(nextPage.nextLink).toBeUndefined();
}, 120_000);

test('jobs list page by page through the SDK', async () => {
  const first = await client.jobs.listByExperiment(rg, ws, exp, {
    jobsListByExperimentOptions: { maxResults: 2 },
  });
  expect(first).toHaveLength(2);
  const names = first.map((j) => j.name);
  let link = first.nextLink;
  while (link) {
    const page = await client.jobs.listByExperimentNext(link);
    expect(page.length).toBeLessThanOrEqual(2);
    names.push(...page.map((j) => j.name));
    link = page.nextLink;
  }
  expect(names.sort()).toEqual(['caffe2', 'fails', 'tf', 'torch']);
  const experiments = await client.experiments.listByWorkspace(rg, ws, {
    experimentsListByWorkspaceOptions: { maxResults: 1 },
  });
  expect(experiments.map((e) => e.name)).toEqual([exp]);
  const clusters = await client.clusters.listByWorkspace(rg, ws, {
    clustersListByWorkspaceOptions: { maxResults: 1 },
  });
  expect(clusters).toHaveLength(1);
  const more = await client.clusters.listByWorkspaceNext(clusters.nextLink!);
  expect([...clusters, ...more].map((c) => c.name).sort()).toEqual(['empty', 'pair']);
});

test('a running job deleted through the SDK is stopped and gone; its experiment deletes with its jobs', async () => {
  await client.jobs.create(rg, ws, exp, 'running', {
    cluster: { id: clusterPath('pair') },
    nodeCount: 1,
    stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
    customToolkitSettings: { commandLine: 'sleep 600' },
  });
  const deadline = Date.now() + 60_000;
  while ((await client.jobs.get(rg, ws, exp, 'running')).executionState !== 'running') {
    if (Date.now() > deadline) throw new Error('job running never ran');
    await new Promise((r) => setTimeout(r, 200));
  }
  const started = await client.jobs.get(rg, ws, exp, 'running');
  expect(started.executionInfo?.startTime).toBeInstanceOf(Date);
  expect(started.executionInfo?.endTime).toBeUndefined();
  await client.jobs.deleteMethod(rg, ws, exp, 'running');
  const gone = await client.jobs.get(rg, ws, exp, 'running').then(
    () => 0,
    (error: { statusCode?: number }) => error.statusCode,
  );
  expect(gone).toBe(404);
  await client.experiments.deleteMethod(rg, ws, exp);
  expect(await client.experiments.listByWorkspace(rg, ws)).toHaveLength(0);
}, 120_000);
