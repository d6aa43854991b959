// Test support: a real NodeAgent with fake queues and blobs in memory, driven message by message (no storage
// emulator): what it sends, what it writes into each blob, and hooks to slow down or fail each step.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { AgentConfig } from '../../../shared/contracts/agentConfig';
import { nodeTaskSchema } from '../../../shared/contracts/nodeTask';
import { decodeQueueMessage, encodeQueueMessage } from '../../../shared/contracts/wireEncoding';
import { decodeReceived, NodeAgent, type ReceivedMessage } from '../../../agent/nodeAgent';

export interface AgentHarness {
  agent: NodeAgent;
  /** The agent's private members, for the test to drive. */
  inner: Record<string, unknown>;
  /** Node events sent, decoded. */
  sent: Record<string, unknown>[];
  /** Blob contents by name. */
  blobs: Map<string, Buffer[]>;
  dir: string;
  log: string[];
  /** When true, sending a node event fails (the queue is down). */
  eventsDown: { value: boolean };
  handle(body: Record<string, unknown>): Promise<void>;
  waitFor(
    predicate: (event: Record<string, unknown>) => boolean,
    ms?: number,
  ): Promise<Record<string, unknown>>;
  /** An eviction notice (Scheduled Events), as the watcher hands it over; `acknowledged` gets its id. */
  evict(notBeforeMs: number): Promise<void>;
  acknowledged: string[];
  cleanup(): Promise<void>;
}

export function agentHarness(extra: Partial<AgentConfig> = {}): AgentHarness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-harness-'));
  const sent: Record<string, unknown>[] = [];
  const log: string[] = [];
  const blobs = new Map<string, Buffer[]>();
  const eventsDown = { value: false };
  const agent = new NodeAgent(
    {
      schema: 'batchai.agentConfig',
      version: 2,
      mode: 'local',
      nodeId: 'n',
      workRoot: dir,
      clusterKey: 'c',
      vmSize: 'x',
      cpuCount: 1,
      gpuCount: 0,
      nodeEventsQueue: 'e',
      setupOutputContainer: 's',
      heartbeatIntervalMs: 1000,
      taskPollIntervalMs: 100,
      scheduledEventsPollIntervalMs: 100,
      storage: {},
      ...extra,
    } as unknown as AgentConfig,
    (level, message) => log.push(`${level}: ${message}`),
  );
  const inner = agent as unknown as Record<string, unknown>;
  inner.nodeId = 'n';
  inner.eventsQueue = {
    sendMessage: async (text: string) => {
      if (eventsDown.value) throw new Error('the node events queue is down');
      sent.push(decodeQueueMessage(text) as Record<string, unknown>);
    },
  };
  inner.storage = {
    blobs: {
      getContainerClient: () => ({
        createIfNotExists: async () => ({}),
        getAppendBlobClient: (name: string) => ({
          createIfNotExists: async () => {
            if (!blobs.has(name)) blobs.set(name, []);
            return {};
          },
          appendBlock: async (body: Buffer) => {
            blobs.get(name)?.push(Buffer.from(body));
            return {};
          },
        }),
      }),
    },
  };
  const handle = (body: Record<string, unknown>): Promise<void> =>
    (inner.handleMessage as (received: ReceivedMessage<{ messageText: string }>) => Promise<void>).call(
      agent,
      decodeReceived({ messageText: encodeQueueMessage({ schema: nodeTaskSchema, version: 4, ...body }) }),
    );
  const waitFor = async (
    predicate: (event: Record<string, unknown>) => boolean,
    ms = 30_000,
  ): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = sent.find(predicate);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no such event; sent: ${sent.map((e) => `${e.kind}:${e.taskId ?? ''}`).join(' ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const acknowledged: string[] = [];
  const evict = (notBeforeMs: number): Promise<void> =>
    (inner.onEviction as (event: unknown, imds: unknown) => Promise<void>).call(
      agent,
      {
        EventId: `event-${acknowledged.length + 1}`,
        EventType: 'Preempt',
        ResourceType: 'VirtualMachine',
        Resources: ['n'],
        EventStatus: 'Scheduled',
        NotBefore: new Date(Date.now() + notBeforeMs).toUTCString(),
      },
      { acknowledge: async (ids: string[]) => void acknowledged.push(...ids) },
    );
  return {
    agent,
    inner,
    evict,
    acknowledged,
    sent,
    blobs,
    dir,
    log,
    eventsDown,
    handle,
    waitFor,
    cleanup: async () => {
      await agent.stop(2_000); // SIGTERM, then SIGKILL, to what still runs
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A run message's body. */
export function runTask(
  taskId: string,
  commandLine: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    kind: 'runTask',
    taskId,
    jobId: 'j',
    attempt: 1,
    commandLine,
    stdout: { container: 'logs', name: `${taskId}/stdout.txt` },
    stderr: { container: 'logs', name: `${taskId}/stderr.txt` },
    ...extra,
  };
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `predicate` holds (checked every 20 ms); throws after `ms`. */
export async function waitUntil(predicate: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not so after ${ms} ms: ${predicate.toString()}`);
    await delay(20);
  }
}
