// The control plane's record of each node (what its agent reported and what the cluster monitor decided), one
// small document per node, partitioned by cluster. Updates are read-modify-write with the document's ETag.
import type { TaskEndReason } from '../contracts/nodeEvent';
import type { NodeRemoval } from '../contracts/nodeTask';

export type NodeState = 'preparing' | 'idle' | 'running' | 'unusable' | 'leaving';

export interface NodeRecord {
  nodeId: string;
  clusterKey: string;
  state: NodeState;
  createdTime: string;
  vmSize?: string;
  cpuCount?: number;
  gpuCount?: number;
  remoteLogin?: { ipAddress: string; port: number };
  /** The node agent's release, from its registration: what its task messages may carry. */
  agentVersion?: string;
  registeredTime?: string;
  lastHeartbeatTime?: string;
  setup?: { succeeded: boolean; exitCode?: number; message?: string };
  runningTaskIds: string[];
  /** Job ids of the running tasks (for remote logins of a job). */
  runningJobIds: string[];
  idleSince?: string;
  unusableReason?: string;
  leaving?: {
    since: string;
    reason: string;
    deallocation?: 'requeue' | 'terminate' | 'waitforjobcompletion';
  };
  /**
   * The job attempt (`<job GUID>/<attempt>`) whose last task on this node exited by itself: the node's part in it
   * is over, and the scheduler may grant the node again before the attempt is recorded as ended.
   */
  releasedBy?: { attempt: string; time: string };
  /**
   * The attempts handed back before `releasedBy`, oldest first, at most `earlierReleasesKept`: on a node with several
   * job slots each slot's job hands its slot back, and the next one's must not take that back. An attempt that fell
   * off holds its slot until its end is recorded.
   */
  earlierReleases?: string[];
  /**
   * Tasks a heartbeat stopped listing before their exit was applied (task id -> that heartbeat's time): normally an
   * exit still on its way; one that stays here means the node lost the task without an exit (its agent started
   * again without its task journal), and the task's job checks it (checkJobNodes).
   */
  vanishedTasks?: Record<string, string>;
  /**
   * Tasks whose exit was applied (task id -> the exit's time), the newest few: a `taskStarted` applied after its
   * task's exit (events are handled concurrently, in any order) must not make the node run a task that ended.
   */
  exitedTasks?: Record<string, string>;
  /**
   * The newest tasks' exits as reported (task id -> exit), so a job whose lifecycle lost the exit's event (delivered
   * as it continued as new) still learns it from its node check.
   */
  taskExits?: Record<string, NodeTaskExit>;
  /** The VM this record is of (its registration's `vmId`): events of another VM with this node id are not its. */
  vmId?: string;
}

/** A task's exit as its node reported it (the taskExited event's fields). */
export interface NodeTaskExit {
  exitCode?: number;
  signal?: string;
  reason?: TaskEndReason;
  message?: string;
  nodeRemoval?: NodeRemoval;
  time: string;
}

/**
 * What a scheduling pass reads of a node: its record without the history of its recent tasks (exits, vanished
 * tasks), which is most of a record's size and which no pass reads: a pass lists every node of its cluster.
 */
export type SchedulingNode = Omit<NodeRecord, 'taskExits' | 'exitedTasks' | 'vanishedTasks'>;

export interface NodeStore {
  list(clusterKey: string): Promise<NodeRecord[]>;
  /** The cluster's nodes as a scheduling pass needs them (`SchedulingNode`): the same list, fewer bytes. */
  listForScheduling(clusterKey: string): Promise<SchedulingNode[]>;
  get(clusterKey: string, nodeId: string): Promise<NodeRecord | undefined>;
  /**
   * Read-modify-write with the ETag: `mutate` gets the current record (or undefined) and returns the new one, or
   * undefined to leave it unchanged. Retried on a concurrent change. Returns the stored record.
   */
  update(
    clusterKey: string,
    nodeId: string,
    mutate: (current: NodeRecord | undefined) => NodeRecord | undefined,
  ): Promise<NodeRecord | undefined>;
  delete(clusterKey: string, nodeId: string): Promise<void>;
}
