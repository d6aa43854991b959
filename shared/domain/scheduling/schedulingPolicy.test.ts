// Unit tests of the cluster scheduling policy: priority and FCFS order, gangs, EASY backfill, no starvation,
// wait reasons, autoscale demand and low-priority nodes.
import { ValidationError } from '../errors';
import type { SchedulingDecision } from './schedulingDecision';
import type { RunningAllocation, SchedulerNode, SchedulingInput, WaitingJob } from './schedulingInput';
import { scheduleCluster } from './schedulingPolicy';

const now = '2024-05-01T12:00:00.000Z';
const minutesAgo = (m: number): string => new Date(Date.parse(now) - m * 60_000).toISOString();
const hour = 3600;

function idleNodes(count: number, extra: Partial<SchedulerNode> = {}): SchedulerNode[] {
  return Array.from({ length: count }, (_, i) => ({ id: `n${i}`, state: 'idle', ...extra }));
}

function job(id: string, nodeCount: number, extra: Partial<WaitingJob> = {}): WaitingJob {
  return {
    id,
    priority: 'normal',
    submitTime: minutesAgo(60),
    nodeCount,
    attempt: 1,
    maxWallClockSeconds: hour,
    ...extra,
  };
}

function input(parts: Partial<SchedulingInput>): SchedulingInput {
  const nodes = parts.nodes ?? idleNodes(4);
  return {
    now,
    nodes,
    running: [],
    queue: [],
    limits: { maxNodeCount: nodes.length, autoscale: false },
    ...parts,
  };
}

function started(decision: SchedulingDecision): string[] {
  return decision.starts.map((s) => s.jobId);
}

function reasonOf(decision: SchedulingDecision, jobId: string) {
  const entry = decision.waiting.find((w) => w.jobId === jobId);
  if (!entry) throw new Error(`job ${jobId} is not waiting`);
  return entry.reason;
}

describe('queue order', () => {
  test('high priority starts before normal and low, whatever the submit order', () => {
    const decision = scheduleCluster(
      input({
        nodes: idleNodes(1),
        queue: [
          job('low', 1, { priority: 'low', submitTime: minutesAgo(30) }),
          job('normal', 1, { submitTime: minutesAgo(20) }),
          job('high', 1, { priority: 'high', submitTime: minutesAgo(10) }),
        ],
      }),
    );
    expect(started(decision)).toEqual(['high']);
    expect(decision.waiting.map((w) => w.jobId)).toEqual(['normal', 'low']);
    expect(decision.waiting.map((w) => w.reason.position)).toEqual([1, 2]);
  });

  test('within a priority the first submitted starts first, ties broken by id', () => {
    const decision = scheduleCluster(
      input({
        nodes: idleNodes(2),
        queue: [job('c', 1, { submitTime: minutesAgo(5) }), job('b', 1), job('a', 1)],
      }),
    );
    expect(started(decision)).toEqual(['a', 'b']);
    expect(decision.waiting.map((w) => w.jobId)).toEqual(['c']);
  });

  test('the same input always gives the same decision', () => {
    const parts = input({ queue: [job('x', 2), job('y', 1), job('z', 3)] });
    expect(scheduleCluster(parts)).toEqual(scheduleCluster(JSON.parse(JSON.stringify(parts))));
  });
});

describe('gang scheduling', () => {
  test('a job gets all of its nodeCount distinct nodes at once or none', () => {
    const running: RunningAllocation[] = [
      { jobId: 'r', nodeIds: ['n0', 'n1'], startTime: minutesAgo(10), maxWallClockSeconds: hour },
    ];
    const decision = scheduleCluster(input({ running, queue: [job('gang', 3)] }));
    expect(decision.starts).toEqual([]);
    expect(reasonOf(decision, 'gang').code).toBe('WaitingForRunningJobs');

    const fits = scheduleCluster(input({ running, queue: [job('gang', 2)] }));
    expect(fits.starts).toEqual([{ jobId: 'gang', attempt: 1, nodeIds: ['n2', 'n3'], backfilled: false }]);
  });

  test('a node with two slots hosts two jobs but one gang never takes two slots of one node', () => {
    const nodes = idleNodes(2, { slots: 2 });
    const decision = scheduleCluster(
      input({
        nodes,
        queue: [job('a', 2), job('b', 2), job('c', 1)],
        limits: { maxNodeCount: 2, autoscale: false },
      }),
    );
    expect(decision.starts.map((s) => [s.jobId, s.nodeIds.length, new Set(s.nodeIds).size])).toEqual([
      ['a', 2, 2],
      ['b', 2, 2],
    ]);
    expect(reasonOf(decision, 'c').code).toBe('WaitingForRunningJobs');
  });

  test('the attempt to run is carried into the start decision', () => {
    const decision = scheduleCluster(input({ queue: [job('requeued', 2, { attempt: 3 })] }));
    expect(decision.starts[0]).toMatchObject({ jobId: 'requeued', attempt: 3 });
  });
});

