// The node agent: registers the node, heartbeats, runs the cluster's node setup task once per node, mounts
// volumes, takes run/kill messages from the node's task queue, streams task output to append blobs, reports exits,
// and forwards eviction notices (Scheduled Events) to running tasks as SIGTERM. Same program on VMs and local nodes.
// Secrets arrive sealed with the cluster's node data key: opened in memory into a process's environment, never
// written to a log, a blob or a file (except a mount's credentials file, only while the mount command runs).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { QueueClient } from '@azure/storage-queue';
import type { AgentConfig } from '../shared/contracts/agentConfig';
import { ContractError } from '../shared/contracts/contractError';
import {
  heartbeatExitsMax,
  heartbeatExitsMs,
  nodeEventSchema,
  nodeEventVersion,
  tasksExitedMax,
  tasksExitedVersion,
  type HeartbeatExit,
  type NodeEvent,
  type NodeEventBody,
  type NodeSetupOutcome,
  type TaskEndReason,
  type TasksExitedBody,
} from '../shared/contracts/nodeEvent';
import { ExitBatcher } from './exitBatcher';
import { clusterTag, nodeTaskQueueName } from '../shared/contracts/nodeQueueNames';
import {
  parseNodeTaskMessage,
  refusedRunTaskOf,
  type BlobPath,
  type NodeRemoval,
  type NodeTaskMessage,
  type RunTaskMessage,
  type TaskRegistry,
} from '../shared/contracts/nodeTask';
import { decodeQueueMessage, encodeQueueMessage } from '../shared/contracts/wireEncoding';
import {
  openValues,
  performanceCountersSealContext,
  registrySealContext,
  setupSealContext,
  taskSealContext,
} from '../shared/crypto/nodeSecretSealing';
import { createAgentStorage, type AgentStorage } from './agentStorage';
import { AppendBlobLog } from './appendBlobLog';
import {
  MetadataServiceClient,
  type ScheduledEvent,
} from '../shared/adapters/identity/metadataServiceClient';
import { ImdsTokenCredential } from '../shared/adapters/identity/imdsTokenCredential';
import { loadNodeDataKey } from './nodeDataKeyLoader';
import {
  attemptLabel,
  attemptLabelName,
  clusterSshEnvironment,
  deriveClusterSshKey,
  installClusterSshKey,
  installContainerSsh,
} from './clusterSsh';
import { PreparedImages, preparedImageName, runDocker } from './preparedImages';
import { detectGpuCount } from './gpuCount';
import { GpuShares } from './gpuShares';
import { ScheduledEventsWatcher } from './scheduledEventsWatcher';
import { prepareOnHost, preparationShell } from './taskPreparation';
import { JobMounts } from './jobMounts';
import { wipeJobTemps } from './jobTempCleanup';
import { expandVariables } from '../shared/domain/jobLayout/variableExpansion';
import { PerformanceCounterReporter } from './performanceCounters';
import { inJobsSlice, raiseJobProcessFence } from './jobProcessFence';
import { leaseExpiredReason, TaskLauncher } from './taskLauncher';
import {
  TaskJournal,
  type JournalContents,
  type JournaledExit,
  type JournaledKill,
  type TaskReport,
} from './taskJournal';
import { poisonCopyOf } from './poisonTaskMessage';
import {
  isSameProcess,
  signalTaskProcesses,
  stopProcessGroup,
  taskMarkerVariable,
  taskProcessGroups,
} from './orphanProcess';
import { nodeTaskGroups } from '../shared/adapters/compute/nodeTaskProcesses';
import { removeTree } from '../shared/adapters/removeTree';
import {
  dockerConfigJson,
  outputDrainGraceMs,
  TaskProcess,
  type OutputSink,
  type RunningProcess,
  type TaskOutcome,
  type TaskProcessOptions,
} from './taskProcess';
import { mountRootOf, mountVolumes, remountVolumes } from './volumeMounts';
import type { Telemetry } from '../shared/telemetry/telemetry';
import { TaskRunTelemetry } from './agentTelemetry';

/**
 * Sent at registration: what task messages this agent reads (1.1.0: version 5, `preparedContainersSince`; 1.1.1:
 * the same, and heartbeats carry the setup outcome; 1.2.0: they also repeat the newest tasks' exits; 1.3.0: the same
 * messages, and a VM's tasks stop when its contact lease runs out; 1.3.1: a hung or dead agent's containers stop too;
 * 1.4.0: version 6, a job's share of the GPUs of a node shared by jobs, `gpuSharesSince`; 1.4.1: the same, and the
 * messages of one receive for different tasks are handled at once; 1.5.0: the same, and exits that end while another
 * is being sent go together in one `tasksExited` event, to a control plane that reads it).
 */
export const agentVersion = '1.5.0';

/** Bytes of exits (JSON) in one `tasksExited` event: base64 of it stays within a queue message's 64 KiB. */
const tasksExitedMaxBytes = 40_000;

/** An output sink that also appends to `<dir>/<name>` (when `dir` is given); the file is closed with the sink. */
function teeToFile(sink: OutputSink, dir: string | undefined, name: string): OutputSink {
  if (!dir) return sink;
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.join(dir, name), 'a');
  } catch {
    return sink; // the blob keeps the output
  }
  const file = fd;
  return {
    write(chunk: Buffer): boolean | void {
      try {
        fs.writeSync(file, chunk);
      } catch {
        // a full or gone volume: the blob keeps the output
      }
      return sink.write(chunk);
    },
    ...(sink.drained ? { drained: () => sink.drained!() } : {}),
    async close(): Promise<void> {
      fs.closeSync(file);
      await sink.close();
    },
  };
}
/** Task messages asked for per receive (the Queue service's maximum is 32). */
const taskBatchSize = 16;
/** A task that exits sooner than this after its start is reported by its exit alone. */
const taskStartReportDelayMs = 100;
/**
 * A task message delivered more often than this is given up (every delivery before failed, or its agent died while
 * handling it): set aside in the poison queue, and its task, if it names one, reported as not started.
 */
export const maxTaskMessageDeliveries = 5;
/** How many messages' last handling failure are kept, to say why one was given up. */
const failuresKept = 256;

interface RunningTask {
  message: RunTaskMessage;
  process: RunningProcess;
  /** The run's telemetry (undefined: the agent has none). */
  run?: TaskRunTelemetry;
  /** Set when the agent ended it (kill request, eviction, agent stop): reported with the exit. */
  end?: { reason: TaskEndReason; message: string; nodeRemoval?: NodeRemoval };
  /** Its main process (and process group, of which it is the leader), once started. */
  pid?: number;
  /** Signals kill messages had it sent: the same signal asked again is not sent again (see kill()). */
  killSignals?: Set<NodeJS.Signals>;
  /** Stopped because the node's contact lease ran out (see checkContactLease()). */
  stoppedForLease?: boolean;
}

type SetupState = NodeSetupOutcome;

export type AgentLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** How many finished tasks' exits an agent keeps to answer a repeated run message (oldest dropped first). */
const finishedTasksKept = 4_096;
/** How long what a task left running after its exit gets between SIGTERM and SIGKILL (its pipes' grace). */
const leftoverGraceMs = 3_000;
/** How long a task the previous agent left running gets between SIGTERM and SIGKILL. */
const orphanStopGraceMs = 10_000;
/** A task stopped because the contact lease ran out gets a quarter of the lease, at most this, before SIGKILL. */
const leaseStopGraceMaxMs = 10_000;

