// End to end, the real app on the local host with local nodes, telemetry to the Application Insights ingestion
// fake: a job PUT with a `traceparent` is one distributed trace from the API request through the job's lifecycle
// activities to the node agent's task run and back through the node-events trigger; an activity that fails is an
// exception in that trace, once per failed invocation. Needs `npx tsc -p tsconfig.json` first.
import * as path from 'path';
import { listNodeDirs } from '../../shared/adapters/compute/localNodeRegistry';
import {
  startAppInsightsIngestionFake,
  type AppInsightsIngestionFake,
  type TelemetryEnvelope,
} from '../../runtime/fakes/appInsightsIngestionFake';
import { ApiClient } from '../api/apiClient';
import {
  customJob,
  experiment,
  startJobTestBed,
  type JobTestBed,
  jobEnded,
} from '../jobs/support/jobTestBed';
import { waitFor } from '../support/testEnvironment';

let fake: AppInsightsIngestionFake;
let bed: JobTestBed;
let telemetrySettings: Record<string, string>;

beforeAll(async () => {
  fake = await startAppInsightsIngestionFake();
  telemetrySettings = {
    APPLICATIONINSIGHTS_CONNECTION_STRING: fake.connectionString,
    APPLICATIONINSIGHTS_INGESTION_CA_FILE: fake.certificateFile,
    OTEL_TRACES_SAMPLER: 'always_on',
    APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL: 'true',
  };
  // The host passes the telemetry settings on to the local nodes' agents.
  bed = await startJobTestBed(telemetrySettings);
  await bed.createCluster('traced', 1);
}, 180_000);

afterAll(async () => {
  await bed?.stop();
  await fake?.stop();
});

function inTrace(envelopes: TelemetryEnvelope[], traceId: string): TelemetryEnvelope[] {
  return envelopes.filter((e) => e.tags['ai.operation.id'] === traceId);
}

function propertiesOf(envelope: TelemetryEnvelope): Record<string, string> {
  return (envelope.data.baseData.properties ?? {}) as Record<string, string>;
}

function find(
  envelopes: TelemetryEnvelope[],
  baseType: string,
  predicate: (baseData: Record<string, unknown>, properties: Record<string, string>) => boolean,
): TelemetryEnvelope | undefined {
  return envelopes.find((e) => e.data.baseType === baseType && predicate(e.data.baseData, propertiesOf(e)));
}

test('a job PUT with traceparent: request, lifecycle activity, agent task run and node-events trigger share its trace', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  // No job preparation: the main process is the first phase, launched by the cluster's scheduler at the grant,
  // in the job's trace all the same (the job keeps its submission's trace context). The grant comes from a pass
  // that another job's exit wakes (the job runs on the cluster's only node), not from this job's submission.
  await bed.putJob('ahead', customJob(bed, 'traced', 'sleep 3'));
  await bed.waitForJob('ahead', 'running', (p) => p.executionState === 'running', 60_000);
  const submitted = await bed.api.send(
    'PUT',
    `${experiment}/jobs/traced`,
    { properties: customJob(bed, 'traced', 'echo traced-main') },
    { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
  );
  expect(submitted.status).toBeLessThan(300);
  const done = await bed.waitForJob('traced', 'ended', jobEnded, 120_000);
  expect(done.executionState).toBe('succeeded');
  const [nodeDir] = listNodeDirs(bed.dataDir);
  const nodeId = path.basename(nodeDir);

  const isRequest = (e: TelemetryEnvelope[]) =>
    find(e, 'RequestData', (d) => String(d.name).startsWith('PUT ') && String(d.name).includes('/jobs/'));
  const isAttemptEnd = (e: TelemetryEnvelope[]) =>
    find(e, 'EventData', (d, p) => d.name === 'JobAttemptEnded' && p.functionName === 'CompleteJobAttempt');
  const isTaskRun = (e: TelemetryEnvelope[]) =>
    find(e, 'RequestData', (d, p) => d.name === 'RunTask' && p.taskId?.endsWith('-master') === true);
  const isTriggerItem = (e: TelemetryEnvelope[]) =>
    find(
      e,
      'EventData',
      (d, p) =>
        d.name === 'NodeTaskExited' && p.functionName === 'nodeEvents' && p.taskId?.endsWith('-master'),
    );
  const envelopes = inTrace(
    await fake
      .waitFor((all) => {
        const traced = inTrace(all, traceId);
        return [isRequest, isAttemptEnd, isTaskRun, isTriggerItem].every(
          (probe) => probe(traced) !== undefined,
        );
      }, 90_000)
      .catch(() => fake.envelopes()),
    traceId,
  );
  const kinds = envelopes.map((e) => `${e.data.baseType}:${String(e.data.baseData.name)}`);
  expect(isRequest(envelopes)).toBeDefined();
  expect(kinds).toContain('EventData:JobAttemptEnded');
  const attemptEnd = propertiesOf(isAttemptEnd(envelopes)!);
  expect(attemptEnd).toMatchObject({ outcome: 'succeeded', attempt: '1', exitCode: '0' });

  // The agent's task run, with its exit, node and job.
  const taskRun = isTaskRun(envelopes);
  expect(kinds).toContain('RequestData:RunTask');
  expect(propertiesOf(taskRun!)).toMatchObject({ exitCode: '0', reason: 'exited', nodeId, attempt: '1' });
  expect(propertiesOf(taskRun!).jobId).toMatch(/\/jobs\/traced$/);
  expect(taskRun!.data.baseData.success).toBe(true);

  // The node-events trigger handled the master's exit in the job's trace.
  expect(kinds).toContain('EventData:NodeTaskExited');
  expect(propertiesOf(isTriggerItem(envelopes)!)).toMatchObject({ exitCode: '0', nodeId });
  expect(JSON.stringify(envelopes)).not.toContain('c2VjcmV0LWtleQ==');
}, 240_000);