describe('EASY backfill', () => {
  // 4 nodes; n0-n2 busy until now+30min; the head needs 4 nodes, so it is reserved for now+30min.
  const running: RunningAllocation[] = [
    { jobId: 'long', nodeIds: ['n0', 'n1', 'n2'], startTime: minutesAgo(30), maxWallClockSeconds: hour },
  ];

  test('a short job backfills a free node when it ends before the reservation', () => {
    const decision = scheduleCluster(
      input({ running, queue: [job('big', 4), job('short', 1, { maxWallClockSeconds: 20 * 60 })] }),
    );
    expect(decision.starts).toEqual([{ jobId: 'short', attempt: 1, nodeIds: ['n3'], backfilled: true }]);
    expect(decision.reservation).toEqual({
      jobId: 'big',
      nodeIds: ['n0', 'n1', 'n2', 'n3'],
      expectedStartTime: '2024-05-01T12:30:00.000Z',
    });
    expect(reasonOf(decision, 'big')).toMatchObject({
      code: 'WaitingForRunningJobs',
      expectedStartTime: '2024-05-01T12:30:00.000Z',
      waitingForJobIds: ['long', 'short'],
    });
  });

  test('a job that would outlive the reservation is refused and says which job it would delay', () => {
    const decision = scheduleCluster(
      input({ running, queue: [job('big', 4), job('long2', 1, { maxWallClockSeconds: 2 * hour })] }),
    );
    expect(decision.starts).toEqual([]);
    expect(reasonOf(decision, 'long2')).toMatchObject({
      code: 'BlockedByReservation',
      blockedByJobId: 'big',
      position: 2,
    });
  });

  test('a job without a known wall-clock bound is not backfilled in front of a reservation', () => {
    const decision = scheduleCluster(
      input({ running, queue: [job('big', 4), job('unbounded', 1, { maxWallClockSeconds: undefined })] }),
    );
    expect(decision.starts).toEqual([]);
    expect(reasonOf(decision, 'unbounded').code).toBe('BlockedByReservation');
  });

  test('a long job may use nodes the reserved job does not need', () => {
    // 6 nodes, 3 busy until +30min, head needs 4: two free nodes are spare at the shadow time.
    const decision = scheduleCluster(
      input({
        nodes: idleNodes(6),
        running,
        queue: [
          job('big', 4),
          job('long2', 2, { maxWallClockSeconds: 5 * hour }),
          job('long3', 1, { maxWallClockSeconds: 5 * hour }),
        ],
      }),
    );
    expect(started(decision)).toEqual(['long2']);
    expect(decision.starts[0].nodeIds.some((id) => decision.reservation?.nodeIds.includes(id))).toBe(false);
    expect(reasonOf(decision, 'long3').code).toBe('BlockedByReservation');
  });

  test('when a running job has no known end, nothing is backfilled in front of the waiting gang', () => {
    const unknown: RunningAllocation[] = [
      { jobId: 'open', nodeIds: ['n0', 'n1', 'n2'], startTime: minutesAgo(5) },
    ];
    const decision = scheduleCluster(
      input({ running: unknown, queue: [job('big', 4), job('tiny', 1, { maxWallClockSeconds: 60 })] }),
    );
    expect(decision.starts).toEqual([]);
    const head = reasonOf(decision, 'big');
    expect(head.code).toBe('WaitingForRunningJobs');
    expect(head.expectedStartTime).toBeUndefined();
    expect(head.message).toContain('no wall-clock bound known');
  });

  test('a job too large for the cluster holds no reservation, so the others still run', () => {
    const decision = scheduleCluster(
      input({ queue: [job('huge', 5), job('small', 2, { maxWallClockSeconds: 9 * hour })] }),
    );
    expect(started(decision)).toEqual(['small']);
    expect(decision.reservation).toBeUndefined();
    expect(reasonOf(decision, 'huge')).toMatchObject({ code: 'ExceedsClusterSize', nodesNeeded: 5 });
    expect(decision.autoscale.unsatisfiableJobIds).toEqual(['huge']);
  });

  test('no idle node is left while a waiting job could start without delaying the reservation', () => {
    const decision = scheduleCluster(
      input({
        nodes: idleNodes(8),
        running: [
          {
            jobId: 'r',
            nodeIds: ['n0', 'n1', 'n2', 'n3', 'n4'],
            startTime: minutesAgo(0),
            maxWallClockSeconds: hour,
          },
        ],
        queue: [
          job('big', 8),
          job('s1', 1, { maxWallClockSeconds: 600 }),
          job('s2', 1, { maxWallClockSeconds: 600 }),
          job('s3', 1, { maxWallClockSeconds: 600 }),
          job('s4', 1, { maxWallClockSeconds: 600 }),
        ],
      }),
    );
    expect(started(decision)).toEqual(['s1', 's2', 's3']);
    expect(reasonOf(decision, 's4').code).toBe('InsufficientFreeNodes');
  });
});