export class NodeAgent {
  private storage!: AgentStorage;
  private nodeId!: string;
  private eventsQueue!: QueueClient;
  private taskQueue!: QueueClient;
  private poisonQueue!: QueueClient;
  private readonly running = new Map<string, RunningTask>();
  /**
   * Tasks whose process ended and whose exit is being settled (a prepared image kept, job mounts released: up to
   * 30 s on a VM): no longer running, not yet finished. A run message then starts nothing, a kill changes nothing.
   */
  private readonly finishing = new Set<string>();
  /**
   * Run messages of tasks being started (a receive's messages for different tasks are handled at once): not yet
   * running, and their job temp directories are not another job's to wipe.
   */
  private readonly starting = new Map<string, RunTaskMessage>();
  /** $AZ_BATCHAI_JOB_TEMP of the last task started (VMs wipe the other jobs' as another job starts). */
  private lastJobTemp: string | undefined;
  private readonly logContainers = new Set<string>();
  /** Exits being reported (stop() waits for them). */
  private readonly exitReports = new Set<Promise<void>>();
  /**
   * The exits of the tasks this agent ran (the latest finishedTasksKept), as first reported: a run message for one
   * of them again (redelivered, or sent by a lifecycle taken up after that exit was lost) is answered with the same
   * exit, and the task is not run twice.
   */
  private readonly finished = new Map<string, JournaledExit>();
  /** Starts, processes, exits and reports of tasks, for the agent started after this one (agent/taskJournal.ts). */
  private journal: TaskJournal | undefined;
  /** Exits whose report failed: sent again after each heartbeat that got through. */
  private readonly unreported = new Set<string>();
  /** The newest run message said its control plane reads `tasksExited` (RunTaskMessage.readsTasksExited). */
  private readsTasksExited = false;
  /** Exits that end while another is being sent go together once that send is over (agent/exitBatcher.ts). */
  private readonly exitSender = new ExitBatcher<JournaledExit>({
    sendOne: (finished) => this.send(finished.exit, finished.time),
    sendMany: (batch) => this.send(tasksExitedOf(batch), new Date().toISOString(), tasksExitedVersion),
    together: () => this.readsTasksExited,
    // Other tasks of the node still run (this one is out of `running` by now): theirs may be ending too.
    holdFirst: () => this.readsTasksExited && this.running.size > 0,
    bytesOf: (finished) => Buffer.byteLength(JSON.stringify(finished.exit)) + 40, // + its time
    maxItems: tasksExitedMax,
    maxBytes: tasksExitedMaxBytes,
  });
  private readonly imds: MetadataServiceClient | undefined;
  /** A VM's own id (IMDS), on every event it sends. */
  private vmId: string | undefined;
  private watcher: ScheduledEventsWatcher | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** When (performance.now()) the last node event that got through was sent: the contact lease runs from there. */
  private lastContact = performance.now();
  /** Why the node is taken for lost while its contact lease has run out (its tasks stopped, none taken); else unset. */
  private contactLost: string | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  /**
   * Set by an eviction notice (Preempt, Terminate): the node is going away, so a task sent to it now is not started
   * but reported evicted at once, and its job is requeued on another node instead of dying with this one.
   */
  private evicted: string | undefined;
  /** Resolves once running tasks were sent the eviction's SIGTERM (after the first try to send its notice). */
  private evictionForwarded: Promise<void> = Promise.resolve();
  /**
   * Eviction notices not sent yet (the node events queue was down): sent again before anything else goes out (the
   * next heartbeat, an exit), so the node is `leaving` before an exit of its tasks can requeue a job.
   */
  private readonly unsentNotices: { body: NodeEventBody; time: string }[] = [];
  private pollLoop: Promise<void> | undefined;
  /** Set by wakeTaskPoll; ends the current wait between task queue polls. */
  private taskPollWoken = false;
  private endTaskPollWait: (() => void) | undefined;
  private dockerAvailable: { yes: boolean; at: number } | undefined;
  private dockerAsked: Promise<boolean> | undefined;
  /** The docker CLI hasDocker() runs (tests: a stand-in). */
  private readonly dockerCli = 'docker';
  /** A heartbeat is under way (a slow queue): the next one waits its turn instead of sending the same exits again. */
  private heartbeating = false;
  /** Starts host processes cheaply (agent/taskLauncher.ts); tasks are spawned directly without it. */
  private launcher: TaskLauncher | undefined;
  /** Job processes run in the jobs' slice, away from the Instance Metadata Service (VMs; jobProcessFence.ts). */
  private fenced = false;
  private mountRoot = '';
  /** Opens the values sealed for this node; memory only. */
  private nodeDataKey: Buffer | undefined;
  /** The node's GPUs as jobs sharing the node are given them (counted at registration). */
  private gpuShares = new GpuShares(0);
  private counters: PerformanceCounterReporter | undefined;
  /** Open MPI's ssh launcher settings for the intra-cluster key (VM nodes). */
  private clusterSshEnvironment: Record<string, string> = {};
  /** The same for tasks in containers: the directory they mount (key and launcher) and their environment. */
  private containerSsh: { dir: string; environment: Record<string, string> } | undefined;
  /** The running jobs' own mount volumes (agent/jobMounts.ts). */
  private readonly jobMounts: JobMounts;
  /**
   * Kill messages for tasks not running (yet): their run message, coming later, starts nothing. Journaled, so a run
   * message that comes after an agent restart is answered the same.
   */
  private readonly killedBeforeRun = new Map<string, JournaledKill>();
  /** The node setup's outcome once known: sent with every heartbeat, so a lost `setupCompleted` is repaired. */
  private setup: SetupState | undefined;
  /** The last failure handling each task message (by message id), for the reason it is given up with. */
  private readonly messageFailures = new Map<string, string>();
  /** What job preparations in containers installed, for the processes after them (agent/preparedImages.ts). */
  private readonly preparedImages = new PreparedImages(runDocker, (level, message) =>
    this.log(level, message),
  );

  /** Application Insights, when configured (agent/agentTelemetry.ts); bound to the node once it is known. */
  private telemetry: Telemetry | undefined;

  constructor(
    private readonly config: AgentConfig,
    private readonly log: AgentLog,
    telemetry?: Telemetry,
  ) {
    this.telemetry = telemetry?.withProperties({ clusterKey: config.clusterKey });
    this.imds = config.metadataServiceUrl ? new MetadataServiceClient(config.metadataServiceUrl) : undefined;
    this.jobMounts = new JobMounts({ config, nodeDataKey: () => this.nodeDataKey, log });
  }

  get id(): string {
    return this.nodeId;
  }

