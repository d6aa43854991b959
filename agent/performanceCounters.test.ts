// The counters a node reports, read from Linux's own files: CPU time deltas from /proc/stat, memory from
// /proc/meminfo, network bytes of every interface but loopback from /proc/net/dev, nvidia-smi's CSV; and the
// metric items Application Insights takes (one metric each, the cluster and node as dimensions); and how a node signs
// in to a component (its identity's token, the key alone) against the ingestion fake.
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import * as os from 'os';
import {
  startAppInsightsIngestionFake,
  type AppInsightsIngestionFake,
} from '../runtime/fakes/appInsightsIngestionFake';
import {
  cpuUsagePercent,
  metricItems,
  PerformanceCounterReporter,
  parseCpuTimes,
  parseGpus,
  parseMemory,
  parseNetworkBytes,
} from './performanceCounters';

test('CPU usage is the busy share of the time between two samples, iowait counted idle', () => {
  const before = parseCpuTimes('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 50 0 50 350 50 0 0 0 0 0\n');
  const after = parseCpuTimes('cpu  250 0 150 800 100 0 0 0 0 0\n');
  expect(before).toEqual({ idle: 800, total: 1000 });
  expect(cpuUsagePercent(before, after)).toBe(66.7); // 200 busy of 300
  expect(cpuUsagePercent(after, after)).toBe(0);
  expect(() => parseCpuTimes('intr 1 2 3')).toThrow('/proc/stat has no cpu line');
});

test('memory, network (without loopback) and GPUs are read from their files', () => {
  expect(parseMemory('MemTotal:       16384 kB\nMemFree:  100 kB\nMemAvailable:    4096 kB\n')).toEqual({
    totalBytes: 16384 * 1024,
    availableBytes: 4096 * 1024,
  });
  const netDev = [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo: 9999 10 0 0 0 0 0 0 9999 10 0 0 0 0 0 0',
    '  eth0: 1000 10 0 0 0 0 0 0 500 5 0 0 0 0 0 0',
    '  eth1: 24 1 0 0 0 0 0 0 6 1 0 0 0 0 0 0',
  ].join('\n');
  expect(parseNetworkBytes(netDev)).toEqual({ received: 1024, sent: 506 });
  expect(parseGpus('87, 4096, 16384\n12, 0, 16384\nN/A, 1, 2\n')).toEqual([
    { utilization: 87, memoryUsedPercent: 25 },
    { utilization: 12, memoryUsedPercent: 0 },
  ]);
});

test('each counter is one metric item with the key, the node as role instance and the cluster as a dimension', () => {
  const items = metricItems(
    '5a0c1f6e-2b7d-4c1e-9f3a-8d6e4b2c1a90',
    { clusterKey: 'c', nodeId: 'n1', vmSize: 'STANDARD_NC6' },
    new Date('2026-12-06T00:00:00Z'),
    [
      { name: 'Node CPU usage (%)', value: 50 },
      { name: 'Node GPU usage (%)', value: 87 },
    ],
  );
  expect(items).toHaveLength(2);
  expect(items[1]).toEqual({
    name: 'Microsoft.ApplicationInsights.5a0c1f6e2b7d4c1e9f3a8d6e4b2c1a90.Metric',
    time: '2026-12-06T00:00:00.000Z',
    iKey: '5a0c1f6e-2b7d-4c1e-9f3a-8d6e4b2c1a90',
    tags: { 'ai.cloud.role': 'batchai-node', 'ai.cloud.roleInstance': 'n1' },
    data: {
      baseType: 'MetricData',
      baseData: {
        ver: 2,
        metrics: [{ name: 'Node GPU usage (%)', kind: 0, value: 87, count: 1 }],
        properties: { cluster: 'c', node: 'n1', vmSize: 'STANDARD_NC6' },
      },
    },
  });
});

describe('signing in to Application Insights', () => {
  const node = { clusterKey: 'c', nodeId: 'n1', vmSize: 'STANDARD_D2_V3' };
  let fake: AppInsightsIngestionFake | undefined;

  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });

  function identity(token: string): TokenCredential & { calls: number } {
    const credential = {
      calls: 0,
      getToken(scopes: string | string[]): Promise<AccessToken> {
        credential.calls += 1;
        expect(scopes).toBe('https://monitor.azure.com//.default');
        return Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 });
      },
    };
    return credential;
  }

  function reporter(
    ingestion: AppInsightsIngestionFake,
    logs: string[],
    credential?: TokenCredential,
  ): PerformanceCounterReporter {
    return new PerformanceCounterReporter(
      {
        ingestionEndpoint: ingestion.endpoint,
        sealedInstrumentationKey: 'unused',
        intervalMs: 60_000,
        ingestionCertificate: ingestion.certificate,
      },
      ingestion.instrumentationKey,
      node,
      os.tmpdir(),
      0,
      (level, message) => logs.push(`${level}: ${message}`),
      credential,
    );
  }

  test("a component that takes tokens only gets the counters signed in with the node identity's token", async () => {
    fake = await startAppInsightsIngestionFake({ localAuthDisabled: true, publisherTokens: ['publisher'] });
    const logs: string[] = [];
    const credential = identity('publisher');
    const counters = reporter(fake, logs, credential);
    await counters.tick();
    await counters.tick();
    expect(fake.envelopes().length).toBeGreaterThanOrEqual(12); // six counters a round
    expect(fake.rejected()).toEqual([]);
    expect(credential.calls).toBe(1); // the token is kept until shortly before it expires
    expect(logs).toEqual([]);
    counters.stop();
  });

  test('the key alone is refused there, and an identity without the role falls back to the key where it is taken', async () => {
    fake = await startAppInsightsIngestionFake({ localAuthDisabled: true, publisherTokens: ['publisher'] });
    const refused: string[] = [];
    const keyOnly = reporter(fake, refused);
    await keyOnly.tick();
    keyOnly.stop();
    expect(refused).toEqual([
      expect.stringMatching(/^warn: could not send performance counters: ingestion answered 401/),
    ]);
    expect(fake.envelopes()).toEqual([]);
    await fake.stop();

    fake = await startAppInsightsIngestionFake({ publisherTokens: ['publisher'] });
    const logs: string[] = [];
    const counters = reporter(fake, logs, identity('no-role'));
    await counters.tick();
    await counters.tick();
    counters.stop();
    expect(fake.envelopes().length).toBeGreaterThanOrEqual(12);
    // One refusal (403), then the key alone is what the reporter keeps using.
    expect(fake.rejected().map((r) => r.reason)).toEqual([
      'The provided credentials have insufficient access to perform the requested operation',
    ]);
    expect(logs).toEqual(['info: performance counters are sent with the instrumentation key alone']);
  });

  test('when neither way is taken, the round fails once in the log naming both answers', async () => {
    fake = await startAppInsightsIngestionFake({ localAuthDisabled: true, publisherTokens: ['publisher'] });
    const logs: string[] = [];
    const counters = reporter(fake, logs, identity('no-role'));
    await counters.tick();
    await counters.tick();
    counters.stop();
    expect(fake.envelopes()).toEqual([]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /^warn: could not send performance counters: with the identity's token: ingestion answered 403.*; with the key alone: ingestion answered 401/,
    );
  });
});
