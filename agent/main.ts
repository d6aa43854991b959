// Entry point of the node agent: `node dist/agent/main.js --config FILE` (or env BATCHAI_AGENT_CONFIG=FILE).
// Logs one JSON line per event to stdout, or with `--log-file FILE` to that file, rotated (agent/agentLogOutput.ts);
// with APPLICATIONINSIGHTS_CONNECTION_STRING in its environment it also sends its task runs and failures to
// Application Insights (agent/agentTelemetry.ts). SIGTERM stops it gracefully (running tasks get SIGTERM first);
// SIGUSR2 makes it poll its task queue at once.
import * as fs from 'fs';
import { parseAgentConfig } from '../shared/contracts/agentConfig';
import { ImdsTokenCredential } from '../shared/adapters/identity/imdsTokenCredential';
import { MetadataServiceClient } from '../shared/adapters/identity/metadataServiceClient';
import type { TelemetryHandle } from '../shared/telemetry/telemetryFactory';
import { agentLogOutput } from './agentLogOutput';
import { openAgentTelemetry } from './agentTelemetry';
import { NodeAgent } from './nodeAgent';

function configPath(): string {
  const file = argument('--config') ?? process.env.BATCHAI_AGENT_CONFIG;
  if (!file) throw new Error('The node agent needs --config FILE (or BATCHAI_AGENT_CONFIG).');
  return file;
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const output = agentLogOutput(argument('--log-file'));
const log = output.log;

let telemetry: TelemetryHandle | undefined;

/** Sends what telemetry holds (items are exported in batches), then exits. */
async function exit(code: number): Promise<never> {
  await telemetry?.shutdown().catch(() => undefined);
  await output.close().catch(() => undefined);
  process.exit(code);
}

async function main(): Promise<void> {
  const file = configPath();
  const config = parseAgentConfig(JSON.parse(fs.readFileSync(file, 'utf8')) as unknown);
  const clientId = config.storage.managedIdentityClientId;
  telemetry = openAgentTelemetry(
    process.env,
    config.metadataServiceUrl && clientId
      ? new ImdsTokenCredential(new MetadataServiceClient(config.metadataServiceUrl), clientId)
      : undefined,
  );
  const agent = new NodeAgent(config, log, telemetry?.telemetry);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    log('info', `${signal}: stopping`);
    void agent.stop().then(() => exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A local node's pool sends SIGUSR2 right after putting a task message on its queue: poll now.
  process.on('SIGUSR2', () => agent.wakeTaskPoll());
  await agent.start();
}

main().catch(async (error: unknown) => {
  log('error', `the node agent failed: ${(error as Error).message}`);
  telemetry?.telemetry.exception(error, { stage: 'agent' });
  await exit(1);
});