describe('no starvation', () => {
  test('a gang waiting behind running jobs starts once they end, despite a stream of small jobs', () => {
    // Simulate: 4 nodes, small 1-node jobs of 50 minutes arrive every 10 minutes; a 4-node job arrives at t=5.
    let clock = Date.parse(now);
    const iso = (ms: number): string => new Date(ms).toISOString();
    let running: RunningAllocation[] = [];
    let queue: WaitingJob[] = [];
    let counter = 0;
    let bigStartedAt: number | undefined;
    for (let step = 0; step < 60 && bigStartedAt === undefined; step++) {
      queue.push({
        id: `small-${counter++}`,
        priority: 'normal',
        submitTime: iso(clock),
        nodeCount: 1,
        attempt: 1,
        maxWallClockSeconds: 3000,
      });
      if (step === 1)
        queue.push({
          id: 'big',
          priority: 'normal',
          submitTime: iso(clock),
          nodeCount: 4,
          attempt: 1,
          maxWallClockSeconds: 3000,
        });
      // Jobs end exactly at their wall-clock limit.
      running = running.filter((r) => Date.parse(r.startTime) + (r.maxWallClockSeconds ?? 0) * 1000 > clock);
      const decision = scheduleCluster({
        now: iso(clock),
        nodes: idleNodes(4),
        running,
        queue,
        limits: { maxNodeCount: 4, autoscale: false },
      });
      for (const start of decision.starts) {
        const started = queue.find((q) => q.id === start.jobId) as WaitingJob;
        if (started.id === 'big') bigStartedAt = clock;
        running.push({
          jobId: started.id,
          nodeIds: start.nodeIds,
          startTime: iso(clock),
          maxWallClockSeconds: started.maxWallClockSeconds,
        });
      }
      queue = queue.filter((q) => !decision.starts.some((s) => s.jobId === q.id));
      clock += 10 * 60_000;
    }
    expect(bigStartedAt).toBeDefined();
    // Arrived at +10 min; the jobs already running end by +60 min at the latest.
    expect((bigStartedAt as number) - Date.parse(now)).toBeLessThanOrEqual(60 * 60_000);
  });
});

