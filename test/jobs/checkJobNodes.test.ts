// The job's node check over an in-memory node store: a node lost by its heartbeats is not lost for the job until it
// is gone (its task may still run: a frozen agent, a partition), a node whose setup failed is; an exit a node's
// record holds is returned, and a task a heartbeat stopped listing long ago with no exit is a lost one.
import { checkJobNodes } from '../../orchestrations/jobs/checkJobNodesActivity';
import { getJobServices, type JobServices } from '../../orchestrations/jobs/jobServices';
import type { NodeRecord } from '../../shared/ports/nodeStore';

jest.mock('../../orchestrations/jobs/jobServices', () => ({ getJobServices: jest.fn() }));

function withNodes(records: NodeRecord[]): void {
  const byId = new Map(records.map((record) => [record.nodeId, record]));
  jest.mocked(getJobServices).mockReturnValue({
    nodes: { get: async (_cluster: string, nodeId: string) => byId.get(nodeId) },
    config: { taskVanishedSeconds: 60 },
  } as unknown as JobServices);
}

function node(nodeId: string, fields: Partial<NodeRecord>): NodeRecord {
  return {
    nodeId,
    clusterKey: 'c',
    state: 'running',
    createdTime: '2030-01-01T00:00:00.000Z',
    runningTaskIds: [],
    runningJobIds: [],
    ...fields,
  };
}

const input = {
  clusterKey: 'c',
  nodeIds: ['a', 'b'],
  tasks: [
    { taskId: 'ta', nodeId: 'a' },
    { taskId: 'tb', nodeId: 'b' },
  ],
};

test('a node lost by its heartbeats is not lost for the job until it is gone', async () => {
  withNodes([
    node('a', { state: 'unusable', unusableReason: 'lost: no heartbeat', runningTaskIds: ['ta'] }),
    node('b', { runningTaskIds: ['tb'] }),
  ]);
  expect((await checkJobNodes(input)).lost).toEqual([]);
  // Deleted by the monitor (its processes with it): gone, so lost.
  withNodes([node('b', { runningTaskIds: ['tb'] })]);
  expect((await checkJobNodes(input)).lost).toEqual([
    { nodeId: 'a', reason: 'The node a is gone.', requeue: true, gone: true },
  ]);
});

test('a node whose setup failed is lost at once; the exits nodes hold are returned', async () => {
  withNodes([
    node('a', { state: 'unusable', unusableReason: 'The node setup task failed' }),
    node('b', { taskExits: { tb: { exitCode: 0, reason: 'exited', time: '2030-01-01T00:01:00.000Z' } } }),
  ]);
  const result = await checkJobNodes(input);
  expect(result.lost).toEqual([
    { nodeId: 'a', reason: 'The node a is unusable: The node setup task failed.', requeue: true },
  ]);
  expect(result.exits).toEqual({
    tb: { taskId: 'tb', exitCode: 0, reason: 'exited', time: '2030-01-01T00:01:00.000Z' },
  });
});
