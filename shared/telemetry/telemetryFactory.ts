// Builds the process's Telemetry from its configuration, once: Application Insights when a connection string is
// set (the SDK is loaded only then, so startup stays fast without it), else structured console lines.
import * as fs from 'fs';
import * as https from 'https';
import { BoundTelemetry } from './boundTelemetry';
import { ConsoleTelemetrySink, type LineWriter } from './consoleTelemetrySink';
import type { Telemetry } from './telemetry';
import { readTelemetryConfig, type TelemetryConfig } from './telemetryConfig';
import type { TelemetrySink } from './telemetrySink';
import type { AppInsightsTelemetrySink } from './appInsightsTelemetrySink';
import type { TokenCredential } from '@azure/core-auth';

export interface TelemetryHandle {
  telemetry: Telemetry;
  /** 'console' or 'applicationInsights'. */
  destination: 'console' | 'applicationInsights';
  /** Flushes and stops the exporters (call at process exit). */
  shutdown(): Promise<void>;
}

export interface TelemetryFactoryOptions {
  /** Console adapter's output (tests capture lines); default stdout/stderr. */
  consoleWriter?: LineWriter;
  /** Application Insights: let the SDK collect outgoing calls and performance counters (default true). */
  autoCollect?: boolean;
  /**
   * The identity that signs the items when the settings ask for Entra ID authentication (a VM node's own identity);
   * default: the managed identity the setting names (the app's, ManagedIdentityCredential).
   */
  credential?: TokenCredential;
}

/** The app's managed identity (Functions: IDENTITY_ENDPOINT), loaded only when Entra ID authentication is asked. */
function managedIdentity(clientId: string | undefined): TokenCredential {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ManagedIdentityCredential } = require('@azure/identity') as typeof import('@azure/identity');
  return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
}

function loadAppInsightsSink(
  settings: NonNullable<TelemetryConfig['applicationInsights']>,
  autoCollect: boolean | undefined,
  credential: TokenCredential | undefined,
): AppInsightsTelemetrySink {
  // Loaded on demand: requiring the SDK costs hundreds of milliseconds that a console-only process should not pay.
  const { AppInsightsTelemetrySink: Sink } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('./appInsightsTelemetrySink') as typeof import('./appInsightsTelemetrySink');
  let ingestionAgent: https.Agent | undefined;
  if (settings.ingestionCaFile) {
    let ca: Buffer;
    try {
      ca = fs.readFileSync(settings.ingestionCaFile);
    } catch (error: unknown) {
      throw new Error(
        `App setting APPLICATIONINSIGHTS_INGESTION_CA_FILE names '${settings.ingestionCaFile}', which cannot be read: ${
          (error as Error).message
        }`,
      );
    }
    ingestionAgent = new https.Agent({ ca, keepAlive: true });
  }
  return new Sink({
    connectionString: settings.connectionString,
    samplingPercentage: settings.samplingPercentage,
    ingestionAgent,
    autoCollect,
    credential: settings.aad ? (credential ?? managedIdentity(settings.aad.clientId)) : undefined,
  });
}

export function createTelemetry(
  config: TelemetryConfig,
  options: TelemetryFactoryOptions = {},
): TelemetryHandle {
  if (config.applicationInsights) {
    const sink = loadAppInsightsSink(config.applicationInsights, options.autoCollect, options.credential);
    return {
      telemetry: new BoundTelemetry(sink, config.minimumSeverity),
      destination: 'applicationInsights',
      shutdown: async () => {
        await sink.flush();
        await sink.shutdown();
      },
    };
  }
  const sink: TelemetrySink = new ConsoleTelemetrySink(config.minimumSeverity, options.consoleWriter);
  return {
    telemetry: new BoundTelemetry(sink, config.minimumSeverity),
    destination: 'console',
    shutdown: () => sink.flush(),
  };
}

let processTelemetry: TelemetryHandle | undefined;

/** The process-wide telemetry, configured from the environment on first use (the one place it is read). */
export function getTelemetryHandle(
  env: Readonly<Record<string, string | undefined>> = process.env,
): TelemetryHandle {
  processTelemetry ??= createTelemetry(readTelemetryConfig(env));
  return processTelemetry;
}

export function getTelemetry(): Telemetry {
  return getTelemetryHandle().telemetry;
}

/**
 * Whether telemetry leaves the process (Application Insights). Items emitted per task or per job check it, so a
 * console-only run (local, benchmarks) pays nothing for them.
 */
export function telemetryExported(): boolean {
  return getTelemetryHandle().destination === 'applicationInsights';
}
