// Unit tests of launch plans per toolkit, on Batch AI recipe job.json files (fixtures/): commands, process
// placement, the Batch AI environment, secrets, job preparation, attempts.
import * as fs from 'fs';
import * as path from 'path';
import { ValidationError } from '../errors';
import type { JsonObject } from '../specValidator';
import { buildLaunchPlan, nodeHostCommandLine } from './launchPlanBuilder';
import { redactedEnvironment, type AllocatedNode, type LaunchPlan, type LaunchPlanInput } from './launchPlan';

const segment = 'sub/rg/workspaces/ws/experiments/exp/jobs/job1/u-1';
const root = '/mnt/batch/tasks/shared/LS_root';
const jobMounts = `${root}/jobs/u-1/mounts`;

function fixture(name: string): JsonObject {
  const text = fs.readFileSync(path.join(__dirname, 'fixtures', `${name}.job.json`), 'utf8');
  return (JSON.parse(text) as { properties: JsonObject }).properties;
}

function nodes(count: number, gpus = 1): AllocatedNode[] {
  return Array.from({ length: count }, (_, i) => ({ id: `tvm-${i}`, address: `10.0.0.${4 + i}`, gpus }));
}

function plan(properties: JsonObject, extra: Partial<LaunchPlanInput> = {}): LaunchPlan {
  return buildLaunchPlan({
    job: { name: 'job1', uuid: 'u-1', outputDirectoryPathSegment: segment, properties },
    attempt: 1,
    nodes: nodes(properties.nodeCount as number),
    ...extra,
  });
}

const processes = (p: LaunchPlan) =>
  p.nodes.flatMap((n) => n.processes.map((proc) => ({ node: n.nodeIndex, ...proc })));

describe('environment', () => {
  test('every process gets the Batch AI variables, inputs and outputs resolved against the node roots', () => {
    const p = plan(fixture('cntk-gpu-brainscript'));
    const env = p.nodes[0].processes[0].environment;
    expect(env).toMatchObject({
      AZ_BATCHAI_MOUNT_ROOT: `${root}/mounts`,
      AZ_BATCHAI_JOB_MOUNT_ROOT: jobMounts,
      AZ_BATCHAI_JOB_TEMP: `${root}/jobs/u-1`,
      AZ_BATCHAI_JOB_TEMP_DIR: `${root}/jobs`,
      AZ_BATCHAI_SHARED_JOB_TEMP: `${root}/jobs/u-1/shared`,
      AZ_BATCHAI_MPI_HOST_FILE: `${root}/jobs/u-1/hostfile`,
      AZ_BATCHAI_STDOUTERR_DIR: `${root}/mounts/external/${segment}/stdouterr`,
      AZ_BATCHAI_INPUT_DATASET: `${root}/mounts/external/mnist_database`,
      AZ_BATCHAI_INPUT_CONFIG: `${root}/mounts/external/cntk_samples`,
      AZ_BATCHAI_OUTPUT_MODEL: `${root}/mounts/external/${segment}/outputs/Models`,
      AZ_BATCHAI_PREV_OUTPUT_MODEL: '',
      AZ_BATCH_HOST_LIST: '10.0.0.4',
      AZ_BATCHAI_NUM_GPUS: '1',
      AZ_BATCHAI_JOB_NAME: 'job1',
      AZ_BATCHAI_TASK_INDEX: '0',
    });
    expect(p.nodes[0].processes[0].commandLine).toBe(
      `cntk configFile=${root}/mounts/external/cntk_samples/ConvNet_MNIST.cntk rootDir=. ` +
        `dataDir=${root}/mounts/external/mnist_database outputDir=${root}/mounts/external/${segment}/outputs/Models`,
    );
    expect(p.nodes[0].processes[0].workingDirectory).toBe(`${root}/jobs/u-1`);
  });

  test('a retry points AZ_BATCHAI_PREV_OUTPUT_<id> at the previous attempt and writes its own directories', () => {
    const p = plan(fixture('chainer-gpu-distributed'), { attempt: 2 });
    const env = p.nodes[0].processes[0].environment;
    expect(env.AZ_BATCHAI_OUTPUT_MODEL).toBe(`${jobMounts}/logs/${segment}/attempt-2/outputs`);
    expect(env.AZ_BATCHAI_PREV_OUTPUT_MODEL).toBe(`${jobMounts}/logs/${segment}/outputs`);
    expect(env.AZ_BATCHAI_STDOUTERR_DIR).toBe(`${jobMounts}/logs/${segment}/attempt-2/stdouterr`);
  });

  test('user variables may refer to Batch AI ones; secrets are marked, kept off command lines and redacted', () => {
    const properties: JsonObject = {
      ...fixture('getjob-custom'),
      customToolkitSettings: { commandLine: 'train --token $TOKEN --data $DATA' },
      environmentVariables: [{ name: 'DATA', value: '$AZ_BATCHAI_INPUT_INPUT/train' }],
      secrets: [{ name: 'TOKEN' }],
    };
    const p = plan(properties, { secrets: { TOKEN: 's3cr3t' } });
    const master = p.nodes[0].processes[0];
    expect(p.secretNames).toEqual(['TOKEN']);
    expect(master.environment.TOKEN).toBe('s3cr3t');
    expect(master.environment.DATA).toBe(`${root}/mounts/azfiles/input/train`);
    expect(master.commandLine).toBe(`train --token $TOKEN --data ${root}/mounts/azfiles/input/train`);
    expect(redactedEnvironment(master, p.secretNames).TOKEN).toBe('***');
    expect(JSON.stringify(p.nodes.map((n) => n.processes.map((x) => x.commandLine)))).not.toContain('s3cr3t');
  });

  test('a missing secret value, a reserved variable name or a wrong node count is an error naming the field', () => {
    const base = fixture('getjob-custom');
    expect(() => plan({ ...base, secrets: [{ name: 'K' }] })).toThrow("secret variable 'K'");
    expect(() =>
      plan({ ...base, environmentVariables: [{ name: 'AZ_BATCHAI_JOB_NAME', value: 'x' }] }),
    ).toThrow(ValidationError);
    expect(() => plan(base, { nodes: nodes(2) })).toThrow('1 node(s)');
    expect(() => plan(base, { attempt: 0 })).toThrow("'attempt'");
  });
});