describe('wait reasons', () => {
  test("a cluster with 0 nodes and autoscale off says so, with each job's place in the queue", () => {
    const decision = scheduleCluster(
      input({
        nodes: [],
        queue: [job('j', 1), job('k', 1), job('l', 1)],
        limits: { maxNodeCount: 0, autoscale: false },
      }),
    );
    expect(reasonOf(decision, 'j')).toMatchObject({ code: 'ClusterHasNoNodes', position: 1, nodesFree: 0 });
    expect(reasonOf(decision, 'j').message).toContain('autoscale is off');
    expect(reasonOf(decision, 'l')).toMatchObject({ code: 'ClusterHasNoNodes', position: 3 });
  });

  test('a gang larger than the autoscale maximum names the maximum', () => {
    const decision = scheduleCluster(
      input({ nodes: [], queue: [job('j', 3)], limits: { maxNodeCount: 2, autoscale: true } }),
    );
    expect(reasonOf(decision, 'j').code).toBe('ExceedsClusterSize');
    expect(reasonOf(decision, 'j').message).toContain('maximumNodeCount is 2');
  });

  test('waiting for nodes still provisioning', () => {
    const nodes: SchedulerNode[] = [...idleNodes(1), { id: 'p1', state: 'preparing' }];
    const decision = scheduleCluster(
      input({ nodes, queue: [job('j', 2)], limits: { maxNodeCount: 2, autoscale: false } }),
    );
    expect(reasonOf(decision, 'j')).toMatchObject({
      code: 'WaitingForProvisioning',
      nodesProvisioning: 1,
      nodesFree: 1,
    });
    expect(decision.reservation?.nodeIds).toEqual(['n0', 'p1']);
  });

  test('waiting for autoscale to add nodes, and backfill is limited to nodes the gang does not need', () => {
    const decision = scheduleCluster(
      input({
        nodes: idleNodes(2),
        queue: [job('gang', 4), job('s', 1, { maxWallClockSeconds: 5 * 60 * 60 })],
        running: [{ jobId: 'r', nodeIds: ['n0'], startTime: minutesAgo(1), maxWallClockSeconds: 60 }],
        limits: { maxNodeCount: 4, autoscale: true },
      }),
    );
    expect(reasonOf(decision, 'gang')).toMatchObject({ code: 'WaitingForScaleUp' });
    expect(reasonOf(decision, 'gang').message).toContain('autoscale must add 2 nodes');
    // n1 is the only free node and the gang needs it when the new nodes arrive: the 5-hour job must not take it.
    expect(reasonOf(decision, 's').code).toBe('BlockedByReservation');
  });

  test("the core quota holds the cluster's growth back: the first job says so, in either scale mode", () => {
    for (const autoscale of [true, false]) {
      const decision = scheduleCluster(
        input({
          nodes: idleNodes(2),
          queue: [job('gang', 4)],
          limits: { maxNodeCount: 4, autoscale, quotaNodeCount: 2 },
        }),
      );
      expect(reasonOf(decision, 'gang')).toMatchObject({ code: 'WaitingForQuota', nodesFree: 2 });
      expect(reasonOf(decision, 'gang').message).toContain(
        "the cluster must add 2 nodes but the location's core quota leaves room for 2 nodes of its size",
      );
    }
    // The nodes it waits for are within the room the quota leaves: they are coming, the quota is not the reason.
    const coming = scheduleCluster(
      input({
        nodes: idleNodes(2),
        queue: [job('trio', 3)],
        limits: { maxNodeCount: 4, autoscale: true, quotaNodeCount: 3 },
      }),
    );
    expect(reasonOf(coming, 'trio').code).toBe('WaitingForScaleUp');
    // Waiting for running jobs only (no node to add): the quota is not the reason.
    const busy = scheduleCluster(
      input({
        nodes: idleNodes(2),
        queue: [job('pair', 2)],
        running: [{ jobId: 'r', nodeIds: ['n0'], startTime: minutesAgo(1), maxWallClockSeconds: 60 }],
        limits: { maxNodeCount: 2, autoscale: true, quotaNodeCount: 2 },
      }),
    );
    expect(reasonOf(busy, 'pair').code).toBe('WaitingForRunningJobs');
  });

  test('a quota node count that is not a count is refused, naming the field', () => {
    expect(() =>
      scheduleCluster(input({ limits: { maxNodeCount: 4, autoscale: false, quotaNodeCount: -1 } })),
    ).toThrow("'limits.quotaNodeCount'");
  });

  test('new nodes are expected in minutes: a backfill may not outlast them, and a gang that also waits for a running job names it', () => {
    // Manual cluster of 4: A (7 h) runs on n0, n1 and n2 are idle, n3 is provisioning; the gang needs 3 nodes.
    const provisioning = input({
      nodes: [...idleNodes(3), { id: 'n3', state: 'preparing' }],
      queue: [job('gang', 3), job('long', 1, { maxWallClockSeconds: 6 * hour })],
      running: [{ jobId: 'A', nodeIds: ['n0'], startTime: minutesAgo(1), maxWallClockSeconds: 7 * hour }],
      limits: { maxNodeCount: 4, autoscale: false },
    });
    const first = scheduleCluster(provisioning);
    // The gang gets n1, n2 and n3 (minutes away), not A's node hours away: the 6-hour job may not take n1 or n2.
    expect(reasonOf(first, 'gang')).toMatchObject({ code: 'WaitingForProvisioning' });
    expect(first.reservation?.nodeIds).toEqual(['n1', 'n2', 'n3']);
    expect(first.starts).toEqual([]);
    expect(reasonOf(first, 'long').code).toBe('BlockedByReservation');

    // Cluster of 3: n0 idle, A (1 h) on n1, n2 provisioning; the gang needs all 3, so it waits for A: a 5-minute job
    // on n0 cannot delay it.
    const waitsForA = scheduleCluster(
      input({
        nodes: [...idleNodes(2), { id: 'n2', state: 'preparing' }],
        queue: [job('gang', 3), job('short', 1, { maxWallClockSeconds: 5 * 60 })],
        running: [{ jobId: 'A', nodeIds: ['n1'], startTime: minutesAgo(1), maxWallClockSeconds: hour }],
        limits: { maxNodeCount: 3, autoscale: false },
      }),
    );
    expect(waitsForA.starts.map((start) => start.jobId)).toEqual(['short']);
    expect(reasonOf(waitsForA, 'gang')).toMatchObject({ code: 'WaitingForRunningJobs' });
    expect(reasonOf(waitsForA, 'gang').message).toContain('A');
    expect(reasonOf(waitsForA, 'gang').message).toContain('1 node still provisioning');
  });

  test('a job that does not fit the free nodes waits behind the reservation holder', () => {
    const decision = scheduleCluster(
      input({
        running: [
          { jobId: 'r', nodeIds: ['n0', 'n1', 'n2'], startTime: minutesAgo(1), maxWallClockSeconds: hour },
        ],
        queue: [job('a', 4), job('b', 2)],
      }),
    );
    expect(reasonOf(decision, 'b')).toMatchObject({
      code: 'InsufficientFreeNodes',
      blockedByJobId: 'a',
      position: 2,
      nodesFree: 1,
    });
  });

  test('unusable and leaving nodes take no work', () => {
    const nodes: SchedulerNode[] = [
      { id: 'u', state: 'unusable' },
      { id: 'l', state: 'leaving' },
      { id: 'ok', state: 'idle' },
    ];
    const decision = scheduleCluster(
      input({ nodes, queue: [job('a', 1), job('b', 1)], limits: { maxNodeCount: 2, autoscale: false } }),
    );
    expect(decision.starts).toEqual([{ jobId: 'a', attempt: 1, nodeIds: ['ok'], backfilled: false }]);
    expect(reasonOf(decision, 'b')).toMatchObject({ code: 'WaitingForRunningJobs', nodesUsable: 1 });
  });
});

