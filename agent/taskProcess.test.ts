// The docker side of a task, checked without an engine (none exists on the test machine): the `docker run` argv
// (variables by name only, so no value is ever in argv; mounts at their own paths; GPUs; shared memory) and the
// Docker client configuration a private registry's sign-in is written to (only the docker CLI reads it).
import { containerSignalCommands, dockerConfigJson, dockerRunArguments } from './taskProcess';

const sink = { write: () => undefined, close: async () => undefined };

test('docker run passes variables by name only, bind-mounts at the same paths, asks for GPUs and shared memory', () => {
  const args = dockerRunArguments({
    commandLine: 'python train.py',
    cwd: '/work/tasks/t1',
    env: { TOKEN: 'hunter2', EPOCHS: '3' },
    stdout: sink,
    stderr: sink,
    container: {
      image: 'team.azurecr.io/trainer:1',
      name: 'batchai-t1',
      mounts: ['/mnt/mounts', '/mnt/jobs/u/mounts/afs'],
      useGpus: true,
      shmSize: '8g',
      configDir: '/work/secrets/docker/t1',
      registry: { server: 'team.azurecr.io', username: 'puller', sealedPassword: 'aesgcm1:x:y:z' },
    },
  });
  expect(args).toEqual([
    'run',
    '--rm',
    '--name',
    'batchai-t1',
    '--network',
    'host',
    '-w',
    '/work/tasks/t1',
    '-v',
    '/work/tasks/t1:/work/tasks/t1',
    '-v',
    '/mnt/mounts:/mnt/mounts',
    '-v',
    '/mnt/jobs/u/mounts/afs:/mnt/jobs/u/mounts/afs',
    '--gpus',
    'all',
    '--shm-size',
    '8g',
    '-e',
    'TOKEN',
    '-e',
    'EPOCHS',
    'team.azurecr.io/trainer:1',
    '/bin/sh',
    '-c',
    'python train.py',
  ]);
  expect(args.join(' ')).not.toContain('hunter2');
  expect(args.join(' ')).not.toContain('DOCKER_CONFIG');
});

test('a registry sign-in is keyed as docker login keys it: the host, or Docker Hub its own way', () => {
  const auth = Buffer.from('puller:s3cret', 'utf8').toString('base64');
  expect(JSON.parse(dockerConfigJson('team.azurecr.io', 'puller', 's3cret'))).toEqual({
    auths: { 'team.azurecr.io': { auth } },
  });
  expect(JSON.parse(dockerConfigJson('https://team.azurecr.io/', 'puller', 's3cret'))).toEqual({
    auths: { 'team.azurecr.io': { auth } },
  });
  for (const hub of ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io']) {
    expect(JSON.parse(dockerConfigJson(hub, 'puller', 's3cret'))).toEqual({
      auths: { 'https://index.docker.io/v1/': { auth } },
    });
  }
});

test("a job preparation's container is kept after it exits, for the node to commit what it installed", () => {
  const args = dockerRunArguments({
    commandLine: 'pip install horovod',
    cwd: '/work/tasks/t0',
    env: {},
    stdout: sink,
    stderr: sink,
    container: { image: 'tensorflow/tensorflow:1.8.0-gpu', name: 'batchai-t0', mounts: [], prepared: 'keep' },
  });
  expect(args.slice(0, 3)).toEqual(['run', '--name', 'batchai-t0']);
  expect(args).not.toContain('--rm');
});

/** A training script in a container: the options the container tests vary. */
const pytorchTask = {
  commandLine: 'python train.py',
  cwd: '/work/tasks/t0',
  env: {},
  stdout: sink,
  stderr: sink,
  container: { image: 'pytorch/pytorch', name: 'batchai-t0', mounts: [] },
};

test("a fenced node's containers run in the jobs' slice, away from the Instance Metadata Service", () => {
  const options = pytorchTask;
  const fenced = dockerRunArguments({ ...options, fenced: true });
  expect(fenced[fenced.indexOf('--cgroup-parent') + 1]).toBe('batchai-jobs.slice');
  expect(dockerRunArguments(options)).not.toContain('--cgroup-parent');
});

test("a VM node's container gets the attempt's label and the cluster's key and launcher, read-only", () => {
  const args = dockerRunArguments({
    commandLine: 'mpirun -np 4 python train.py',
    cwd: '/work/tasks/t2',
    env: {},
    stdout: sink,
    stderr: sink,
    container: {
      image: 'horovod/horovod',
      name: 'batchai-t2',
      mounts: [],
      labels: { 'batchai.attempt': 'a1b2' },
      sshDir: '/work/state/container-ssh',
    },
  });
  const image = args.indexOf('horovod/horovod');
  expect(args.slice(0, image)).toEqual(
    expect.arrayContaining([
      '--label',
      'batchai.attempt=a1b2',
      '-v',
      '/work/state/container-ssh:/batchai/ssh:ro',
    ]),
  );
});

test("a container's every process gets a stop signal, as a host task's process group does; SIGKILL ends it", () => {
  expect(containerSignalCommands('batchai-t3', 'SIGTERM')).toEqual([
    ['kill', '--signal=SIGTERM', 'batchai-t3'],
    ['exec', 'batchai-t3', 'sh', '-c', 'kill -TERM -1'],
  ]);
  expect(containerSignalCommands('batchai-t3', 'SIGKILL')).toEqual([
    ['kill', '--signal=SIGKILL', 'batchai-t3'],
  ]);
});

test("a container on a node shared by jobs sees only its job's GPUs; otherwise all of them", () => {
  const options = { ...pytorchTask, container: { ...pytorchTask.container, useGpus: true } };
  const shared = dockerRunArguments({ ...options, container: { ...options.container, gpuDevices: [2, 3] } });
  // One CSV field for docker: the quotes keep the comma inside it.
  expect(shared[shared.indexOf('--gpus') + 1]).toBe('"device=2,3"');
  const whole = dockerRunArguments(options);
  expect(whole[whole.indexOf('--gpus') + 1]).toBe('all');
  const cpu = dockerRunArguments({ ...options, container: { ...options.container, useGpus: false } });
  expect(cpu).not.toContain('--gpus');
});