describe('custom toolkit', () => {
  test('the command runs on the master only, output in stdout.txt, in the job container', () => {
    const p = plan({ ...fixture('getjob-custom'), nodeCount: 2 });
    expect(p.toolType).toBe('custom');
    expect(p.nodes[0].processes).toHaveLength(1);
    // The other node only holds the job's mounts, directories and container while the command runs.
    expect(p.nodes[1].processes).toEqual([
      expect.objectContaining({
        name: 'job_node-1',
        role: 'nodeHost',
        commandLine: nodeHostCommandLine,
        stdoutFile: 'stdout-job_node-1.txt',
        stderrFile: 'stderr-job_node-1.txt',
      }),
    ]);
    expect(p.nodes[0].processes[0]).toMatchObject({
      name: 'master',
      commandLine: `echo hi | tee ${root}/mounts/azfiles/${segment}/outputs/files/hi.txt`,
      stdoutFile: 'stdout.txt',
      stderrFile: 'stderr.txt',
    });
    expect(p.container).toEqual({ image: 'ubuntu', useGpus: true });
  });
});

describe('MPI toolkits', () => {
  test('custom MPI: mpirun on the master with the host file and -np, job preparation on every node', () => {
    const p = plan(fixture('batch-scoring-custommpi'));
    expect(p.toolType).toBe('custommpi');
    const launcher = p.nodes[0].processes[0];
    expect(launcher.role).toBe('mpiLauncher');
    expect(launcher.commandLine).toMatch(
      new RegExp(`^mpirun --hostfile ${root}/jobs/u-1/hostfile -np 2 -x AZ_BATCHAI_INPUT_IMAGES `),
    );
    expect(launcher.commandLine).toContain(
      `python -u ${jobMounts}/scripts/classification_samples/batch_image_label.py`,
    );
    expect(p.nodes[1].processes.map((x) => x.role)).toEqual(['nodeHost']);
    expect(p.nodes[1].files).toEqual([
      { path: `${root}/jobs/u-1/hostfile`, content: '10.0.0.4 slots=1\n10.0.0.5 slots=1\n' },
    ]);
    expect(p.nodes.map((n) => n.jobPreparation?.stdoutFile)).toEqual([
      'stdout-job_prep.txt',
      'stdout-job_prep-1.txt',
    ]);
    expect(p.nodes[1].jobPreparation?.commandLine).toBe(
      'apt update; apt install mpi-default-dev mpi-default-bin -y',
    );
  });

  test('Horovod: processCount ranks spread over the nodes in the host file', () => {
    const p = plan(fixture('horovod-infiniband-benchmark'));
    expect(p.nodes[0].processes[0].commandLine).toMatch(
      / -np 8 .* python \/mnt\/.*tf_cnn_benchmarks\.py --model resnet101/,
    );
    expect(p.nodes[0].files[0].content).toBe('10.0.0.4 slots=4\n10.0.0.5 slots=4\n');
    expect(p.nodes[0].jobPreparation?.commandLine).toBe(
      `bash ${jobMounts}/scripts/horovod/jobprep_benchmark.sh`,
    );
  });

  test('Chainer runs under mpirun with processCount = nodeCount by default', () => {
    const p = plan(fixture('chainer-gpu-distributed'));
    expect(p.toolType).toBe('chainer');
    expect(p.nodes[0].processes[0].commandLine).toMatch(
      new RegExp(
        ` -np 2 .*python ${jobMounts}/scripts/chainer/train_mnist.py -g -o ${jobMounts}/logs/${segment}/outputs$`,
      ),
    );
  });

  test('CNTK Python with 2 processes uses mpirun; the secret names are exported by name only', () => {
    const p = plan(
      { ...fixture('cntk-gpu-python-distributed'), secrets: [{ name: 'KEY' }] },
      { secrets: { KEY: 'v' } },
    );
    const command = p.nodes[0].processes[0].commandLine;
    expect(command).toContain(' -np 2 ');
    expect(command).toContain(' -x KEY ');
    expect(command).toContain(`--datadir ${root}/jobs/u-1 --outputdir`);
  });

  test('Caffe: a solver config with one process runs caffe train on the master; both config and script is an error', () => {
    const base: JsonObject = { nodeCount: 1, stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/afs' };
    const single = plan({
      ...base,
      caffeSettings: {
        configFilePath: '$AZ_BATCHAI_MOUNT_ROOT/afs/solver.prototxt',
        commandLineArgs: '-gpu all',
      },
    });
    expect(single.nodes[0].processes[0].commandLine).toBe(
      `caffe train --solver=${root}/mounts/afs/solver.prototxt -gpu all`,
    );
    const multi = plan(
      { ...base, nodeCount: 2, caffeSettings: { pythonScriptFilePath: 'train.py', processCount: 4 } },
      {},
    );
    expect(multi.nodes[0].processes[0].commandLine).toMatch(/ -np 4 .* python train.py$/);
    expect(() =>
      plan({ ...base, caffeSettings: { configFilePath: 'a', pythonScriptFilePath: 'b' } }),
    ).toThrow("'properties.caffeSettings' needs exactly one");
  });
});

describe('PyTorch', () => {
  test('one process per rank with torch.distributed variables and Batch AI init method, output per rank', () => {
    const p = plan(fixture('pytorch-gpu-distributed-gloo'));
    const all = processes(p);
    expect(all.map((x) => [x.node, x.name, x.stdoutFile])).toEqual([
      [0, 'rank-0', 'stdout-0.txt'],
      [1, 'rank-1', 'stdout-1.txt'],
    ]);
    expect(all[1].environment).toMatchObject({
      RANK: '1',
      WORLD_SIZE: '2',
      LOCAL_RANK: '0',
      MASTER_ADDR: '10.0.0.4',
      MASTER_PORT: '29500',
      AZ_BATCHAI_TASK_INDEX: '1',
      AZ_BATCHAI_PYTORCH_BACKEND: 'gloo',
      AZ_BATCHAI_PYTORCH_INIT_METHOD: 'tcp://10.0.0.4:29500',
    });
    expect(all[1].commandLine).toBe(
      `python ${jobMounts}/scripts/pytorch/mnist_trainer.py --epochs 10 --world-size 2 --dist-backend gloo --dist-url tcp://10.0.0.4:29500 --rank 1`,
    );
  });

  test('more processes than nodes give local ranks; the MPI backend uses mpirun', () => {
    const settings = { pythonScriptFilePath: 't.py', processCount: 3 };
    const p = plan({ nodeCount: 2, stdOutErrPathPrefix: '/l', pyTorchSettings: settings });
    expect(processes(p).map((x) => [x.node, x.environment.RANK, x.environment.LOCAL_RANK])).toEqual([
      [0, '0', '0'],
      [0, '1', '1'],
      [1, '2', '0'],
    ]);
    const mpi = plan({
      nodeCount: 2,
      stdOutErrPathPrefix: '/l',
      pyTorchSettings: { ...settings, communicationBackend: 'MPI' },
    });
    expect(mpi.nodes[0].processes[0].commandLine).toMatch(/^mpirun .* -np 3 /);
  });
});

describe('TensorFlow', () => {
  test('single node: one worker on the master writing stdout-wk-0.txt, no TF_CONFIG', () => {
    const p = plan(fixture('tensorflow-gpu'));
    expect(processes(p).map((x) => [x.name, x.stdoutFile, x.commandLine])).toEqual([
      ['wk-0', 'stdout-wk-0.txt', `python ${jobMounts}/scripts/tensorflow/convolutional.py`],
    ]);
    expect(p.nodes[0].processes[0].environment.TF_CONFIG).toBeUndefined();
  });

  test('distributed: ps and workers placed round-robin with Batch AI host lists, TF_CONFIG and task index', () => {
    const p = plan(fixture('tensorflow-gpu-distributed'));
    const all = processes(p);
    expect(all.map((x) => [x.node, x.name, x.stdoutFile])).toEqual([
      [0, 'ps-0', 'stdout-ps-0.txt'],
      [0, 'wk-0', 'stdout-wk-0.txt'],
      [1, 'wk-1', 'stdout-wk-1.txt'],
    ]);
    // As in the Batch AI documentation's example: ps 10.0.0.4:2222, workers 10.0.0.4:2223,10.0.0.5:2222.
    const worker1 = all[2];
    expect(worker1.environment).toMatchObject({
      AZ_BATCHAI_PS_HOSTS: '10.0.0.4:2222',
      AZ_BATCHAI_WORKER_HOSTS: '10.0.0.4:2223,10.0.0.5:2222',
      AZ_BATCHAI_TASK_INDEX: '1',
    });
    expect(JSON.parse(all[1].environment.TF_CONFIG)).toEqual({
      cluster: { ps: ['10.0.0.4:2222'], worker: ['10.0.0.4:2223', '10.0.0.5:2222'] },
      task: { type: 'master', index: 0 },
      environment: 'cloud',
    });
    expect(JSON.parse(worker1.environment.TF_CONFIG).task).toEqual({ type: 'worker', index: 1 });
    expect(all[0].commandLine).toContain(
      '--job_name=ps --num_gpus=0 --ps_hosts=10.0.0.4:2222 --worker_hosts=10.0.0.4:2223,10.0.0.5:2222 --task_index=0',
    );
    expect(worker1.commandLine).toContain(`--task_index=1 --data_dir=$AZ_BATCHAI_INPUT_DATASET`);
    expect(worker1.commandLine).toContain(`--checkpoint_dir=${jobMounts}/logs/${segment}/outputs/Models`);
  });

  test('local nodes sharing one address get distinct ports', () => {
    const local = nodes(2).map((n) => ({ ...n, address: '127.0.0.1' }));
    const p = plan(fixture('tensorflow-gpu-distributed'), {
      nodes: local,
      ports: { tensorFlowBasePort: 40000 },
    });
    expect(p.nodes[0].processes[0].environment.AZ_BATCHAI_WORKER_HOSTS).toBe(
      '127.0.0.1:40001,127.0.0.1:40002',
    );
  });

  test('workerCount beyond nodeCount x GPUs and parameterServerCount beyond nodeCount are errors naming the field', () => {
    const base = fixture('tensorflow-gpu-distributed');
    const tf = base.tensorFlowSettings as JsonObject;
    expect(() => plan({ ...base, tensorFlowSettings: { ...tf, workerCount: 3 } })).toThrow(
      "'properties.tensorFlowSettings.workerCount' (3) must not exceed nodeCount x GPUs per node (2 x 1)",
    );
    expect(() =>
      plan({ ...base, tensorFlowSettings: { ...tf, workerCount: 4 } }, { nodes: nodes(2, 2) }),
    ).not.toThrow();
    expect(() => plan({ ...base, tensorFlowSettings: { ...tf, parameterServerCount: 3 } })).toThrow(
      "'properties.tensorFlowSettings.parameterServerCount'",
    );
  });
});

describe('Caffe2', () => {
  test('one process per node with the node index as task index (shard id)', () => {
    const p = plan(fixture('caffe2-gpu-distributed'));
    const all = processes(p);
    expect(all.map((x) => [x.node, x.taskIndex, x.stderrFile])).toEqual([
      [0, 0, 'stderr-0.txt'],
      [1, 1, 'stderr-1.txt'],
    ]);
    expect(all[1].commandLine).toContain(`--shard_id 1 --run_id 0`);
    expect(all[1].commandLine).toContain(`--file_store_path ${root}/jobs/u-1/shared`);
  });
});

test('a launch plan is plain JSON and deterministic', () => {
  const p = plan(fixture('tensorflow-gpu-distributed'));
  expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  expect(plan(fixture('tensorflow-gpu-distributed'))).toEqual(p);
});
