// Secrets that a local installation needs and Azure would hold in Key Vault or app settings: generated once
// into the data directory (file mode 0600) and reused, so encrypted data stays readable across restarts.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export interface LocalSecrets {
  /** Base64 of 32 random bytes: the AES-256-GCM key for secrets stored in Cosmos DB. */
  SECRETS_ENCRYPTION_KEY: string;
}

export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'local-secrets.json');
  if (fs.existsSync(file)) {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
    if (
      typeof parsed.SECRETS_ENCRYPTION_KEY !== 'string' ||
      Buffer.from(parsed.SECRETS_ENCRYPTION_KEY, 'base64').length !== 32
    ) {
      throw new Error(`${file}: SECRETS_ENCRYPTION_KEY must be base64 of 32 bytes`);
    }
    return { SECRETS_ENCRYPTION_KEY: parsed.SECRETS_ENCRYPTION_KEY };
  }
  const secrets: LocalSecrets = { SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
  fs.mkdirSync(dataDir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  fs.renameSync(temp, file);
  return secrets;
}