  async start(): Promise<void> {
    this.storage = createAgentStorage(this.config.storage);
    // The config parser guarantees one of the two. A VM also knows its own id, which its events carry (a scale set
    // reuses instance ids, so a later VM may get this node id).
    if (this.config.nodeId !== undefined) this.nodeId = this.config.nodeId;
    else {
      const identity = await this.imds!.computeIdentity();
      this.nodeId = identity.name;
      this.vmId = identity.vmId;
    }
    this.telemetry = this.telemetry?.withProperties({ nodeId: this.nodeId });
    const stateDir = path.join(this.config.workRoot, 'state');
    fs.mkdirSync(stateDir, { recursive: true });
    const { journal, contents: journaled } = TaskJournal.open(stateDir, finishedTasksKept);
    this.journal = journal;
    for (const [taskId, finished] of journaled.finished) this.finished.set(taskId, finished);
    for (const [taskId, kill] of journaled.killedBeforeRun) this.killedBeforeRun.set(taskId, kill);
    if (this.config.mode === 'vm') this.fenced = await raiseJobProcessFence(this.log);
    this.launcher = new TaskLauncher(
      path.join(stateDir, 'pipes'),
      this.log,
      'python3',
      this.fenced ? inJobsSlice : undefined,
    );
    this.eventsQueue = this.storage.queues.getQueueClient(this.config.nodeEventsQueue);
    const taskQueueName = nodeTaskQueueName(this.config.clusterKey, this.nodeId);
    this.taskQueue = this.storage.queues.getQueueClient(taskQueueName);
    this.poisonQueue = this.storage.queues.getQueueClient(`${taskQueueName}-poison`);
    await Promise.all([
      this.eventsQueue.createIfNotExists(),
      this.taskQueue.createIfNotExists(),
      this.poisonQueue.createIfNotExists(),
    ]);
    // A VM counts its GPUs; a local node has the ones its size says (none to count on this machine).
    const gpuCount = this.config.mode === 'vm' ? detectGpuCount(this.config.gpuCount) : this.config.gpuCount;
    this.gpuShares = new GpuShares(gpuCount);
    await this.send({
      kind: 'registered',
      vmSize: this.config.vmSize,
      cpuCount: this.config.cpuCount,
      gpuCount,
      agentVersion,
      remoteLogin: this.remoteLogin(),
    });
    this.log('info', `registered node ${this.nodeId} (task queue ${taskQueueName})`);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.config.heartbeatIntervalMs);
    const lease = this.config.contactLeaseMs;
    if (lease !== undefined) {
      this.leaseTimer = setInterval(() => this.checkContactLease(), Math.min(1_000, lease / 4));
      this.log(
        'info',
        `contact lease ${lease / 1000} s: tasks stop when no node event gets through for that long`,
      );
    }
    await this.recoverTasks(journaled);
    // Local nodes may share one Docker engine: only a VM's agent owns all the prepared images it finds.
    if (this.config.mode === 'vm' && (await this.hasDocker())) await this.preparedImages.removeLeftovers();
    if (this.imds) this.startWatcher(this.imds);
    try {
      this.nodeDataKey = await loadNodeDataKey(this.config, { imds: this.imds });
    } catch (error: unknown) {
      const message = (error as Error).message;
      this.log('error', `${message}; taking no tasks`);
      this.telemetry?.exception(error, { stage: 'nodeDataKey' });
      this.setup = { succeeded: false, message };
      await this.send({ kind: 'setupCompleted', ...this.setup });
      return;
    }
    this.startPerformanceCounters();
    if (this.config.mode === 'vm' && this.nodeDataKey) this.installClusterSsh(this.nodeDataKey);
    const setup = await this.setupOnce();
    this.setup = setup;
    await this.send({ kind: 'setupCompleted', ...setup });
    if (!setup.succeeded) {
      const why = `node setup failed: ${setup.message ?? `exit code ${setup.exitCode}`}; taking no tasks`;
      this.log('error', why);
      this.telemetry?.exception(new Error(why), { stage: 'nodeSetup', exitCode: setup.exitCode });
      return;
    }
    this.pollLoop = this.pollTasks();
  }

  /** The cluster's performance counters to its Application Insights, when it asked for them. */
  private startPerformanceCounters(): void {
    const settings = this.config.performanceCounters;
    if (!settings) return;
    try {
      const { instrumentationKey } = this.openSealed(
        settings.sealedInstrumentationKey,
        performanceCountersSealContext(this.config.clusterKey),
        'instrumentation key of the performance counters',
      );
      if (!instrumentationKey) throw new Error('The performance counters have no instrumentation key.');
      this.counters = new PerformanceCounterReporter(
        settings,
        instrumentationKey,
        { clusterKey: this.config.clusterKey, nodeId: this.nodeId, vmSize: this.config.vmSize },
        this.config.workRoot,
        this.config.gpuCount,
        this.log,
        settings.managedIdentityClientId && this.imds
          ? new ImdsTokenCredential(this.imds, settings.managedIdentityClientId)
          : undefined,
      );
      this.counters.start();
      this.log(
        'info',
        `performance counters every ${settings.intervalMs / 1000} s to ${settings.ingestionEndpoint}`,
      );
    } catch (error: unknown) {
      // Jobs run without them: the counters are for watching, not for running.
      this.log('error', `performance counters are not sent: ${(error as Error).message}`);
    }
  }

  private startWatcher(imds: MetadataServiceClient): void {
    this.watcher = new ScheduledEventsWatcher(
      imds,
      this.nodeId,
      this.config.scheduledEventsPollIntervalMs,
      (event) => this.onEviction(event, imds),
      (error) => this.log('warn', `scheduled events poll failed: ${(error as Error).message}`),
    );
    this.watcher.start();
  }

  /** Stops taking work, sends SIGTERM to running tasks and waits for them (at most `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    this.watcher?.stop();
    this.counters?.stop();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    for (const task of this.running.values()) {
      task.end ??= { reason: 'nodeLost', message: 'The node agent stopped.' };
      this.signalTask(task, 'SIGTERM');
    }
    await this.waitForTasks(graceMs);
    for (const task of this.running.values()) this.signalTask(task, 'SIGKILL');
    // The exits of tasks that ignored SIGTERM are reported too (their output drained) before the agent goes.
    await this.waitForTasks(outputDrainGraceMs + 5_000);
    await this.pollLoop;
    this.launcher?.stop();
    this.journal?.close();
    this.journal = undefined;
    await this.telemetry?.flush().catch(() => undefined);
  }

  /**
   * Keeps the promises of the agent that ran on this node before (it crashed, or was updated): a task it started and
   * never saw end is stopped if its process is still there (so is anything else still running for this node) and
   * reported ended by the node's failure (its job runs again as a new attempt, never beside that process); exits it
   * recorded but did not report are reported.
   */
  private async recoverTasks(journaled: JournalContents): Promise<void> {
    const stopped = new Set<string>();
    await Promise.all(
      journaled.unfinished.map(async (task) => {
        if (task.container && (await this.hasDocker())) {
          const removed = spawnSync('docker', ['rm', '-f', task.container], {
            stdio: 'ignore',
            timeout: 60_000,
          });
          if (removed.status === 0) stopped.add(task.report.taskId);
        }
        if (task.pid !== undefined && task.spawnedAt && isSameProcess(task.pid, task.spawnedAt)) {
          await stopProcessGroup(task.pid, orphanStopGraceMs);
          stopped.add(task.report.taskId);
        }
      }),
    );
    // Whatever still runs for this node was started before this agent (which started nothing yet), journaled or
    // not: a task spawned in the moment before its pid line, or one of a journal that was lost.
    await Promise.all(
      nodeTaskGroups(this.nodeId).map(async (group) => {
        this.log('warn', `process group ${group} was left running for this node: stopped`);
        await stopProcessGroup(group, orphanStopGraceMs);
      }),
    );
    for (const task of journaled.unfinished) {
      const { taskId } = task.report;
      const processStopped = stopped.has(taskId);
      this.log(
        'warn',
        `task ${taskId} was running when the previous agent ended${processStopped ? ': stopped' : ''}`,
      );
      await this.reportExit(
        taskId,
        this.rememberExit(taskId, {
          kind: 'taskExited',
          ...task.report,
          reason: 'nodeLost',
          message: `The node agent restarted while the task ran${processStopped ? ' (its process was stopped)' : ''}.`,
        }),
      );
    }
    for (const taskId of journaled.unreported) {
      const finished = this.finished.get(taskId);
      if (finished) await this.reportExit(taskId, finished);
    }
  }

  /**
   * Reports a task's exit. A failure is logged and the exit is sent again with the next heartbeat (and by the next
   * agent on this node, from the journal): an exit that never arrives would have its job found lost.
   */
  private async reportExit(taskId: string, finished: JournaledExit): Promise<void> {
    try {
      await this.sendNotices(); // an eviction notice goes before the exits it explains
      await (finished.exit.kind === 'taskExited'
        ? this.exitSender.send(finished)
        : this.send(finished.exit, finished.time));
      this.unreported.delete(taskId);
      this.journal?.reported(taskId);
    } catch (error: unknown) {
      if (!this.unreported.has(taskId)) {
        this.log('error', `could not report the exit of task ${taskId}: ${(error as Error).message}`);
        this.telemetry
          ?.withCorrelation(traceOf(finished.exit))
          .exception(error, { taskId, stage: 'reportExit' });
      }
      this.unreported.add(taskId);
    }
  }

  /** Sends the eviction notices not sent yet, in order; throws (and keeps them) when one cannot be sent. */
  private async sendNotices(): Promise<void> {
    while (this.unsentNotices.length > 0) {
      const notice = this.unsentNotices[0]!;
      await this.send(notice.body, notice.time);
      if (this.unsentNotices[0] === notice) this.unsentNotices.shift();
    }
  }

  private remoteLogin(): { ipAddress: string; port: number } | undefined {
    if (this.config.mode === 'local') return undefined; // a local node has no SSH endpoint
    for (const addresses of Object.values(os.networkInterfaces())) {
      const address = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
      if (address) return { ipAddress: address.address, port: 22 };
    }
    return undefined;
  }

  private async send(
    body: NodeEventBody | TasksExitedBody,
    time = new Date().toISOString(),
    version = nodeEventVersion,
  ): Promise<void> {
    const event = {
      schema: nodeEventSchema,
      version,
      nodeId: this.nodeId,
      clusterKey: this.config.clusterKey,
      time,
      ...(this.vmId !== undefined ? { vmId: this.vmId } : {}),
      ...body,
    } as NodeEvent;
    const sentAt = performance.now();
    // Under a contact lease a send that hangs is given up after half a heartbeat interval: one stuck request does
    // not hold back the next heartbeat (the lease holds three), so it does not stop a node whose events get through.
    await this.eventsQueue.sendMessage(
      encodeQueueMessage(event),
      this.config.contactLeaseMs === undefined
        ? undefined
        : { abortSignal: AbortSignal.timeout(this.config.heartbeatIntervalMs / 2) },
    );
    this.lastContact = Math.max(this.lastContact, sentAt);
    if (this.contactLost) {
      this.contactLost = undefined;
      this.log('info', 'node events get through again: taking tasks again');
    }
  }

  /**
   * The contact lease (VMs; AgentConfig.contactLeaseMs): once no node event got through for the lease (the node
   * cut off from the control plane, or its queue down), the control plane is about to take the node for lost and
   * run its jobs again elsewhere, so its tasks are stopped first (SIGTERM, SIGKILL after a grace) and their exits
   * say the node was lost (their jobs are requeued, not failed: the exits are reported once events get through).
   * No task is taken until an event gets through again. A job is so never running on a cut-off VM beside its next
   * attempt, which the VM's deletion alone (minutes) would not ensure. While the lease holds, the task launcher gets
   * the rest of it, and stops the tasks itself should this agent hang (agent/taskLauncher.ts).
   */
  private checkContactLease(): void {
    const lease = this.config.contactLeaseMs;
    if (lease === undefined || this.stopped) return;
    const silentMs = performance.now() - this.lastContact;
    const graceMs = Math.min(leaseStopGraceMaxMs, lease / 4);
    if (silentMs <= lease) {
      // The task launcher holds the rest of the lease, and a margin past this agent's own SIGKILL: were this agent
      // to hang or die (no more renewals), it stops the tasks itself; while this agent runs, it never has to.
      this.launcher?.renewLease(lease - silentMs + graceMs + Math.min(1_000, graceMs), graceMs);
      return;
    }
    if (!this.contactLost) {
      this.contactLost =
        `No node event got through for ${Math.round(silentMs / 1000)} s (the node's contact lease is ` +
        `${lease / 1000} s): the node was taken for lost and its tasks were stopped, to run again elsewhere.`;
      this.log('error', `${this.contactLost} Taking no task until an event gets through.`);
      this.telemetry?.exception(new Error(this.contactLost), { stage: 'contactLease' });
    }
    for (const task of this.running.values()) {
      if (task.stoppedForLease) continue;
      task.stoppedForLease = true;
      // A task being ended already (a kill, an eviction: it got its SIGTERM) keeps that reason and gets no second
      // SIGTERM (many programs take it as "quit now"); the SIGKILL after the grace still comes.
      if (!task.end) {
        task.end = { reason: 'nodeLost', message: this.contactLost };
        task.killSignals ??= new Set();
        task.killSignals.add('SIGTERM');
        this.signalTask(task, 'SIGTERM');
      }
      setTimeout(() => {
        if (this.running.get(task.message.taskId) === task) this.signalTask(task, 'SIGKILL');
      }, graceMs).unref();
    }
  }

  /**
   * The exits of the newest tasks that ended within heartbeatExitsMs (at most heartbeatExitsMax), as heartbeats
   * repeat them: an exit whose event is late still reaches the node's record (contracts/nodeEvent.ts).
   */
  private recentExits(): HeartbeatExit[] | undefined {
    const since = Date.now() - heartbeatExitsMs;
    const exits: HeartbeatExit[] = [];
    for (const [taskId, { exit, time }] of [...this.finished].reverse()) {
      if (exits.length >= heartbeatExitsMax || Date.parse(time) < since) break;
      if (exit.kind !== 'taskExited') continue;
      exits.push({
        taskId,
        ...(exit.exitCode === undefined ? {} : { exitCode: exit.exitCode }),
        ...(exit.signal === undefined ? {} : { signal: exit.signal }),
        reason: exit.reason,
        ...(exit.message === undefined ? {} : { message: exit.message.slice(0, 1024) }),
        ...(exit.nodeRemoval === undefined ? {} : { nodeRemoval: exit.nodeRemoval }),
        time,
      });
    }
    return exits.length > 0 ? exits : undefined;
  }

  /** Keeps a task's exit (before it is reported) to answer a run message for the same task again. */
  private rememberExit(taskId: string, exit: NodeEventBody): JournaledExit {
    const finished = { exit, time: new Date().toISOString() };
    this.finished.delete(taskId);
    this.finished.set(taskId, finished);
    this.finishing.delete(taskId);
    // A kill kept for a run message to come is answered by this exit from now on.
    this.killedBeforeRun.delete(taskId);
    if (this.finished.size > finishedTasksKept) this.finished.delete(this.finished.keys().next().value!);
    this.journal?.exited(taskId, finished);
    return finished;
  }

  private async heartbeat(): Promise<void> {
    if (this.config.mode === 'local' && !fs.existsSync(this.config.workRoot)) {
      // A local node's directory is its VM: once it is removed (pool deleted, test cleanup) the node is gone.
      this.log('warn', `work root ${this.config.workRoot} was removed: stopping`);
      void this.stop(2_000).then(() => process.exit(0));
      return;
    }
    if (this.heartbeating) return;
    this.heartbeating = true;
    try {
      await this.beat();
    } finally {
      this.heartbeating = false;
    }
  }

  private async beat(): Promise<void> {
    try {
      await this.send({
        kind: 'heartbeat',
        runningTaskIds: [...this.running.keys()],
        setup: this.setup,
        exits: this.recentExits(),
      });
    } catch (error: unknown) {
      this.log('warn', `heartbeat failed: ${(error as Error).message}`);
      return;
    }
    try {
      await this.sendNotices();
    } catch (error: unknown) {
      this.log('warn', `the eviction notice could not be sent again: ${(error as Error).message}`);
      return;
    }
    for (const taskId of [...this.unreported]) {
      const finished = this.finished.get(taskId);
      if (finished) await this.reportExit(taskId, finished);
      else this.unreported.delete(taskId);
    }
  }

  private setupBlob(stream: 'stdout' | 'stderr'): BlobPath {
    return {
      container: this.config.setupOutputContainer,
      name: `${clusterTag(this.config.clusterKey)}/${this.nodeId}/${stream}.txt`,
    };
  }

  private async openLog(
    blob: BlobPath,
    run?: TaskRunTelemetry,
    createOnFirstAppend = false,
  ): Promise<AppendBlobLog> {
    const container = this.storage.blobs.getContainerClient(blob.container);
    // Once per container and agent run (every task writes two logs into the same one).
    if (!this.logContainers.has(blob.container)) {
      try {
        await container.createIfNotExists();
      } catch (error: unknown) {
        // On Azure the node identity may write into the container (infra/ made it) but not create containers.
        if ((error as { statusCode?: number }).statusCode !== 403) throw error;
      }
      this.logContainers.add(blob.container);
    }
    return new AppendBlobLog(container.getAppendBlobClient(blob.name), {
      createOnFirstAppend,
      onTruncated: () => {
        const why = `${blob.container}/${blob.name} reached the append blob's block limit: the output after it is dropped`;
        this.log('warn', why);
        (run?.telemetry ?? this.telemetry)?.trace(why, 'warning', { blob: `${blob.container}/${blob.name}` });
      },
      onOutputLost: (bytes, reason) => {
        const why = `${blob.container}/${blob.name}: ${bytes} bytes of output could not be stored and are lost (${reason})`;
        this.log('warn', why);
        (run?.telemetry ?? this.telemetry)?.trace(why, 'warning', { blob: `${blob.container}/${blob.name}` });
      },
    });
  }

  /** Mounts and the setup task run once per node; the result is remembered across agent restarts. */
  private async setupOnce(): Promise<SetupState> {
    const marker = path.join(this.config.workRoot, 'state', 'setup.json');
    if (fs.existsSync(marker)) {
      this.mountRoot = mountRootOf(this.config);
      const state = JSON.parse(fs.readFileSync(marker, 'utf8')) as SetupState;
      // A reboot took the VM's mounts, an agent restart may have taken a blob mount's daemon: jobs must not write
      // into the empty directories under them.
      if (state.succeeded && this.config.mode === 'vm') {
        try {
          const { mounted } = await remountVolumes(this.config, this.nodeDataKey);
          if (mounted.length > 0) this.log('info', `mounted again: ${mounted.join(', ')}`);
        } catch (error: unknown) {
          return { succeeded: false, message: (error as Error).message };
        }
      }
      return state;
    }
    let state: SetupState;
    try {
      this.mountRoot = await mountVolumes(this.config, this.nodeDataKey);
      if (this.config.setupTask) {
        const cwd = path.join(this.config.workRoot, 'setup');
        fs.mkdirSync(cwd, { recursive: true });
        const secrets = this.openSealed(
          this.config.setupTask.sealedEnvironment,
          setupSealContext(this.config.clusterKey),
          'secrets of the node setup task',
        );
        const outputDir = this.setupOutputDirectory();
        const process = await this.startProcess({
          commandLine: this.config.setupTask.commandLine,
          cwd,
          env: this.taskEnvironment(cwd, { ...this.config.setupTask.environment, ...secrets }),
          stdout: teeToFile(
            await this.openLog(this.setupBlob('stdout')),
            outputDir,
            `stdout-${this.nodeId}.txt`,
          ),
          stderr: teeToFile(
            await this.openLog(this.setupBlob('stderr')),
            outputDir,
            `stderr-${this.nodeId}.txt`,
          ),
        });
        const outcome = await process.done;
        state = {
          succeeded: outcome.exitCode === 0,
          exitCode: outcome.exitCode,
          message: outcome.error ?? (outcome.exitCode === 0 ? undefined : describe(outcome)),
        };
      } else {
        state = { succeeded: true };
      }
    } catch (error: unknown) {
      state = { succeeded: false, message: (error as Error).message };
    }
    fs.writeFileSync(marker, JSON.stringify(state));
    return state;
  }

  /**
   * Batch AI's place for the setup output, `{stdOutErrPathPrefix}/{stdOutErrPathSuffix}` (on a mounted volume, so
   * it outlives the node), made if missing; undefined (output in the blobs only) when there is none or it cannot be
   * made.
   */
  private setupOutputDirectory(): string | undefined {
    const configured = this.config.setupTask?.stdOutErrPath;
    if (!configured) return undefined;
    const dir = expandVariables(configured, { AZ_BATCHAI_MOUNT_ROOT: this.mountRoot });
    try {
      fs.mkdirSync(dir, { recursive: true });
      return dir;
    } catch (error: unknown) {
      this.log(
        'warn',
        `the setup output directory ${dir} cannot be made (${(error as Error).message}): blobs only`,
      );
      return undefined;
    }
  }

  /**
   * Lets mpirun on this node start ranks on the gang's other nodes over SSH (agent/clusterSsh.ts). Without it a
   * multi-node MPI job fails to launch, a single-node one still runs: the node takes tasks either way.
   */
  private installClusterSsh(nodeDataKey: Buffer): void {
    try {
      const key = deriveClusterSshKey(nodeDataKey, this.config.clusterKey);
      const keyPath = installClusterSshKey(os.homedir(), key);
      this.clusterSshEnvironment = clusterSshEnvironment(keyPath);
      const dir = path.join(this.config.workRoot, 'state', 'container-ssh');
      this.containerSsh = { dir, environment: installContainerSsh(dir, key) };
      this.log('info', `intra-cluster SSH key installed at ${keyPath}`);
    } catch (error: unknown) {
      this.log('error', `intra-cluster SSH could not be set up: ${(error as Error).message}`);
    }
  }

  /** Opens sealed values with the node data key (an error names what failed to open, never a value). */
  private openSealed(sealed: string | undefined, context: string, what: string): Record<string, string> {
    if (sealed === undefined) return {};
    if (!this.nodeDataKey) throw new Error(`This node has no node data key to open the sealed ${what}.`);
    return openValues(this.nodeDataKey, sealed, context, what);
  }

  /**
   * A task's variables. In a container the image keeps its own PATH, HOME, LANG and TMPDIR, and Open MPI starts
   * ranks on other nodes in their containers when it mounts the cluster's key (agent/clusterSsh.ts).
   */
  private taskEnvironment(
    cwd: string,
    extra: Record<string, string> | undefined,
    container?: { sshDir?: string },
  ): Record<string, string> {
    const inContainer = container !== undefined;
    const inherited: Record<string, string> = {};
    for (const name of inContainer ? [] : ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
      const value = process.env[name];
      if (value !== undefined) inherited[name] = value;
    }
    const remoteLaunch = container
      ? container.sshDir
        ? this.containerSsh?.environment
        : {}
      : this.clusterSshEnvironment;
    return {
      ...inherited,
      // Tasks run as the agent's user, root on a VM: Open MPI refuses root unless told this is meant.
      ...(process.getuid?.() === 0
        ? { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' }
        : {}),
      ...remoteLaunch,
      AZ_BATCHAI_MOUNT_ROOT: this.mountRoot,
      AZ_BATCHAI_NODE_ID: this.nodeId,
      AZ_BATCHAI_TASK_WORKING_DIR: cwd,
      ...extra,
    };
  }

  /**
   * Polls the task queue now instead of after the idle interval: local nodes get this (SIGUSR2 from the local
   * compute pool) when a task message was just sent. Only a hint: a message is found by the next poll anyway.
   */
  wakeTaskPoll(): void {
    this.taskPollWoken = true;
    this.endTaskPollWait?.();
  }

  private waitForTaskPoll(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.endTaskPollWait === done) this.endTaskPollWait = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.endTaskPollWait = done;
    });
  }

  private async pollTasks(): Promise<void> {
    while (!this.stopped) {
      let received = 0;
      this.taskPollWoken = false;
      if (this.contactLost) {
        // Cut off: a task taken now would be stopped at once (its job runs elsewhere); the message stays queued.
        await this.waitForTaskPoll(this.config.taskPollIntervalMs);
        continue;
      }
      try {
        const response = await this.taskQueue.receiveMessages({
          numberOfMessages: taskBatchSize,
          visibilityTimeout: 60,
        });
        received = response.receivedMessageItems.length;
        // The messages of different tasks are handled at once (a node with several job slots starts the tasks of one
        // receive together, so their exits come together too); those of one task (its run and kill) in order.
        await Promise.all(
          messagesByTask(response.receivedMessageItems.map(decodeReceived)).map(async (messages) => {
            for (const received of messages) {
              if (this.stopped) break;
              await this.takeMessage(received);
            }
          }),
        );
      } catch (error: unknown) {
        this.log('warn', `task queue poll failed: ${(error as Error).message}`);
      }
      // Fewer messages than asked for means the queue was empty at the receive: wait for the next wake or poll
      // interval (a full batch may have more behind it: poll again at once). A wake during the receive may be for
      // a message that receive missed: poll again at once then.
      if (received < taskBatchSize && !this.stopped && !this.taskPollWoken) {
        await this.waitForTaskPoll(this.config.taskPollIntervalMs);
      }
    }
  }

  /**
   * Handles one received message and deletes it. One whose handling fails is left to come back (after the
   * visibility timeout) while the rest of the batch goes on; one delivered too often is given up.
   */
  private async takeMessage(received: ReceivedMessage<ReceivedTaskItem>): Promise<void> {
    const { item } = received;
    try {
      if (item.dequeueCount > maxTaskMessageDeliveries) {
        await this.giveUpMessage(received, item.dequeueCount, this.messageFailures.get(item.messageId));
      } else {
        await this.handleMessage(received);
      }
      this.messageFailures.delete(item.messageId);
      await this.taskQueue.deleteMessage(item.messageId, item.popReceipt);
    } catch (error: unknown) {
      const failure = (error as Error).message;
      this.log(
        'warn',
        `task message ${item.messageId} (delivery ${item.dequeueCount}) failed, it comes back: ${failure}`,
      );
      this.telemetry?.exception(error, {
        stage: 'taskMessage',
        messageId: item.messageId,
        delivery: item.dequeueCount,
      });
      this.messageFailures.delete(item.messageId);
      this.messageFailures.set(item.messageId, failure.slice(0, 512));
      if (this.messageFailures.size > failuresKept)
        this.messageFailures.delete(this.messageFailures.keys().next().value!);
    }
  }

  /**
   * A message every earlier delivery of which failed (or whose agent died while handling it): set aside, and its
   * task, when a run message names one this agent has not run, reported as not started, so its job does not wait.
   */
  private async giveUpMessage(
    received: ReceivedMessage<ReceivedTaskItem>,
    deliveries: number,
    lastFailure?: string,
  ): Promise<void> {
    const reason = `The node agent gave up on the task message after ${deliveries} deliveries${lastFailure ? ` (the last failure: ${lastFailure})` : ''}.`;
    this.log('error', reason);
    let task: TaskReport | undefined;
    try {
      const message = parseReceived(received);
      if (message.kind === 'runTask') task = reportOf(message);
    } catch {
      task = refusedRunTaskOf(received.decoded);
    }
    await this.setAside(received.item.messageText, reason);
    if (task && !this.running.has(task.taskId) && !this.finished.has(task.taskId)) {
      await this.notStarted(task, 'failedToStart', reason);
    }
  }

  /**
   * Copies a message to the poison queue (cut to fit) with the reason, and reports the rejection. Each step is
   * tried on its own: neither failing keeps the message in the task queue.
   */
  private async setAside(text: string, reason: string): Promise<void> {
    try {
      await this.poisonQueue.sendMessage(poisonCopyOf(reason, text, new Date().toISOString()));
    } catch (error: unknown) {
      this.log('error', `could not set a task message aside: ${(error as Error).message}`);
    }
    try {
      await this.send({ kind: 'taskMessageRejected', reason });
    } catch (error: unknown) {
      this.log('warn', `could not report a rejected task message: ${(error as Error).message}`);
    }
  }

  /** Handles one message; a malformed one is set aside (poison queue, with the reason) and reported. */
  private async handleMessage(received: ReceivedMessage<ReceivedTaskItem>): Promise<void> {
    let message;
    try {
      message = parseReceived(received);
    } catch (error: unknown) {
      if (!(error instanceof ContractError)) throw error;
      const reason = `Rejected task message: ${error.message}`;
      this.log('warn', reason);
      await this.setAside(received.item.messageText, reason);
      // A run message this agent cannot read (one of a newer release, say) still names its task: its job hears
      // that it did not start instead of waiting for an exit that would never come.
      const refused = refusedRunTaskOf(received.decoded);
      if (refused && !this.running.has(refused.taskId) && !this.finished.has(refused.taskId)) {
        const why = `The node agent (release ${agentVersion}) cannot read the task's message: ${error.message}`;
        await this.notStarted(refused, 'failedToStart', why);
      }
      return;
    }
    if (message.kind === 'killTask') {
      const task = this.running.get(message.taskId);
      if (task) this.kill(task, message);
      else if (this.finishing.has(message.taskId)) {
        this.log('info', `task ${message.taskId} ended already: the kill changes nothing`);
      } else if (!this.finished.has(message.taskId)) {
        // Queue messages come in any order: its run message may still come (or be starting, or come to the next
        // agent on this node): it must not run then.
        const kill: JournaledKill = {
          signal: message.signal,
          reason: message.reason,
          nodeRemoval: message.nodeRemoval,
        };
        this.killedBeforeRun.delete(message.taskId);
        this.killedBeforeRun.set(message.taskId, kill);
        if (this.killedBeforeRun.size > finishedTasksKept) {
          this.killedBeforeRun.delete(this.killedBeforeRun.keys().next().value!);
        }
        this.journal?.killedBeforeRun(message.taskId, kill);
      }
      return;
    }
    // The newest run message tells whether its control plane reads several exits in one event.
    this.readsTasksExited = message.readsTasksExited === true;
    // Its exit is being settled: that exit is reported (and answers this message again, once it is finished).
    if (
      this.running.has(message.taskId) ||
      this.finishing.has(message.taskId) ||
      this.starting.has(message.taskId)
    )
      return;
    const finished = this.finished.get(message.taskId);
    if (finished) {
      // Its exit again (the node was handed back, if at all, with the first report).
      this.log('info', `task ${message.taskId} ran already: its exit is reported again`);
      await this.send({ ...finished.exit, releasesNodeOf: undefined } as NodeEventBody, finished.time);
      return;
    }
    const killed = this.killedBeforeRun.get(message.taskId);
    if (killed) {
      this.killedBeforeRun.delete(message.taskId);
      this.log('info', `task ${message.taskId} not started: it was stopped before its run message came`);
      TaskRunTelemetry.of(this.telemetry, message)?.ended({ reason: 'killed' }, killed.reason);
      await this.reportExit(
        message.taskId,
        this.rememberExit(message.taskId, {
          kind: 'taskExited',
          ...reportOf(message),
          reason: 'killed',
          message: killed.reason ?? `Stopped (${killed.signal}) before it started.`,
          nodeRemoval: killed.nodeRemoval,
        }),
      );
      return;
    }
    if (this.evicted) {
      this.log('warn', `task ${message.taskId} not started: ${this.evicted}`);
      await this.notStarted(
        reportOf(message),
        'evicted',
        `${this.evicted} The task was not started.`,
        undefined,
        TaskRunTelemetry.of(this.telemetry, message),
      );
      return;
    }
    this.starting.set(message.taskId, message);
    try {
      await this.startTask(message);
    } finally {
      this.starting.delete(message.taskId);
    }
  }

  private kill(task: RunningTask, message: JournaledKill): void {
    task.end ??= {
      reason: 'killed',
      message: message.reason ?? `Killed on request (${message.signal}).`,
      nodeRemoval: message.nodeRemoval,
    };
    // A kill asked again (the cluster monitor re-sends a scale-down's kills at each pass until the task is gone, in
    // case one was lost) does not signal again: many programs take a second SIGTERM as "quit now", and would be cut
    // short while saving their checkpoint. A stronger signal (SIGKILL after the grace) still goes.
    task.killSignals ??= new Set();
    if (task.killSignals.has(message.signal)) {
      this.log(
        'info',
        `task ${task.message.taskId} got ${message.signal} already: the kill asked again is not sent`,
      );
      return;
    }
    task.killSignals.add(message.signal);
    this.signalTask(task, message.signal);
  }

  /** Signals a task's process group, and its processes outside it (in a session of their own). */
  private signalTask(task: RunningTask, signal: NodeJS.Signals): void {
    task.process.kill(signal);
    signalTaskProcesses(task.message.taskId, signal, undefined, task.pid);
  }

  /** A task that does not start: what it acquired is given back, and its exit says why. */
  private async notStarted(
    report: TaskReport,
    reason: 'failedToStart' | 'evicted' | 'nodeLost',
    why: string,
    release?: () => Promise<void>,
    run?: TaskRunTelemetry,
  ): Promise<void> {
    await release?.();
    run?.ended({ reason }, why);
    await this.reportExit(
      report.taskId,
      this.rememberExit(report.taskId, { kind: 'taskExited', ...report, reason, message: why }),
    );
  }

  /**
   * On a VM, the job temp directories of jobs with no task running here are wiped as a task of another job starts
   * (agent/jobTempCleanup.ts). Local nodes share their cluster's directory: the host removes a job's when it ends.
   */
  private wipeOtherJobTemps(message: RunTaskMessage): void {
    const jobTemp = message.environment?.AZ_BATCHAI_JOB_TEMP;
    const root = message.environment?.AZ_BATCHAI_JOB_TEMP_DIR;
    if (this.config.mode !== 'vm' || !jobTemp || !root || path.dirname(jobTemp) !== path.resolve(root))
      return;
    if (this.lastJobTemp === jobTemp) return; // the same job as the last task: nothing new to wipe
    this.lastJobTemp = jobTemp;
    const keep = new Set([path.basename(jobTemp)]);
    const others = [...[...this.running.values()].map((task) => task.message), ...this.starting.values()];
    for (const run of others) {
      const other = run.environment?.AZ_BATCHAI_JOB_TEMP;
      if (other && path.dirname(other) === path.resolve(root)) keep.add(path.basename(other));
    }
    const wipe = wipeJobTemps(root, keep, (text) => this.log('warn', text));
    if (wipe.wiped.length > 0)
      this.log('info', `wiping ${wipe.wiped.length} earlier job temp directory(ies)`);
  }

  private async startTask(message: RunTaskMessage): Promise<void> {
    // A task without a working directory of its own gets one of the agent's, removed after its exit.
    const ownDirectory = !message.workingDirectory;
    const cwd = message.workingDirectory
      ? path.resolve(this.config.workRoot, message.workingDirectory)
      : path.join(this.config.workRoot, 'tasks', message.taskId.replace(/[^A-Za-z0-9_.-]/g, '_'));
    const report = reportOf(message);
    const run = TaskRunTelemetry.of(this.telemetry, message);
    // Only the exit hands the node back.
    const started = { ...report, releasesNodeOf: undefined };
    let stdout: AppendBlobLog;
    let stderr: AppendBlobLog;
    let secrets: Record<string, string>;
    // The job's mounts come before its directories: an output directory may be on one of them.
    let releaseMounts: () => Promise<void> = async () => undefined;
    try {
      secrets = this.openSealed(
        message.sealedEnvironment,
        taskSealContext(message.taskId),
        `environment of task ${message.taskId}`,
      );
      this.wipeOtherJobTemps(message);
      if (message.jobMounts) releaseMounts = await this.jobMounts.acquire(message.taskId, message.jobMounts);
      fs.mkdirSync(cwd, { recursive: true });
      // A container makes them itself (its shell runs the same steps first): paths outside its mounts are its own.
      if (message.prepare && !(message.container && (await this.hasDocker()))) prepareOnHost(message.prepare);
      stdout = await this.openLog(message.stdout, run);
      // Made at its first byte: most processes write none (the files listing shows it beside the stdout).
      stderr = await this.openLog(message.stderr, run, true);
    } catch (error: unknown) {
      const why = `The task could not start: ${(error as Error).message}`;
      this.log('warn', `task ${message.taskId}: ${why}`);
      run?.telemetry.exception(error, { stage: 'taskStart' });
      await this.notStarted(report, 'failedToStart', why, releaseMounts, run);
      return;
    }
    let container: TaskProcessOptions['container'];
    let registryConfig: string | undefined;
    /** The image this task's container is kept as (a job preparation), or starts from (the processes after it). */
    let keepAs: string | undefined;
    let preparedImage: string | undefined;
    /** Labels the attempt's containers on every node: Open MPI's launcher finds the one on its node by it. */
    const attemptTag = attemptLabel(message.jobId, message.attempt);
    const multiNode = (message.environment?.AZ_BATCH_HOST_LIST ?? '').includes(',');
    if (message.container) {
      if (await this.hasDocker()) {
        if (message.container.prepared) {
          const image = preparedImageName(this.nodeId, message.jobId, message.attempt);
          if (message.container.prepared === 'keep') keepAs = image;
          else if (await this.preparedImages.use(image)) preparedImage = image;
          else {
            // What the preparation installed is gone (an agent restart removes leftovers): run it again elsewhere.
            const why = `This node no longer has what the job preparation installed (image ${image}).`;
            await this.notStarted(report, 'nodeLost', why, releaseMounts, run);
            return;
          }
        }
        // A prepared image is this node's own: nothing to pull.
        if (message.container.registry && !preparedImage) {
          try {
            registryConfig = this.registrySignIn(message.taskId, message.container.registry);
          } catch (error: unknown) {
            const why = `The task could not start: ${(error as Error).message}`;
            run?.telemetry.exception(error, { stage: 'registrySignIn' });
            await this.notStarted(report, 'failedToStart', why, releaseMounts, run);
            return;
          }
        }
        container = {
          ...message.container,
          labels: { [attemptLabelName]: attemptTag },
          // Only a job spread over nodes starts ranks on the others: a single node's container gets no key.
          sshDir: multiNode ? this.containerSsh?.dir : undefined,
          image: preparedImage ?? message.container.image,
          name: `batchai-${message.taskId}`.replace(/[^A-Za-z0-9_.-]/g, '-'),
          mounts: [this.mountRoot, ...(message.jobMounts ? JobMounts.targets(message.jobMounts) : [])],
          configDir: registryConfig,
        };
      } else if (this.config.mode === 'local') {
        stderr.write(
          Buffer.from(
            `[batchai] No Docker engine on this machine: running the command on the host instead of in ${message.container.image}.\n`,
          ),
        );
      } else {
        const why = `No Docker engine on this VM to run ${message.container.image}.`;
        await this.notStarted(report, 'failedToStart', why, releaseMounts, run);
        return;
      }
    }
    this.journal?.started(report, container?.name);
    // The job's share of the node's GPUs (a node shared by jobs): a container sees only those devices, a process on
    // the host gets CUDA_VISIBLE_DEVICES (a value the job sets itself wins).
    const gpuDevices = this.gpuShares.take(message.taskId, attemptTag, message.gpus);
    if (container && gpuDevices) container.gpuDevices = gpuDevices;
    const env = this.taskEnvironment(
      cwd,
      {
        ...(container ? { BATCHAI_ATTEMPT_LABEL: attemptTag } : {}),
        ...(gpuDevices && !container ? { CUDA_VISIBLE_DEVICES: gpuDevices.join(',') } : {}),
        ...message.environment,
        ...secrets,
        // Marks every process of the task, even one in a session of its own: stopped with the task.
        [taskMarkerVariable]: message.taskId,
      },
      container,
    );
    const process = await this.startProcess({
      commandLine:
        container && message.prepare
          ? `${preparationShell(message.prepare)} || exit 125\n${message.commandLine}`
          : message.commandLine,
      cwd,
      env,
      stdout,
      stderr,
      container,
      leased: true,
    }).catch((error: unknown) => {
      this.gpuShares.release(message.taskId);
      throw error;
    });
    const task: RunningTask = { message, process, run };
    this.running.set(message.taskId, task);
    // The launcher stops a job's container too should this agent hang or die under a contact lease (VMs).
    const leasedContainer =
      container && this.config.contactLeaseMs !== undefined ? container.name : undefined;
    if (leasedContainer) this.launcher?.leaseContainer(leasedContainer, true, this.dockerCli);
    // A kill that came while the task was being started.
    const killedMeanwhile = this.killedBeforeRun.get(message.taskId);
    if (killedMeanwhile) {
      this.killedBeforeRun.delete(message.taskId);
      this.kill(task, killedMeanwhile);
    }
    // An eviction notice that came while the task was being started (its mounts, logs, process) did not see it.
    const evicted = this.evicted;
    if (evicted) {
      task.end ??= { reason: 'evicted', message: evicted };
      void this.evictionForwarded.then(() => this.signalTask(task, 'SIGTERM'));
    }
    let mainPid: number | undefined;
    void process.started.then((pid) => {
      mainPid = pid;
      task.pid = pid;
      if (pid !== undefined) this.journal?.spawned(message.taskId, pid);
      this.log('info', `task ${message.taskId} started (pid ${pid})`);
    });
    // A process that ends within taskStartReportDelayMs is reported by its exit alone (one event instead of two:
    // short tasks are common in sweeps and scoring); a longer one is reported started, before its exit.
    const startReported = Promise.race([
      process.done.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), taskStartReportDelayMs).unref()),
    ]).then(async (exited) => {
      if (!exited) await this.send({ kind: 'taskStarted', ...started });
    });
    const reported = process.done.then(async (ended) => {
      this.finishing.add(message.taskId);
      let outcome = ended;
      if (leasedContainer) {
        this.launcher?.leaseContainer(leasedContainer, false, this.dockerCli);
        // Stopped by the launcher while this agent hung: the docker client's exit code is not the program's.
        if (this.launcher?.stoppedContainer(leasedContainer))
          outcome = { ...outcome, lost: leaseExpiredReason, leaseExpired: true };
      }
      // What the task left running outside its process group (a daemon in a session of its own) ends with it,
      // before its mounts are released. Only processes started after its main one can be its (the scan reads
      // those, not every process of the machine: it runs at every task's exit).
      // They get SIGTERM and the pipes' grace first: a program still handling the task's own SIGTERM (a
      // container's, whose docker client exited first) saves its checkpoint.
      const left = taskProcessGroups(message.taskId, mainPid);
      if (left.length > 0) {
        this.log('warn', `task ${message.taskId} left process group(s) ${left.join(', ')} running: stopped`);
        await Promise.all(left.map((group) => stopProcessGroup(group, leftoverGraceMs)));
      }
      if (keepAs && container) {
        const succeeded = outcome.exitCode === 0 && !outcome.error && !outcome.lost;
        const failure = await this.preparedImages.keep(container.name, keepAs, succeeded, Object.keys(env));
        if (failure) outcome = { error: failure };
      }
      if (preparedImage) this.preparedImages.release(preparedImage);
      this.running.delete(message.taskId);
      this.gpuShares.release(message.taskId);
      if (registryConfig) fs.rmSync(registryConfig, { recursive: true, force: true });
      await releaseMounts();
      const exit = {
        kind: 'taskExited' as const,
        ...report,
        exitCode: outcome.exitCode,
        signal: outcome.signal,
        // A task the agent was ending already (a kill, an eviction, its own lease stop) keeps that reason when the
        // launcher's lease stop came too.
        reason: outcome.error
          ? 'failedToStart'
          : outcome.lost && !(outcome.leaseExpired && task.end)
            ? 'nodeLost'
            : (task.end?.reason ?? 'exited'),
        message:
          outcome.error ??
          (outcome.leaseExpired && task.end ? task.end.message : outcome.lost) ??
          task.end?.message,
        nodeRemoval: task.end?.nodeRemoval,
      } satisfies NodeEventBody;
      const finished = this.rememberExit(message.taskId, exit);
      this.log('info', `task ${message.taskId} ended: ${describe(outcome)}`);
      run?.ended(exit, exit.message);
      await startReported.catch((error: unknown) =>
        this.log('warn', `could not report the start of task ${message.taskId}: ${(error as Error).message}`),
      );
      await this.reportExit(message.taskId, finished);
      if (ownDirectory) {
        await removeTree(cwd).catch((error: unknown) =>
          this.log('warn', `task ${message.taskId}: ${cwd} was not removed: ${(error as Error).message}`),
        );
      }
    });
    this.exitReports.add(reported);
    void reported.finally(() => this.exitReports.delete(reported));
  }

  /**
   * A Docker client configuration signed in to the task's private registry, in a directory only this agent's user
   * reads (0700, the file 0600), for `docker run` to pull with; removed when the task ended. Returns the directory.
   */
  private registrySignIn(taskId: string, registry: TaskRegistry): string {
    const { password } = this.openSealed(
      registry.sealedPassword,
      registrySealContext(taskId),
      `registry password of task ${taskId}`,
    );
    if (password === undefined) throw new Error(`The registry sign-in of task ${taskId} has no password.`);
    const dir = path.join(this.config.workRoot, 'secrets', 'docker', taskId.replace(/[^A-Za-z0-9_.-]/g, '_'));
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      dockerConfigJson(registry.server, registry.username, password),
      {
        mode: 0o600,
      },
    );
    return dir;
  }

  /** A task's process: through the task launcher when it runs (a cheaper start), else spawned by the agent. */
  private async startProcess(given: TaskProcessOptions): Promise<RunningProcess> {
    const options: TaskProcessOptions = { ...given, fenced: this.fenced, log: given.log ?? this.log };
    if (!options.container && this.launcher && (await this.launcher.usable())) {
      try {
        return await this.launcher.launch(options);
      } catch (error: unknown) {
        this.log(
          'warn',
          `the task launcher could not start a task (${(error as Error).message}): spawning it`,
        );
      }
    }
    return new TaskProcess(options);
  }

  /**
   * Whether a Docker engine answers (`docker info`, up to 10 s: asked without blocking the agent, once at a time). A
   * "no" is asked again after a while: at boot the engine may start later.
   */
  private hasDocker(): Promise<boolean> {
    const now = Date.now();
    const known = this.dockerAvailable;
    if (known && (known.yes || now - known.at <= 30_000)) return Promise.resolve(known.yes);
    this.dockerAsked ??= new Promise<boolean>((resolve) => {
      const docker = spawn(this.dockerCli, ['info'], { stdio: 'ignore', timeout: 10_000 });
      docker.once('error', () => resolve(false));
      docker.once('exit', (code) => resolve(code === 0));
    }).then((yes) => {
      this.dockerAvailable = { yes, at: Date.now() };
      this.dockerAsked = undefined;
      return yes;
    });
    return this.dockerAsked;
  }

  /** Reports the eviction, forwards it to running tasks as SIGTERM, and acknowledges once they exited. */
  private async onEviction(event: ScheduledEvent, imds: MetadataServiceClient): Promise<void> {
    this.log(
      'warn',
      `${event.EventType} scheduled (${event.EventId}, not before ${event.NotBefore ?? 'unknown'})`,
    );
    this.evicted ??= `The node was evicted (${event.EventType}).`;
    const tasks = [...this.running.values()];
    // A task being ended already (a kill for a scale-down or by its user) keeps that first reason: a terminate
    // removal reported as an eviction would requeue its job instead of ending it.
    for (const task of tasks) task.end ??= { reason: 'evicted', message: this.evicted };
    let forwarded!: () => void;
    const previous = this.evictionForwarded;
    this.evictionForwarded = new Promise<void>((resolve) => (forwarded = resolve)).then(() => previous);
    // The notice before the SIGTERMs: the node's record says `leaving` before any exit of its tasks can requeue a
    // job, so the scheduler does not give the job back to this node. One that cannot be sent now is sent again
    // before any other event (the next heartbeat's, an exit's); the tasks get their SIGTERM either way.
    this.unsentNotices.push({
      body: {
        kind: 'evictionNotice',
        eventId: event.EventId,
        eventType: event.EventType as 'Preempt' | 'Terminate',
        notBefore: event.NotBefore || undefined,
      },
      time: new Date().toISOString(),
    });
    try {
      await this.sendNotices();
    } catch (error: unknown) {
      this.log(
        'error',
        `could not send the eviction notice of ${event.EventId} (sent again with the next heartbeat): ${(error as Error).message}`,
      );
      this.telemetry?.exception(error, { stage: 'evictionNotice', eventId: event.EventId });
    } finally {
      for (const task of tasks) this.signalTask(task, 'SIGTERM');
      forwarded();
    }
    const notBefore = event.NotBefore ? Date.parse(event.NotBefore) : NaN;
    const graceMs = Number.isNaN(notBefore) ? 30_000 : Math.max(0, notBefore - Date.now());
    void this.waitForTasks(graceMs).then(() =>
      imds
        .acknowledge([event.EventId])
        .catch((error: unknown) =>
          this.log('warn', `acknowledging ${event.EventId} failed: ${(error as Error).message}`),
        ),
    );
  }

  /**
   * Waits (at most `timeoutMs`) until no task runs and every exit is reported: an exit is what ends a job's
   * attempt, and a node removed once its tasks ended stops this agent right after its last exit.
   */
  private async waitForTasks(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.running.size > 0 || this.exitReports.size > 0) && Date.now() < deadline) await delay(50);
  }
}

