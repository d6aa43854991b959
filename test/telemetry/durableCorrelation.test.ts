// Trace context from an HTTP request through the real local host and durable engine: the HTTP starter, its
// orchestration, the activities, a sub-orchestration and entities (signalled by the client, called by the
// orchestration) all receive `context.traceContext.traceParent` in the request's trace, each as its own span.
import * as path from 'path';
import { parseTraceParent } from '../../shared/telemetry/traceContext';
import { repoRoot, startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

const appRoot = path.join(repoRoot, 'test', 'fixtures', 'apps', 'durableApp');
let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment({ appRoot });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

interface TracedOutput {
  orchestration: string | null;
  activities: (string | null)[];
  child: { orchestration: string | null; activity: string | null };
  entity: string | null;
}

async function startTraced(
  headers: Record<string, string>,
): Promise<{ instanceId: string; signalledKey: string; starter: string | null }> {
  const res = await fetch(`${env.baseUrl}/api/traced`, { method: 'POST', headers });
  if (res.status !== 200) throw new Error(`POST /api/traced: ${res.status} ${await res.text()}`);
  return (await res.json()) as { instanceId: string; signalledKey: string; starter: string | null };
}

function completedOutput(instanceId: string): Promise<TracedOutput> {
  return waitFor(`${instanceId} to complete`, async () => {
    const res = await fetch(`${env.baseUrl}/api/client/status`, {
      method: 'POST',
      body: JSON.stringify({ instanceId }),
    });
    const status = (await res.json()) as { runtimeStatus: string; output: unknown };
    if (status.runtimeStatus === 'Failed')
      throw new Error(`${instanceId} failed: ${JSON.stringify(status.output)}`);
    return status.runtimeStatus === 'Completed' ? (status.output as TracedOutput) : undefined;
  });
}

function entityTraceParent(key: string): Promise<string> {
  return waitFor(`entity ${key} to run`, async () => {
    const res = await fetch(`${env.baseUrl}/api/traced/entity/${encodeURIComponent(key)}`);
    const body = (await res.json()) as { exists: boolean; traceParent: string | null };
    return body.exists && body.traceParent ? body.traceParent : undefined;
  });
}

/** Trace id and span id of every traceparent; fails on a missing or malformed one. */
function partsOf(traceParents: (string | null)[]): { traceId: string; spanId: string }[] {
  return traceParents.map((tp) => {
    const parts = parseTraceParent(tp);
    if (!parts) throw new Error(`not a valid traceparent: ${String(tp)}`);
    return parts;
  });
}

test('an HTTP starter, its orchestration, activities, sub-orchestration and entities share the request trace', async () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const callerSpan = 'b7ad6b7169203331';
  const started = await startTraced({
    traceparent: `00-${traceId}-${callerSpan}-01`,
    tracestate: 'vendor=1',
  });
  const output = await completedOutput(started.instanceId);
  const signalled = await entityTraceParent(started.signalledKey);

  const all = partsOf([
    started.starter,
    output.orchestration,
    ...output.activities,
    output.child.orchestration,
    output.child.activity,
    output.entity,
    signalled,
  ]);
  for (const parts of all) expect(parts.traceId).toBe(traceId);
  // Each invocation is its own span, none of them the caller's.
  const spans = all.map((p) => p.spanId);
  expect(new Set(spans).size).toBe(spans.length);
  expect(spans).not.toContain(callerSpan);
});

test('a request without traceparent starts a new trace that its orchestration joins', async () => {
  const first = await startTraced({});
  const second = await startTraced({});
  const [starter1, starter2] = partsOf([first.starter, second.starter]);
  expect(starter1.traceId).not.toBe(starter2.traceId);
  const output = await completedOutput(first.instanceId);
  const inner = partsOf([output.orchestration, ...output.activities, output.child.activity]);
  for (const parts of inner) expect(parts.traceId).toBe(starter1.traceId);
});
