// End to end: a 3-node PyTorch-style job is gang-scheduled on three local nodes; every rank runs with its RANK,
// WORLD_SIZE, master address and the host list, and writes its own stdout-<rank>.txt; a custom MPI job runs
// mpirun over two nodes (when Open MPI is installed); the other nodes of a job that runs its command on the master
// only are held for it until the command ended. Needs `npx tsc` first.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { listNodeDirs } from '../../shared/adapters/compute/localNodeRegistry';
import { experiment, startJobTestBed, type JobTestBed, jobEnded } from './support/jobTestBed';

let bed: JobTestBed;

beforeAll(async () => {
  bed = await startJobTestBed();
  await bed.createCluster('trio', 3);
}, 120_000);

afterAll(async () => {
  await bed?.stop();
});

test('a 3-node PyTorch job runs ranks 0..2 on three nodes with the host list', async () => {
  const script = path.join(bed.dataDir, 'train.py');
  fs.writeFileSync(
    script,
    [
      'import os, sys',
      'e = os.environ',
      "print('rank=%s world=%s local=%s task=%s master=%s hosts=%s node=%s args=%s' % (e['RANK'], e['WORLD_SIZE'],",
      "      e['LOCAL_RANK'], e['AZ_BATCHAI_TASK_INDEX'], e['MASTER_ADDR'], e['AZ_BATCH_HOST_LIST'],",
      "      e['AZ_BATCHAI_NODE_ID'], ' '.join(sys.argv[1:])))",
    ].join('\n'),
  );
  await bed.putJob('ddp', {
    cluster: { id: bed.clusterId('trio') },
    nodeCount: 3,
    stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
    pyTorchSettings: {
      pythonScriptFilePath: script,
      pythonInterpreterPath: 'python3',
      commandLineArgs: '--epochs 1',
      processCount: 3,
    },
  });
  const done = await bed.waitForJob('ddp', 'ended', jobEnded);
  expect(done.executionState).toBe('succeeded');
  const listing = await bed.api.send(
    'POST',
    bed.api.url(`${experiment}/jobs/ddp/listOutputFiles`, { outputdirectoryid: 'stdouterr' }),
  );
  const files = listing.body.value as { name: string; downloadUrl: string }[];
  expect(files.map((f) => f.name).sort()).toEqual([
    'stderr-0.txt',
    'stderr-1.txt',
    'stderr-2.txt',
    'stdout-0.txt',
    'stdout-1.txt',
    'stdout-2.txt',
  ]);
  const nodes = new Set<string>();
  for (const rank of [0, 1, 2]) {
    const file = files.find((f) => f.name === `stdout-${rank}.txt`)!;
    const line = (await (await fetch(file.downloadUrl)).text()).trim();
    expect(line).toMatch(
      new RegExp(
        `^rank=${rank} world=3 local=0 task=${rank} master=127\\.0\\.0\\.1 hosts=127\\.0\\.0\\.1,127\\.0\\.0\\.1,127\\.0\\.0\\.1 node=node-\\S+ args=--epochs 1$`,
      ),
    );
    nodes.add(/node=(\S+)/.exec(line)![1]);
  }
  expect(nodes.size).toBe(3);
}, 180_000);

test("a job's other nodes are held for it by a host task, stopped once its command ended", async () => {
  await bed.putJob('held', {
    cluster: { id: bed.clusterId('trio') },
    nodeCount: 2,
    stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
    // The command runs on the master only (Batch AI's custom toolkit); the other node is the job's all the same.
    customToolkitSettings: {
      commandLine: 'sleep 0.5; echo "master on $AZ_BATCHAI_NODE_ID"',
    },
  });
  const done = await bed.waitForJob('held', 'ended', jobEnded);
  expect(done.executionState).toBe('succeeded');
  const [master, other] = (done.attempts as { nodeIds: string[] }[])[0].nodeIds;
  const listing = await bed.api.send(
    'POST',
    bed.api.url(`${experiment}/jobs/held/listOutputFiles`, { outputdirectoryid: 'stdouterr' }),
  );
  const names = (listing.body.value as { name: string }[]).map((f) => f.name);
  expect(names).toEqual(
    expect.arrayContaining(['stdout.txt', 'stdout-job_node-1.txt', 'stderr-job_node-1.txt']),
  );
  // The other node ran the job's host task from the master's launch to its end, stopped by SIGTERM: exit code 0.
  const otherDir = listNodeDirs(bed.dataDir).find((dir) => path.basename(dir) === other)!;
  const log = fs.readFileSync(path.join(otherDir, 'agent.log'), 'utf8');
  expect(log).toMatch(/task \S+-1-job_node-1 started/);
  expect(log).toMatch(/task \S+-1-job_node-1 ended: exit code 0/);
  const masterDir = listNodeDirs(bed.dataDir).find((dir) => path.basename(dir) === master)!;
  expect(fs.readFileSync(path.join(masterDir, 'agent.log'), 'utf8')).not.toContain('job_node');
}, 120_000);

