// Where local nodes live on disk: <dataDir>/nodes/<clusterTag>/pool.json and <clusterTag>/<nodeId>/node.json
// (pid, config). Processes are checked by pid AND command line, so a reused pid is never mistaken for a node.
import * as fs from 'fs';
import * as path from 'path';
import { clusterTag } from '../../contracts/nodeQueueNames';
import { nodeTaskGroups } from './nodeTaskProcesses';

export interface LocalNodeFile {
  nodeId: string;
  pid: number;
  configPath: string;
  createdTime: string;
}

export function nodesRoot(dataDir: string): string {
  return path.join(dataDir, 'nodes');
}

/**
 * What a local cluster's nodes share, as a cluster's VMs share their mounted volumes: `<dataDir>/jobfs/<clusterTag>`,
 * with `mounts/` ($AZ_BATCHAI_MOUNT_ROOT) and `jobs/` (job temp directories).
 */
export function localClusterFileSystem(
  dataDir: string,
  clusterKey: string,
): { mountRoot: string; jobTempRoot: string } {
  const root = path.join(dataDir, 'jobfs', clusterTag(clusterKey));
  return { mountRoot: path.join(root, 'mounts'), jobTempRoot: path.join(root, 'jobs') };
}

/**
 * What stands for Azure Storage on local nodes: `<dataDir>/storage`, with `files/<account>/<share>` for each Azure
 * file share and `blobs/<account>/<container>` for each blob container a cluster or job mounts: put the files a
 * Batch AI recipe reads from its share there.
 */
export function localStorageRoot(dataDir: string): string {
  return path.join(dataDir, 'storage');
}

export function readNodeFile(nodeDir: string): LocalNodeFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(nodeDir, 'node.json'), 'utf8')) as LocalNodeFile;
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and is the agent started with `configPath`. */
export function isNodeProcessAlive(node: LocalNodeFile): boolean {
  try {
    process.kill(node.pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = fs.readFileSync(`/proc/${node.pid}/cmdline`, 'utf8');
    if (!cmdline.includes(node.configPath)) return false;
    const stat = fs.readFileSync(`/proc/${node.pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat); // a zombie is dead
  } catch {
    return process.platform !== 'linux'; // no /proc: trust kill(0)
  }
}

/**
 * Stops a node as its VM would stop: its agent (SIGTERM, which ends the running tasks first; SIGKILL after
 * `graceMs`), then whatever still runs for the node (a task whose agent died before it could end it: tasks lead
 * their own process groups). Resolves when they are gone.
 */
export async function stopNodeProcess(node: LocalNodeFile, graceMs: number): Promise<void> {
  if (isNodeProcessAlive(node)) {
    const signal = (s: NodeJS.Signals): void => {
      try {
        process.kill(-node.pid, s); // the agent leads its own process group (detached), with its task launcher
      } catch {
        try {
          process.kill(node.pid, s);
        } catch {
          // already gone
        }
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isNodeProcessAlive(node) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (isNodeProcessAlive(node)) signal('SIGKILL');
    while (isNodeProcessAlive(node)) await new Promise((r) => setTimeout(r, 20));
  }
  await killNodeTasks(node.nodeId);
}

/** SIGKILL to what still runs for a stopped node (its VM is gone); waits until it is gone (at most 5 s). */
async function killNodeTasks(nodeId: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (let groups = nodeTaskGroups(nodeId); groups.length > 0; groups = nodeTaskGroups(nodeId)) {
    for (const group of groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function listNodeDirs(dataDir: string): string[] {
  const root = nodesRoot(dataDir);
  if (!fs.existsSync(root)) return [];
  const dirs: string[] = [];
  for (const cluster of fs.readdirSync(root, { withFileTypes: true })) {
    if (!cluster.isDirectory()) continue;
    for (const node of fs.readdirSync(path.join(root, cluster.name), { withFileTypes: true })) {
      if (node.isDirectory()) dirs.push(path.join(root, cluster.name, node.name));
    }
  }
  return dirs;
}

/**
 * Stops every local node process of a data directory (for `npm start`'s supervisor on shutdown), and what still
 * runs for nodes whose agent died. Nodes are detached so they survive a host crash; this is the deliberate stop.
 * Their directories stay (the next start finds them dead and the cluster monitor replaces them). Returns how many
 * agents were running.
 */
export async function stopAllLocalNodes(dataDir: string, graceMs = 5_000): Promise<number> {
  const nodes = listNodeDirs(dataDir)
    .map(readNodeFile)
    .filter((n): n is LocalNodeFile => n !== undefined);
  const running = nodes.filter(isNodeProcessAlive).length;
  await Promise.all(nodes.map((n) => stopNodeProcess(n, graceMs)));
  return running;
}