test('an activity failing on every retry is an exception in the job trace, once per failed invocation', async () => {
  // CheckJobNodes runs on every node check (each second here) and fails every time.
  await bed.env.restartHost({ JOB_TEST_FAIL_ACTIVITY: 'CheckJobNodes', JOB_NODE_CHECK_SECONDS: '1' });
  const api = new ApiClient(bed.env.baseUrl);
  const traceId = '7cf92f3577b34da6a3ce929d0e0e4799';
  const submitted = await api.send(
    'PUT',
    `${experiment}/jobs/doomed`,
    { properties: customJob(bed, 'traced', 'exec sleep 600') },
    { traceparent: `00-${traceId}-11f067aa0ba902b8-01` },
  );
  expect(submitted.status).toBeLessThan(300);
  const ended = await waitFor(
    'job doomed to fail',
    async () => {
      const job = await api.send('GET', `${experiment}/jobs/doomed`);
      const properties = job.body.properties as { executionState?: string } | undefined;
      const state = properties?.executionState;
      return state === 'failed' || state === 'succeeded' ? properties : undefined;
    },
    120_000,
  );
  const checkFailures = (all: TelemetryEnvelope[]): TelemetryEnvelope[] =>
    all.filter(
      (e) => e.data.baseType === 'ExceptionData' && propertiesOf(e).functionName === 'CheckJobNodes',
    );
  const failures = (all: TelemetryEnvelope[]): TelemetryEnvelope[] => inTrace(checkFailures(all), traceId);
  const envelopes = await fake
    .waitFor((all) => failures(all).length > 0, 60_000)
    .catch(() => fake.envelopes());
  const exceptions = failures(envelopes);
  // Said when it fails: how the job ended, and in which traces CheckJobNodes' exceptions went.
  const seen = {
    executionState: ended?.executionState,
    errors: JSON.stringify((ended as { executionInfo?: { errors?: unknown } }).executionInfo?.errors),
    exceptionTraces: [...new Set(checkFailures(envelopes).map((e) => e.tags['ai.operation.id']))],
  };
  expect({ ...seen, inTrace: exceptions.length > 0 }).toEqual({ ...seen, inTrace: true });
  const details = exceptions[0].data.baseData.exceptions as { message: string }[];
  expect(details[0].message).toContain('JOB_TEST_FAIL_ACTIVITY');
  // One item per failed invocation.
  const invocations = exceptions.map((e) => propertiesOf(e).invocationId);
  expect(new Set(invocations).size).toBe(invocations.length);
}, 240_000);