/** A received task queue message as the agent takes it. */
interface ReceivedTaskItem {
  messageId: string;
  popReceipt: string;
  messageText: string;
  dequeueCount: number;
}

/**
 * A received message with its text decoded once, as it came (grouping by task and handling both read it):
 * `decoded` is undefined and `decodeError` set when the text is neither JSON nor base64-encoded JSON.
 */
export interface ReceivedMessage<T extends { messageText: string }> {
  item: T;
  decoded?: unknown;
  decodeError?: unknown;
}

export function decodeReceived<T extends { messageText: string }>(item: T): ReceivedMessage<T> {
  try {
    return { item, decoded: decodeQueueMessage(item.messageText) };
  } catch (error: unknown) {
    return { item, decodeError: error };
  }
}

/** The task message a received message holds; throws (a ContractError when it is not one) as parsing its text would. */
function parseReceived(received: ReceivedMessage<{ messageText: string }>): NodeTaskMessage {
  if ('decodeError' in received) throw received.decodeError;
  return parseNodeTaskMessage(received.decoded);
}

/**
 * A receive's messages grouped by the task they name, each group in the order received (a message that names none,
 * malformed, is a group of its own).
 */
export function messagesByTask<T extends { messageId: string; messageText: string }>(
  received: ReceivedMessage<T>[],
): ReceivedMessage<T>[][] {
  const groups = new Map<string, ReceivedMessage<T>[]>();
  for (const entry of received) {
    const taskId = (entry.decoded as { taskId?: unknown } | null | undefined)?.taskId;
    const key = typeof taskId === 'string' ? `task ${taskId}` : `message ${entry.item.messageId}`;
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [entry]);
  }
  return [...groups.values()];
}