test('a TensorFlow job ends when its workers are done: its parameter server, serving for ever, is stopped', async () => {
  // Batch AI's distributed TensorFlow recipes end their parameter servers with server.join(), which never returns.
  const script = path.join(bed.dataDir, 'mnist_replica.py');
  fs.writeFileSync(
    script,
    [
      'import sys, time',
      "if '--job_name=ps' in sys.argv:",
      '    time.sleep(100000)',
      "print('worker done', flush=True)",
    ].join('\n'),
  );
  await bed.putJob('tfps', {
    cluster: { id: bed.clusterId('trio') },
    nodeCount: 2,
    stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
    // Before, the job ran until its wall clock and failed.
    constraints: { maxWallClockTime: 'PT90S' },
    tensorFlowSettings: {
      pythonScriptFilePath: script,
      pythonInterpreterPath: 'python3',
      parameterServerCount: 1,
      workerCount: 2,
      masterCommandLineArgs: '--job_name=worker --task_index=$AZ_BATCHAI_TASK_INDEX',
      workerCommandLineArgs: '--job_name=worker --task_index=$AZ_BATCHAI_TASK_INDEX',
      parameterServerCommandLineArgs: '--job_name=ps --task_index=$AZ_BATCHAI_TASK_INDEX',
    },
  });
  const done = await bed.waitForJob('tfps', 'ended', jobEnded, 60_000);
  expect({ state: done.executionState, info: done.executionInfo }).toMatchObject({
    state: 'succeeded',
    info: { exitCode: 0 },
  });
}, 120_000);

test('two PyTorch jobs running at once on local nodes (one address) rendezvous on ports of their own', async () => {
  // What torch.distributed's TCP store does on rank 0: listen on MASTER_ADDR:MASTER_PORT. With Batch AI's fixed
  // 29500 the second job failed with "Address already in use".
  const script = path.join(bed.dataDir, 'rendezvous.py');
  fs.writeFileSync(
    script,
    [
      'import os, socket, time',
      "s = socket.socket(); s.bind((os.environ['MASTER_ADDR'], int(os.environ['MASTER_PORT']))); s.listen()",
      "print('listening on', os.environ['MASTER_PORT'], flush=True)",
      'time.sleep(4)',
    ].join('\n'),
  );
  const job = {
    cluster: { id: bed.clusterId('trio') },
    nodeCount: 1,
    stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
    pyTorchSettings: { pythonScriptFilePath: script, pythonInterpreterPath: 'python3' },
  };
  await Promise.all([bed.putJob('rdv1', job), bed.putJob('rdv2', job)]);
  const ended = await Promise.all(['rdv1', 'rdv2'].map((name) => bed.waitForJob(name, 'ended', jobEnded)));
  expect(ended.map((done) => [done.executionState, done.executionInfo])).toEqual([
    ['succeeded', expect.objectContaining({ exitCode: 0 })],
    ['succeeded', expect.objectContaining({ exitCode: 0 })],
  ]);
}, 120_000);

// Open MPI is a system package (Debian: openmpi-bin); without it there is nothing to run this against.
const hasMpirun = spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status === 0;

(hasMpirun ? test : test.skip)(
  'a custom MPI job runs mpirun with the host file over two nodes',
  async () => {
    await bed.createCluster('pair', 2);
    await bed.putJob('mpi', {
      cluster: { id: bed.clusterId('pair') },
      nodeCount: 2,
      stdOutErrPathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/logs',
      // No OMPI_ALLOW_RUN_AS_ROOT here: local nodes run as this machine's user, root in CI, and the agent gives
      // tasks run as root Open MPI's consent itself.
      customMpiSettings: {
        commandLine:
          'sh -c \'echo "rank $OMPI_COMM_WORLD_RANK of $OMPI_COMM_WORLD_SIZE hosts $AZ_BATCH_HOST_LIST"\'',
        processCount: 2,
      },
    });
    const done = await bed.waitForJob('mpi', 'ended', jobEnded);
    const listing = await bed.api.send(
      'POST',
      bed.api.url(`${experiment}/jobs/mpi/listOutputFiles`, { outputdirectoryid: 'stdouterr' }),
    );
    const files = listing.body.value as { name: string; downloadUrl: string }[];
    const text = async (name: string): Promise<string> =>
      (await fetch(files.find((f) => f.name === name)!.downloadUrl)).text();
    expect({ state: done.executionState, stderr: await text('stderr.txt') }).toMatchObject({
      state: 'succeeded',
    });
    const lines = (await text('stdout.txt')).trim().split('\n').sort();
    expect(lines).toEqual(['rank 0 of 2 hosts 127.0.0.1,127.0.0.1', 'rank 1 of 2 hosts 127.0.0.1,127.0.0.1']);
  },
  180_000,
);
