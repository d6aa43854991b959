// The local compute adapter: each node is a node-agent process (detached, its own process group) with its own
// directory <dataDir>/nodes/<clusterTag>/<nodeId>. The registry on disk lets a restarted host find its nodes.
import { spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { agentConfigSchema, agentConfigVersion, type AgentConfig } from '../../contracts/agentConfig';
import { ConfigurationError } from '../../config/appConfig';
import { cpuProfileArgs } from '../../config/cpuProfile';
import { clusterTag } from '../../contracts/nodeQueueNames';
import { agentTelemetrySettings } from '../../telemetry/agentTelemetrySettings';
import {
  ComputePoolError,
  type ComputePool,
  type NodeAccess,
  type PoolDefinition,
  type PoolNode,
} from '../../ports/computePool';
import {
  isNodeProcessAlive,
  nodesRoot,
  readNodeFile,
  stopNodeProcess,
  type LocalNodeFile,
  localClusterFileSystem,
  localStorageRoot,
} from './localNodeRegistry';

export interface LocalComputePoolOptions {
  dataDir: string;
  /** Storage the agents use (the Azurite connection string). */
  storageConnectionString: string;
  /** IMDS fake the agents poll for scheduled events (optional locally). */
  metadataServiceUrl?: string;
  /** The compiled agent entry; default dist/agent/main.js next to this module's build. */
  agentMain?: string;
  /** How long a removed node's agent gets to stop its tasks before SIGKILL. Default 5 s. */
  stopGraceMs?: number;
  /** Most nodes (agent processes) of all clusters on this machine; default COMPUTE_LOCAL_MAX_NODES or 32. */
  maxNodes?: number;
}

export const defaultLocalMaxNodes = 32;

/** How often a local node's agent polls its task queue unwoken (see startNode). */
const localTaskPollIntervalMs = 5_000;

/** COMPUTE_LOCAL_MAX_NODES: the most node-agent processes the local pool runs on this machine (default 32). */
export function localMaxNodes(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.COMPUTE_LOCAL_MAX_NODES?.trim();
  if (!raw) return defaultLocalMaxNodes;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(
      'COMPUTE_LOCAL_MAX_NODES',
      `must be a whole number of at least 1; it is '${raw}'.`,
    );
  }
  return value;
}

interface PoolFile {
  clusterKey: string;
  definition: PoolDefinition;
}

export class LocalComputePool implements ComputePool {
  readonly kind = 'local';
  private readonly agentMain: string;
  private readonly maxNodes: number;

  constructor(private readonly options: LocalComputePoolOptions) {
    this.agentMain = options.agentMain ?? path.resolve(__dirname, '..', '..', '..', 'agent', 'main.js');
    this.maxNodes = options.maxNodes ?? localMaxNodes(process.env);
  }

