// The node agent's telemetry settings (agent/agentTelemetry.ts reads them from its environment), taken from the
// app's own: nodes report to the Application Insights resource the app reports to. Local nodes get them in their
// environment (shared/adapters/compute/localComputePool.ts), VMs in their agent unit's environment file
// (shared/adapters/compute/cloudInitCustomData.ts). The agent passes none of them on to its tasks.
const agentTelemetrySettingNames = [
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  // Entra ID authentication: the agent signs with its node's own identity (the ClientId named here is the app's).
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'APPLICATIONINSIGHTS_INGESTION_CA_FILE',
  'APPLICATIONINSIGHTS_SAMPLING_PERCENTAGE',
  'APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL',
  'TELEMETRY_MIN_LEVEL',
  'OTEL_TRACES_SAMPLER',
];

/** The settings among `env` that the agent's telemetry reads (none when Application Insights is off). */
export function agentTelemetrySettings(env: NodeJS.ProcessEnv): Record<string, string> {
  if (!env.APPLICATIONINSIGHTS_CONNECTION_STRING) return {};
  const settings: Record<string, string> = {};
  for (const name of agentTelemetrySettingNames) {
    const value = env[name];
    if (value) settings[name] = value;
  }
  return settings;
}
