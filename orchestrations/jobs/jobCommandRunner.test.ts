// restartJobLifecycle against a stand-in Durable client: a lifecycle that ended is started again, adopting the job,
// in the job's own trace (not its starter's: a reconciler tick, a scheduling pass); a running one is left alone.
import type { DurableClient } from 'durable-functions';
import {
  activeTraceContext,
  ensureTraceContextPropagation,
  runInTraceContext,
} from '../../shared/telemetry/traceContextPropagation';
import { restartJobLifecycle } from './jobCommandRunner';

const jobTrace = { traceParent: '00-7cf92f3577b34da6a3ce929d0e0e4799-11f067aa0ba902b8-01' };
const starterTrace = { traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
const input = {
  job: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', experiment: 'e', name: 'j' },
  jobUuid: '00000000-0000-0000-0000-000000000001',
  clusterKey: 'ck',
};

function client(status: string | undefined): {
  client: DurableClient;
  started: unknown[];
  traces: unknown[];
} {
  const started: unknown[] = [];
  const traces: ReturnType<typeof activeTraceContext>[] = [];
  const fake = {
    getStatus: async () => {
      if (status === undefined) throw new Error('404');
      return { runtimeStatus: status };
    },
    startNew: async (name: string, options: { instanceId: string; input: unknown }) => {
      started.push({ name, ...options });
      traces.push(activeTraceContext());
      return options.instanceId;
    },
  };
  return { client: fake as unknown as DurableClient, started, traces };
}

beforeAll(() => ensureTraceContextPropagation());

test("a lifecycle that ended is started again, adopting the job, in the job's trace", async () => {
  for (const status of [undefined, 'Completed', 'Terminated', 'Failed']) {
    const c = client(status);
    const restarted = await runInTraceContext(starterTrace, () =>
      restartJobLifecycle(c.client, input, jobTrace),
    );
    expect(restarted).toBe(true);
    expect(c.started).toEqual([
      {
        name: 'JobLifecycle',
        instanceId: `job-${input.jobUuid}`,
        input: { ...input, adopt: true },
      },
    ]);
    expect(c.traces).toEqual([jobTrace]);
  }
});

test("a job without a trace of its own is started in its starter's; a running lifecycle is left alone", async () => {
  const untraced = client(undefined);
  await runInTraceContext(starterTrace, () => restartJobLifecycle(untraced.client, input));
  expect(untraced.traces).toEqual([starterTrace]);
  const running = client('Running');
  expect(await restartJobLifecycle(running.client, input, jobTrace)).toBe(false);
  expect(running.started).toEqual([]);
});