  /** Nodes of the other clusters on this machine (their node directories, dead or alive, until deleted). */
  private otherClustersNodeCount(clusterKey: string): number {
    const root = nodesRoot(this.options.dataDir);
    if (!fs.existsSync(root)) return 0;
    const own = clusterTag(clusterKey);
    let count = 0;
    for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === own) continue;
      const dir = path.join(root, entry.name);
      count += fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, 'node.json'))).length;
    }
    return count;
  }

  private clusterDir(clusterKey: string): string {
    return path.join(nodesRoot(this.options.dataDir), clusterTag(clusterKey));
  }

  private readPool(clusterKey: string): PoolFile | undefined {
    try {
      return JSON.parse(
        fs.readFileSync(path.join(this.clusterDir(clusterKey), 'pool.json'), 'utf8'),
      ) as PoolFile;
    } catch {
      return undefined;
    }
  }

  private nodeFiles(clusterKey: string): LocalNodeFile[] {
    const dir = this.clusterDir(clusterKey);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => readNodeFile(path.join(dir, e.name)))
      .filter((n): n is LocalNodeFile => n !== undefined)
      .sort((a, b) => a.createdTime.localeCompare(b.createdTime));
  }

  async ensurePool(definition: PoolDefinition): Promise<void> {
    const dir = this.clusterDir(definition.clusterKey);
    fs.mkdirSync(dir, { recursive: true });
    // Local nodes have no SSH: the admin password has no use here, and pool.json must never hold it.
    const { adminPassword: _unused, ...kept } = definition;
    const file: PoolFile = { clusterKey: definition.clusterKey, definition: kept };
    fs.writeFileSync(path.join(dir, 'pool.json.tmp'), JSON.stringify(file, null, 2));
    fs.renameSync(path.join(dir, 'pool.json.tmp'), path.join(dir, 'pool.json'));
  }

  async resize(clusterKey: string, targetCount: number, access?: NodeAccess): Promise<void> {
    const pool = this.readPool(clusterKey);
    if (!pool) throw new Error(`No local pool for cluster ${clusterKey}: ensurePool first.`);
    const nodes = this.nodeFiles(clusterKey);
    if (nodes.length < targetCount) {
      // One machine runs every local node: a resize past the cap is refused (recorded on the cluster), not started.
      const others = this.otherClustersNodeCount(clusterKey);
      if (others + targetCount > this.maxNodes) {
        throw new ComputePoolError(
          'LocalNodeLimitExceeded',
          `The local compute pool runs at most ${this.maxNodes} nodes on this machine (COMPUTE_LOCAL_MAX_NODES); ` +
            `${targetCount} nodes for this cluster and ${others} of other clusters would be ${others + targetCount}. ` +
            `Lower the cluster's node count or raise COMPUTE_LOCAL_MAX_NODES.`,
        );
      }
      for (let i = nodes.length; i < targetCount; i++) this.startNode(pool.definition, access);
    } else if (nodes.length > targetCount) {
      // Dead nodes go first, then the newest (the oldest have been set up longest).
      const ordered = [
        ...nodes.filter((n) => !isNodeProcessAlive(n)),
        ...nodes.filter(isNodeProcessAlive).reverse(),
      ];
      await this.deleteNodes(
        clusterKey,
        ordered.slice(0, nodes.length - targetCount).map((n) => n.nodeId),
      );
    }
  }

  private startNode(definition: PoolDefinition, access: NodeAccess | undefined): string {
    const nodeId = `node-${randomUUID().slice(0, 8)}`;
    const nodeDir = path.join(this.clusterDir(definition.clusterKey), nodeId);
    fs.mkdirSync(nodeDir, { recursive: true });
    const config: AgentConfig = {
      schema: agentConfigSchema,
      version: agentConfigVersion,
      mode: 'local',
      nodeId,
      workRoot: nodeDir,
      localMountRoot: localClusterFileSystem(this.options.dataDir, definition.clusterKey).mountRoot,
      localStorageRoot: localStorageRoot(this.options.dataDir),
      storage: { connectionString: this.options.storageConnectionString },
      metadataServiceUrl: this.options.metadataServiceUrl,
      ...definition.agent,
      // Local nodes only poll IMDS when a fake is configured: polling it often costs little and shortens the
      // eviction notice -> requeue path (VMs keep the pool definition's interval).
      scheduledEventsPollIntervalMs: Math.min(definition.agent.scheduledEventsPollIntervalMs, 250),
      // Every message put on a local node's task queue comes with a wake-up (`wakeNodes`, SIGUSR2), so its agent
      // polls the queue itself only as a fallback: every 500 ms, 4 idle local nodes cost a sixth to a quarter of an
      // idle stack's CPU (their receives and Azurite's answers).
      taskPollIntervalMs: Math.max(definition.agent.taskPollIntervalMs, localTaskPollIntervalMs),
      // No contact lease: this pool stops a lost local node's processes itself before its jobs run again (a lease
      // would only stop jobs of a node whose events are slow under the machine's load).
      contactLeaseMs: undefined,
      // The node's own copy of the cluster's node data key: only in this file, readable by its owner only.
      nodeDataKey: access?.nodeDataKey.toString('base64'),
    };
    const configPath = path.join(nodeDir, 'agent.json');
    fs.writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    fs.chmodSync(configPath, 0o600); // the mode applies only when the file is new
    // The agent writes its log lines to agent.log itself (rotated at 10 MB); what the process prints besides (a
    // crash's stack trace, Node's warnings) goes to agent.out.
    const logFd = fs.openSync(path.join(nodeDir, 'agent.out'), 'a');
    try {
      const args = ['--config', configPath, '--log-file', path.join(nodeDir, 'agent.log')];
      const child = spawn(process.execPath, [...cpuProfileArgs(), this.agentMain, ...args], {
        cwd: nodeDir,
        // Only what a process needs: app settings (and their secrets) do not leak into nodes and jobs. The agent's
        // telemetry settings go to the agent (it passes none of them on to its tasks).
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? nodeDir,
          ...agentTelemetrySettings(process.env),
        },
        detached: true, // own process group: survives the host, as a VM survives the control plane
        stdio: ['ignore', logFd, logFd],
      });
      if (child.pid === undefined) throw new Error(`The node agent for ${nodeId} could not be started.`);
      child.unref();
      const file: LocalNodeFile = {
        nodeId,
        pid: child.pid,
        configPath,
        createdTime: new Date().toISOString(),
      };
      fs.writeFileSync(path.join(nodeDir, 'node.json'), JSON.stringify(file));
    } finally {
      fs.closeSync(logFd);
    }
    return nodeId;
  }

  async deleteNodes(clusterKey: string, nodeIds: string[]): Promise<void> {
    const wanted = new Set(nodeIds);
    const nodes = this.nodeFiles(clusterKey).filter((n) => wanted.has(n.nodeId));
    await Promise.all(
      nodes.map(async (node) => {
        await stopNodeProcess(node, this.options.stopGraceMs ?? 5_000);
        fs.rmSync(path.join(this.clusterDir(clusterKey), node.nodeId), { recursive: true, force: true });
      }),
    );
  }

  /** SIGUSR2 to the nodes' agent processes (checked by pid and command line): they poll their task queue now. */
  wakeNodes(clusterKey: string, nodeIds: string[]): void {
    // Only the wanted nodes' files are read (node ids are directory names): this runs at every launch.
    for (const nodeId of new Set(nodeIds)) {
      if (!/^[A-Za-z0-9_-]+$/.test(nodeId)) continue;
      const node = readNodeFile(path.join(this.clusterDir(clusterKey), nodeId));
      if (!node || node.nodeId !== nodeId || !isNodeProcessAlive(node)) continue;
      try {
        process.kill(node.pid, 'SIGUSR2');
      } catch {
        // Gone meanwhile: nothing to wake.
      }
    }
  }

  async listNodes(clusterKey: string): Promise<PoolNode[]> {
    return this.nodeFiles(clusterKey).map((n) => ({
      nodeId: n.nodeId,
      state: isNodeProcessAlive(n) ? 'running' : 'failed',
      createdTime: n.createdTime,
    }));
  }

  async deletePool(clusterKey: string): Promise<void> {
    await this.deleteNodes(
      clusterKey,
      this.nodeFiles(clusterKey).map((n) => n.nodeId),
    );
    fs.rmSync(this.clusterDir(clusterKey), { recursive: true, force: true });
    // What its nodes shared goes with them, as a cluster's VMs and their disks do: a cluster created again under
    // the name (in a workspace created again, say) must not find the old jobs' files. File server exports live
    // elsewhere (their mount points here are links, removed, not followed).
    const shared = localClusterFileSystem(this.options.dataDir, clusterKey);
    fs.rmSync(path.dirname(shared.mountRoot), { recursive: true, force: true });
  }

  /** The node's agent log (local diagnostics; the process's own output is in `agent.out` beside it). */
  agentLogPath(clusterKey: string, nodeId: string): string {
    return path.join(this.clusterDir(clusterKey), nodeId, 'agent.log');
  }
}
