// The Application Insights adapter against the local ingestion fake, through the real applicationinsights 3.x SDK:
// every item kind arrives with operation id = trace id and parent id = span id of the bound trace context.
import { QueueServiceClient } from '@azure/storage-queue';
import {
  startAppInsightsIngestionFake,
  type AppInsightsIngestionFake,
  type TelemetryEnvelope,
} from '../../runtime/fakes/appInsightsIngestionFake';
import { secret } from '../../shared/telemetry/redaction';
import { createTelemetry, type TelemetryHandle } from '../../shared/telemetry/telemetryFactory';
import { readTelemetryConfig } from '../../shared/telemetry/telemetryConfig';
import { startStorageStub } from './support/storageStub';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanId = '00f067aa0ba902b7';

describe('Application Insights adapter', () => {
  let fake: AppInsightsIngestionFake;
  let handle: TelemetryHandle;

  beforeAll(async () => {
    process.env.OTEL_TRACES_SAMPLER = 'always_on';
    process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL = 'true';
    fake = await startAppInsightsIngestionFake();
    handle = createTelemetry(
      readTelemetryConfig({
        APPLICATIONINSIGHTS_CONNECTION_STRING: fake.connectionString,
        APPLICATIONINSIGHTS_INGESTION_CA_FILE: fake.certificateFile,
      }),
    );
  });

  afterAll(async () => {
    await handle?.shutdown();
    await fake?.stop();
  });

  it('sends every item kind correlated to the bound trace context', async () => {
    expect(handle.destination).toBe('applicationInsights');
    const telemetry = handle.telemetry
      .withCorrelation({ traceParent: `00-${traceId}-${spanId}-01` })
      .withProperties({ jobId: 'job-1' });
    telemetry.trace('job queued', 'information', { password: 'hunter2', sasUrl: 'https://a/b?sig=abc&sv=1' });
    telemetry.event('JobSubmitted', { toolkit: 'custom', token: secret('s3cr3t') }, { nodeCount: 2 });
    telemetry.metric('QueueLength', 7);
    telemetry.exception(new Error('disk full AccountKey=abc123=='));
    telemetry.request({
      name: 'GET /jobs',
      url: 'http://x/jobs',
      method: 'GET',
      route: '/jobs',
      resultCode: 200,
      durationMs: 12,
      success: true,
    });
    telemetry.dependency({
      name: 'PUT vmss',
      type: 'HTTP',
      target: 'management.azure.com',
      durationMs: 40,
      success: true,
      resultCode: 201,
    });
    await handle.telemetry.flush();
    const kinds = [
      'MessageData',
      'EventData',
      'MetricData',
      'ExceptionData',
      'RequestData',
      'RemoteDependencyData',
    ];
    const envelopes = await fake.waitFor((all) => kinds.every((k) => all.some((e) => e.data.baseType === k)));
    const first = (k: string): TelemetryEnvelope =>
      envelopes.find((e) => e.data.baseType === k) as TelemetryEnvelope;
    // Metrics are pre-aggregated (not per operation); everything else joins the bound operation.
    for (const k of kinds.filter((kind) => kind !== 'MetricData')) {
      expect(first(k).tags['ai.operation.id']).toBe(traceId);
      expect(first(k).tags['ai.operation.parentId']).toBe(spanId);
    }
    expect(first('MessageData').data.baseData).toMatchObject({
      message: 'job queued',
      severityLevel: 'Information',
    });
    expect(first('EventData').data.baseData).toMatchObject({
      name: 'JobSubmitted',
      properties: { jobId: 'job-1' },
    });
    expect(first('RequestData').data.baseData).toMatchObject({
      name: 'GET /jobs',
      responseCode: '200',
      success: true,
    });
    expect(first('RemoteDependencyData').data.baseData).toMatchObject({
      name: 'PUT vmss',
      resultCode: '201',
    });
    expect(
      envelopes.some(
        (e) => e.data.baseType === 'MetricData' && JSON.stringify(e.data.baseData).includes('QueueLength'),
      ),
    ).toBe(true);
    expect(JSON.stringify(envelopes)).not.toMatch(/hunter2|s3cr3t|abc123|sig=abc/);
    expect(fake.rejected()).toEqual([]);
  });

  it("still reports the process's Azure SDK calls as dependencies (auto-collection is on by default)", async () => {
    // Only the node agent turns auto-collection off (agentTelemetryAutoCollect.test.ts); the host keeps its Storage,
    // Cosmos and ARM calls.
    const storage = await startStorageStub();
    try {
      const queue = QueueServiceClient.fromConnectionString(storage.connectionString).getQueueClient('jobs');
      await queue.receiveMessages({ numberOfMessages: 1 });
      await handle.telemetry.flush();
      await fake.waitFor((all) =>
        all.some(
          (e) =>
            e.data.baseType === 'RemoteDependencyData' &&
            e.data.baseData.name === 'QueueClient-receiveMessages',
        ),
      );
    } finally {
      await storage.stop();
    }
  });
});
