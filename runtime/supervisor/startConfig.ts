// Options of `npm start`, read once from the environment and validated.
import * as path from 'path';

export interface StartConfig {
  appRoot: string;
  dataDir: string;
  port: number;
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  cosmosPort?: number;
}

function portFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a TCP port number (0-65535), got '${raw}'`);
  }
  return port;
}

export function readStartConfig(env: NodeJS.ProcessEnv, appRoot: string): StartConfig {
  return {
    appRoot,
    dataDir: path.resolve(appRoot, env.DATA_DIR || '.data'),
    port: portFrom(env, 'PORT') ?? 7071,
    blobPort: portFrom(env, 'AZURITE_BLOB_PORT'),
    queuePort: portFrom(env, 'AZURITE_QUEUE_PORT'),
    tablePort: portFrom(env, 'AZURITE_TABLE_PORT'),
    cosmosPort: portFrom(env, 'COSMOS_PORT'),
  };
}
