// The node agent's Application Insights telemetry sends only its own items: its queue polls and blob appends (Azure
// SDK calls, which it makes all the time) must not become dependency items, as docs/observability.md says. The host's
// telemetry (auto-collection on) still reports them: appInsightsAdapter.test.ts.
import { AppendBlobClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { openAgentTelemetry } from '../../agent/agentTelemetry';
import {
  startAppInsightsIngestionFake,
  type AppInsightsIngestionFake,
} from '../../runtime/fakes/appInsightsIngestionFake';
import type { TelemetryHandle } from '../../shared/telemetry/telemetryFactory';
import { startStorageStub, type StorageStub } from './support/storageStub';

describe("the node agent's telemetry", () => {
  let fake: AppInsightsIngestionFake;
  let storage: StorageStub;
  let handle: TelemetryHandle | undefined;

  beforeAll(async () => {
    process.env.OTEL_TRACES_SAMPLER = 'always_on';
    fake = await startAppInsightsIngestionFake();
    storage = await startStorageStub();
  });

  afterAll(async () => {
    await handle?.shutdown();
    await storage?.stop();
    await fake?.stop();
  });

  it('reports no dependency for its own queue polls and blob appends', async () => {
    handle = openAgentTelemetry({
      APPLICATIONINSIGHTS_CONNECTION_STRING: fake.connectionString,
      APPLICATIONINSIGHTS_INGESTION_CA_FILE: fake.certificateFile,
      APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL: 'true',
    });
    expect(handle?.destination).toBe('applicationInsights');
    const queue = QueueServiceClient.fromConnectionString(storage.connectionString).getQueueClient(
      'node-tasks-x',
    );
    for (let i = 0; i < 10; i++) await queue.receiveMessages({ numberOfMessages: 16, visibilityTimeout: 60 });
    const blob = new AppendBlobClient(storage.connectionString, 'jobs', 'stdout.txt');
    await blob.createIfNotExists();
    await blob.appendBlock(Buffer.from('hello\n'), 6);
    expect(storage.requests()).toBe(12);
    // Its own items still go out; spans and logs are exported apart, so wait a little past the trace.
    handle!.telemetry.trace('agent polled');
    await handle!.telemetry.flush();
    await fake.waitFor((all) => all.some((e) => e.data.baseType === 'MessageData'), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await handle!.telemetry.flush();
    const dependencies = fake
      .envelopes()
      .filter((e) => e.data.baseType === 'RemoteDependencyData')
      .map((e) => String(e.data.baseData.name));
    expect(dependencies).toEqual([]);
    expect(fake.rejected()).toEqual([]);
  }, 60_000);
});
