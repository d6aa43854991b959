// App settings, read once from the environment and validated, then passed down (nothing else reads process.env).
import * as fs from 'fs';
import { cosmosDatabaseName } from './resourceNames';

export interface CosmosSettings {
  endpoint: string;
  /** Account key (local emulator). Absent on Azure: the app's managed identity is used (keys are disabled there). */
  key?: string;
  database: string;
  /** 'true' only locally: accept the emulator's self-signed certificate (for the Cosmos client only). */
  allowSelfSignedCertificate: boolean;
}

export interface AppConfig {
  cosmos: CosmosSettings;
  /** AES-256 key (32 bytes) that seals secret values before they are stored. */
  secretsEncryptionKey: Buffer;
}

export class ConfigurationError extends Error {
  constructor(setting: string, problem: string) {
    super(`App setting ${setting} ${problem}`);
    this.name = 'ConfigurationError';
  }
}

/** The PEM file a `*_CA_FILE` setting names (a certificate trusted for one client only), or undefined when unset. */
export function readCertificateSetting(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const file = env[name]?.trim();
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error: unknown) {
    throw new ConfigurationError(name, `cannot be read: ${(error as Error).message}`);
  }
}

function required(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(name, 'is required but not set.');
  return value;
}

export function readAppConfig(env: Readonly<Record<string, string | undefined>>): AppConfig {
  const endpoint = required(env, 'COSMOS_ENDPOINT');
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('bad protocol');
  } catch {
    throw new ConfigurationError('COSMOS_ENDPOINT', `must be an http(s) URL; it is '${endpoint}'.`);
  }
  const allowSelfSigned = (env.COSMOS_ALLOW_SELF_SIGNED ?? 'false').trim().toLowerCase();
  if (allowSelfSigned !== 'true' && allowSelfSigned !== 'false') {
    throw new ConfigurationError(
      'COSMOS_ALLOW_SELF_SIGNED',
      `must be 'true' or 'false'; it is '${env.COSMOS_ALLOW_SELF_SIGNED}'.`,
    );
  }
  const keyText = required(env, 'SECRETS_ENCRYPTION_KEY');
  const key = Buffer.from(keyText, 'base64');
  if (key.length !== 32 || key.toString('base64') !== keyText) {
    throw new ConfigurationError(
      'SECRETS_ENCRYPTION_KEY',
      'must be the base64 encoding of exactly 32 random bytes (openssl rand -base64 32).',
    );
  }
  return {
    cosmos: {
      endpoint,
      key: env.COSMOS_KEY?.trim() || undefined,
      database: env.COSMOS_DATABASE?.trim() || cosmosDatabaseName,
      allowSelfSignedCertificate: allowSelfSigned === 'true',
    },
    secretsEncryptionKey: key,
  };
}
