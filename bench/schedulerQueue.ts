// Benchmark: what a scheduling pass reads from a cluster's queue as the queue grows. A pass reads the jobs holding
// nodes and the head of the queue (SCHEDULER_QUEUE_LOOKAHEAD + the cluster's node count, here 100 + 4: a
// housekeeping pass, or one whose first few waiting jobs leave nodes free; others read 8 + the node count), never
// the whole queue. Prints, for each queue depth, the pass's read: wall time, the entries read, and the CPU of the
// client (the host's side) and of the Cosmos emulator. Figures only, no assertions.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CosmosResourceStore } from '../shared/adapters/cosmos/cosmosResourceStore';
import { armIdOf, type ResourceRef } from '../shared/domain/resourceId';
import { createCosmosClient } from '../runtime/stack/cosmosClient';
import { startLocalStack } from '../runtime/stack/localStack';

const clusterKey = 'bench/clusters/deep';
const headSize = 104;
const passes = 20;

/** CPU (user + system) a process has used, in ms, from /proc. */
function processCpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms (USER_HZ 100)
}

async function fillQueue(store: CosmosResourceStore, from: number, to: number): Promise<void> {
  const start = Date.now();
  for (let i = from; i < to; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, to - i) }, (_, j) => {
        const n = i + j;
        const ref: ResourceRef = {
          kind: 'job',
          subscriptionId: 'bench',
          resourceGroup: 'rg',
          workspace: 'ws',
          experiment: `e${n % 4}`,
          name: `job-${n}`,
        };
        return store.create({
          kind: 'job',
          ref,
          armId: armIdOf(ref),
          location: 'local',
          spec: {
            nodeCount: 1,
            constraints: { maxWallClockTime: 'P7D' },
            customToolkitSettings: { commandLine: 'true' },
          },
          status: { creationTime: new Date(start + n).toISOString(), executionState: 'queued' },
          encryptedSecrets: {},
          job: {
            uuid: `uuid-${n}`,
            clusterId: clusterKey,
            clusterKey,
            priority: n % 10 === 0 ? 'high' : 'normal',
            nodeCount: 1,
            executionState: 'queued',
            attempts: [],
          },
        });
      }),
    );
  }
}

export async function run(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scheduler-queue-'));
  const stack = await startLocalStack({ dataDir });
  try {
    const store = new CosmosResourceStore(
      createCosmosClient(stack.cosmosEndpoint, stack.cosmosKey),
      stack.appSettings().COSMOS_DATABASE,
    );
    const cosmosPid = stack.pids().cosmos;
    let queued = 0;
    for (const depth of [100, 1_000, 5_000]) {
      await fillQueue(store, queued, depth);
      queued = depth;
      const read = async (): Promise<number> => {
        const [holding, head] = await Promise.all([
          store.listActiveJobs(clusterKey),
          store.listQueueHead(clusterKey, headSize),
        ]);
        return holding.length + head.length;
      };
      await read(); // warm
      const cosmosBefore = processCpuMs(cosmosPid);
      const clientBefore = process.cpuUsage();
      const started = Date.now();
      let entries = 0;
      for (let i = 0; i < passes; i++) entries = await read();
      const wall = (Date.now() - started) / passes;
      const client = process.cpuUsage(clientBefore);
      const clientMs = (client.user + client.system) / 1000 / passes;
      const cosmosMs = (processCpuMs(cosmosPid) - cosmosBefore) / passes;
      process.stdout.write(
        `scheduling pass read, ${depth} jobs queued: ${entries} entries, ${wall.toFixed(1)} ms, ` +
          `CPU client ${clientMs.toFixed(1)} ms, Cosmos emulator ${cosmosMs.toFixed(1)} ms\n`,
      );
    }
    process.stdout.write(
      '  (the emulator has no index: it scans every job document per query; Azure Cosmos DB serves the ORDER BY\n' +
        '  and TOP from its index)\n',
    );
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
