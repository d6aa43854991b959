// Where local nodes live on disk: <dataDir>/nodes/<clusterTag>/pool.json and <clusterTag>/<nodeId>/node.json
// (pid, config). Processes are checked by pid AND command line, so a reused pid is never mistaken for a node.
import * as fs from 'fs';
import * as path from 'path';

export interface LocalNodeFile {
  nodeId: string;
  pid: number;
  configPath: string;
  createdTime: string;
}

export function nodesRoot(dataDir: string): string {
  return path.join(dataDir, 'nodes');
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

/** Stops a node's process group: SIGTERM, then SIGKILL after `graceMs`. Resolves when it is gone. */
export async function stopNodeProcess(node: LocalNodeFile, graceMs: number): Promise<void> {
  if (!isNodeProcessAlive(node)) return;
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(-node.pid, s); // the agent leads its own process group (detached): tasks go too
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
 * Stops every local node process of a data directory (for `npm start`'s supervisor on shutdown). Nodes are
 * detached so they survive a host crash; this is the deliberate stop. Their directories stay (the next start finds
 * them dead and the cluster monitor replaces them).
 */
export async function stopAllLocalNodes(dataDir: string, graceMs = 5_000): Promise<number> {
  const nodes = listNodeDirs(dataDir)
    .map(readNodeFile)
    .filter((n): n is LocalNodeFile => n !== undefined && isNodeProcessAlive(n));
  await Promise.all(nodes.map((n) => stopNodeProcess(n, graceMs)));
  return nodes.length;
}