/** What a task's exit event carries besides its outcome. */
function reportOf(message: RunTaskMessage): TaskReport {
  return {
    taskId: message.taskId,
    jobId: message.jobId,
    attempt: message.attempt,
    replyTo: message.replyTo,
    releasesNodeOf: message.releasesNodeOf,
    traceParent: message.traceParent,
    traceState: message.traceState,
  };
}

/** The exits of `batch` (task exits) as one `tasksExited` event: each exit's fields and its own time. */
function tasksExitedOf(batch: JournaledExit[]): TasksExitedBody {
  return {
    kind: 'tasksExited',
    exits: batch.map(({ exit, time }) => {
      if (exit.kind !== 'taskExited') throw new Error(`a ${exit.kind} event is not a task's exit`);
      const { kind: _kind, ...fields } = exit;
      return { ...fields, time };
    }),
  };
}

/** The trace context a task event carries (none for node events). */
function traceOf(event: NodeEventBody): { traceParent: string; traceState?: string } | undefined {
  return 'traceParent' in event && event.traceParent
    ? { traceParent: event.traceParent, traceState: event.traceState }
    : undefined;
}

function describe(outcome: TaskOutcome): string {
  if (outcome.error) return outcome.error;
  if (outcome.lost) return outcome.lost;
  return outcome.exitCode !== undefined ? `exit code ${outcome.exitCode}` : `signal ${outcome.signal}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