describe('autoscale demand', () => {
  test('wants the running nodes plus the waiting gangs, bounded by the maximum', () => {
    const decision = scheduleCluster(
      input({
        nodes: idleNodes(2),
        running: [{ jobId: 'r', nodeIds: ['n0', 'n1'], startTime: minutesAgo(1), maxWallClockSeconds: hour }],
        queue: [job('a', 3), job('b', 2), job('c', 9)],
        limits: { maxNodeCount: 6, minNodeCount: 1, autoscale: true },
      }),
    );
    expect(decision.autoscale).toEqual({
      wantedNodeCount: 7,
      desiredNodeCount: 6,
      limitedByMaximum: true,
      unsatisfiableJobIds: ['c'],
    });
  });

  test('a cluster of several job slots per node wants nodes for the slots its jobs need, from zero nodes', () => {
    const queue = Array.from({ length: 9 }, (_, i) => job(`j${i}`, 1));
    const decision = scheduleCluster(
      input({ nodes: [], queue, limits: { maxNodeCount: 10, autoscale: true, slotsPerNode: 4 } }),
    );
    // Nine one-node jobs on four-slot nodes: three nodes, not nine.
    expect(decision.autoscale).toMatchObject({ wantedNodeCount: 3, desiredNodeCount: 3 });
    expect(reasonOf(decision, 'j8').code).not.toBe('ExceedsClusterSize');
  });

  test('limits.slotsPerNode is checked, naming the field', () => {
    const bad = (): unknown =>
      scheduleCluster(input({ limits: { maxNodeCount: 1, autoscale: true, slotsPerNode: 0 } }));
    expect(bad).toThrow(ValidationError);
    expect(bad).toThrow("'limits.slotsPerNode'");
  });

  test('an idle cluster scales to its minimum', () => {
    const decision = scheduleCluster(
      input({ nodes: idleNodes(3), limits: { maxNodeCount: 5, minNodeCount: 1, autoscale: true } }),
    );
    expect(decision.autoscale).toMatchObject({
      wantedNodeCount: 0,
      desiredNodeCount: 1,
      limitedByMaximum: false,
    });
  });

  test('a manually scaled cluster keeps its target', () => {
    const decision = scheduleCluster(input({ queue: [job('a', 2), job('b', 4)] }));
    expect(decision.autoscale.desiredNodeCount).toBe(4);
  });
});

