// Telemetry settings, read once from the app settings and validated: where telemetry goes (console, or Application
// Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set), the minimum log level and the sampling percentage.
import { ConfigurationError } from '../config/appConfig';
import type { Severity } from './telemetry';

export interface ApplicationInsightsSettings {
  connectionString: string;
  /** 0..100 (APPLICATIONINSIGHTS_SAMPLING_PERCENTAGE, default 100). */
  samplingPercentage: number;
  /**
   * PEM file trusted for the ingestion calls only (APPLICATIONINSIGHTS_INGESTION_CA_FILE): a local HTTPS fake of the
   * ingestion endpoint in tests. Never needed on Azure.
   */
  ingestionCaFile?: string;
  /**
   * Items are sent with an Entra ID token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING `Authorization=AAD`, with the
   * user-assigned identity's `ClientId` or none for the system-assigned one): what a component with local
   * authentication disabled (the deployment's) accepts; the instrumentation key alone is refused (401).
   */
  aad?: { clientId?: string };
}

export interface TelemetryConfig {
  /** Set when a connection string is configured; otherwise telemetry goes to the console. */
  applicationInsights?: ApplicationInsightsSettings;
  /** Traces below this level are dropped (TELEMETRY_MIN_LEVEL, default information). */
  minimumSeverity: Severity;
}

const severities: readonly Severity[] = ['verbose', 'information', 'warning', 'error', 'critical'];

function isSeverity(value: string): value is Severity {
  return (severities as readonly string[]).includes(value);
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks the connection string's shape (`InstrumentationKey=<guid>;IngestionEndpoint=https://...`). */
function validConnectionString(text: string): string {
  const fields = new Map<string, string>();
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  const key = fields.get('instrumentationkey');
  if (!key || !guidPattern.test(key)) {
    throw new ConfigurationError(
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'must hold InstrumentationKey=<guid> (copy it from the Application Insights resource overview).',
    );
  }
  const endpoint = fields.get('ingestionendpoint');
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== 'https:') {
      throw new ConfigurationError(
        'APPLICATIONINSIGHTS_CONNECTION_STRING',
        `has IngestionEndpoint '${endpoint}', which is not an https URL (the SDK only sends over HTTPS).`,
      );
    }
  }
  return text.trim();
}

export function readTelemetryConfig(env: Readonly<Record<string, string | undefined>>): TelemetryConfig {
  const level = (env.TELEMETRY_MIN_LEVEL ?? 'information').trim().toLowerCase();
  if (!isSeverity(level)) {
    throw new ConfigurationError(
      'TELEMETRY_MIN_LEVEL',
      `must be one of ${severities.join(', ')}; it is '${env.TELEMETRY_MIN_LEVEL}'.`,
    );
  }
  const config: TelemetryConfig = { minimumSeverity: level };
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return config;

  const samplingText = env.APPLICATIONINSIGHTS_SAMPLING_PERCENTAGE?.trim() || '100';
  const samplingPercentage = Number(samplingText);
  if (!Number.isFinite(samplingPercentage) || samplingPercentage < 0 || samplingPercentage > 100) {
    throw new ConfigurationError(
      'APPLICATIONINSIGHTS_SAMPLING_PERCENTAGE',
      `must be a number from 0 to 100; it is '${samplingText}'.`,
    );
  }
  config.applicationInsights = {
    connectionString: validConnectionString(connectionString),
    samplingPercentage,
  };
  const caFile = env.APPLICATIONINSIGHTS_INGESTION_CA_FILE?.trim();
  if (caFile) config.applicationInsights.ingestionCaFile = caFile;
  const authentication = env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING?.trim();
  if (authentication) config.applicationInsights.aad = aadAuthentication(authentication);
  return config;
}

/** `Authorization=AAD[;ClientId=<guid>]`, in either order, as Azure documents the setting. */
function aadAuthentication(text: string): { clientId?: string } {
  const parts = new Map<string, string>();
  for (const part of text.split(';').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    parts.set(
      part
        .slice(0, eq < 0 ? undefined : eq)
        .trim()
        .toLowerCase(),
      eq < 0 ? '' : part.slice(eq + 1).trim(),
    );
  }
  const unknown = [...parts.keys()].filter((key) => key !== 'authorization' && key !== 'clientid');
  if (parts.get('authorization')?.toUpperCase() !== 'AAD' || unknown.length > 0) {
    throw new ConfigurationError(
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
      `must be 'Authorization=AAD' or 'Authorization=AAD;ClientId=<client id of a user-assigned identity>'; it is '${text}'.`,
    );
  }
  const clientId = parts.get('clientid');
  if (clientId !== undefined && !guidPattern.test(clientId)) {
    throw new ConfigurationError(
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
      `ClientId must be the client id (a GUID) of a user-assigned identity; it is '${clientId}'.`,
    );
  }
  return clientId !== undefined ? { clientId } : {};
}
