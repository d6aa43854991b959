// Entra ID authentication of the Application Insights items, against the local ingestion fake with local
// authentication disabled (the deployment's component): items signed with the identity's token are taken. Its own
// file: the SDK's providers are process-wide, and a second client would change the other tests' instrumentation.
import { startAppInsightsIngestionFake } from '../../runtime/fakes/appInsightsIngestionFake';
import { createTelemetry } from '../../shared/telemetry/telemetryFactory';
import { readTelemetryConfig } from '../../shared/telemetry/telemetryConfig';

beforeAll(() => {
  process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL = 'true';
});

test('signs the items with the Entra ID token of the given identity when the settings ask for it', async () => {
  // The deployment's component has local authentication disabled: the instrumentation key alone is refused.
  const locked = await startAppInsightsIngestionFake({
    localAuthDisabled: true,
    publisherTokens: ['node-identity-token'],
  });
  const identity = {
    getToken: async () => ({ token: 'node-identity-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  const signed = createTelemetry(
    readTelemetryConfig({
      APPLICATIONINSIGHTS_CONNECTION_STRING: locked.connectionString,
      APPLICATIONINSIGHTS_INGESTION_CA_FILE: locked.certificateFile,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING:
        'Authorization=AAD;ClientId=0b1c2d3e-0000-4000-8000-000000000009',
    }),
    { autoCollect: false, credential: identity },
  );
  try {
    signed.telemetry.event('SignedIn');
    await signed.telemetry.flush();
    await locked.waitFor((all) =>
      all.some((e) => e.data.baseType === 'EventData' && e.data.baseData.name === 'SignedIn'),
    );
    expect(locked.rejected()).toEqual([]);
  } finally {
    await signed.shutdown();
    await locked.stop();
  }
});