describe('low-priority nodes', () => {
  const nodes: SchedulerNode[] = [
    { id: 'd0', state: 'idle' },
    { id: 'd1', state: 'idle' },
    { id: 's0', state: 'idle', lowPriority: true },
    { id: 's1', state: 'idle', lowPriority: true },
  ];

  test('gangs and high-priority jobs take dedicated nodes, single-node normal jobs take low-priority nodes', () => {
    const decision = scheduleCluster(
      input({ nodes, queue: [job('gang', 2, { submitTime: minutesAgo(90) }), job('single', 1)] }),
    );
    expect(decision.starts.map((s) => [s.jobId, s.nodeIds])).toEqual([
      ['gang', ['d0', 'd1']],
      ['single', ['s0']],
    ]);
    const high = scheduleCluster(input({ nodes, queue: [job('h', 1, { priority: 'high' })] }));
    expect(high.starts[0].nodeIds).toEqual(['d0']);
  });

  test('a job runs on low-priority nodes when no dedicated node is free', () => {
    const decision = scheduleCluster(input({ nodes, queue: [job('gang', 3)] }));
    expect(decision.starts[0].nodeIds).toEqual(['d0', 'd1', 's0']);
  });
});

describe('input validation', () => {
  test('bad input names the field', () => {
    expect(() => scheduleCluster(input({ queue: [job('a', 0)] }))).toThrow(ValidationError);
    expect(() => scheduleCluster(input({ queue: [job('a', 0)] }))).toThrow("'queue[0].nodeCount'");
    expect(() => scheduleCluster(input({ queue: [job('a', 1, { submitTime: 'yesterday' })] }))).toThrow(
      "'queue[0].submitTime'",
    );
    expect(() => scheduleCluster(input({ nodes: [...idleNodes(1), ...idleNodes(1)] }))).toThrow(
      "Duplicate id 'n0'",
    );
  });
});

test('an unusable node takes room in a manual cluster, not under autoscale (which replaces it)', () => {
  const nodes = [...idleNodes(2), { id: 'bad', state: 'unusable' as const }];
  const manual = scheduleCluster(
    input({ nodes, queue: [job('gang', 3)], limits: { maxNodeCount: 3, autoscale: false } }),
  );
  expect(reasonOf(manual, 'gang')).toMatchObject({ code: 'ExceedsClusterSize' });
  expect(reasonOf(manual, 'gang').message).toContain('1 unusable');
  const autoscaled = scheduleCluster(
    input({ nodes, queue: [job('gang', 3)], limits: { maxNodeCount: 3, autoscale: true } }),
  );
  expect(reasonOf(autoscaled, 'gang')).toMatchObject({ code: 'WaitingForScaleUp' });
  expect(autoscaled.autoscale.wantedNodeCount).toBe(3);
  expect(autoscaled.autoscale.unsatisfiableJobIds).toEqual([]);
});
