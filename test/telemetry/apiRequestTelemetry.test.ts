// The real app on the real local host sends its API request telemetry to Application Insights (the local HTTPS
// ingestion fake): one request item per call, in the caller's trace (operation id = the traceparent's trace id),
// with the ARM correlation ids, route and status; no query string, no body.
import {
  startAppInsightsIngestionFake,
  type AppInsightsIngestionFake,
  type TelemetryEnvelope,
} from '../../runtime/fakes/appInsightsIngestionFake';
import { startTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

let fake: AppInsightsIngestionFake;
let env: TestEnvironment;

beforeAll(async () => {
  fake = await startAppInsightsIngestionFake();
  env = await startTestEnvironment({
    settings: {
      APPLICATIONINSIGHTS_CONNECTION_STRING: fake.connectionString,
      // Trusted by the ingestion client only (an https.Agent), not process-wide.
      APPLICATIONINSIGHTS_INGESTION_CA_FILE: fake.certificateFile,
      OTEL_TRACES_SAMPLER: 'always_on',
      APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL: 'true',
    },
  });
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await fake?.stop();
});

function requestsIn(envelopes: TelemetryEnvelope[], operationId: string): TelemetryEnvelope[] {
  return envelopes.filter(
    (e) => e.data.baseType === 'RequestData' && e.tags['ai.operation.id'] === operationId,
  );
}

test('an API call emits a request item in the caller trace with its correlation ids', async () => {
  const traceId = '5a1e2f3c4b5d6e7f8091a2b3c4d5e6f7';
  const res = await fetch(
    `${env.baseUrl}/api/providers/Microsoft.BatchAI/operations?api-version=2018-05-01&sig=secret-sas`,
    {
      headers: {
        traceparent: `00-${traceId}-1122334455667788-01`,
        'x-ms-correlation-request-id': 'corr-123',
        'x-ms-client-request-id': 'client-456',
      },
    },
  );
  expect(res.status).toBe(200);
  const requestId = res.headers.get('x-ms-request-id');
  const envelopes = await fake.waitFor((all) => requestsIn(all, traceId).length > 0, 60_000);
  const [request] = requestsIn(envelopes, traceId);
  const data = request.data.baseData as {
    name: string;
    url: string;
    responseCode: string;
    success: boolean;
    properties: Record<string, string>;
  };
  expect(data.name).toBe('GET /providers/Microsoft.BatchAI/operations');
  expect(data.responseCode).toBe('200');
  expect(data.success).toBe(true);
  expect(data.url).not.toContain('?');
  expect(data.properties['x-ms-request-id']).toBe(requestId);
  expect(data.properties['x-ms-correlation-request-id']).toBe('corr-123');
  expect(data.properties['x-ms-client-request-id']).toBe('client-456');
  // The item hangs under the invocation's span, not directly under the caller's.
  expect(request.tags['ai.operation.parentId']).toMatch(/^[0-9a-f]{16}$/);
  expect(request.tags['ai.operation.parentId']).not.toBe('1122334455667788');
  expect(JSON.stringify(envelopes)).not.toContain('secret-sas');
});

test('a rejected call is reported with its status and as unsuccessful', async () => {
  const traceId = '6b2f3a4c5d6e7f8091a2b3c4d5e6f708';
  const res = await fetch(`${env.baseUrl}/api/providers/Microsoft.BatchAI/operations`, {
    headers: { traceparent: `00-${traceId}-2233445566778899-01` },
  });
  expect(res.status).toBe(400);
  const envelopes = await fake.waitFor((all) => requestsIn(all, traceId).length > 0, 60_000);
  const data = requestsIn(envelopes, traceId)[0].data.baseData as { responseCode: string; success: boolean };
  expect(data.responseCode).toBe('400');
  expect(data.success).toBe(false);
});
