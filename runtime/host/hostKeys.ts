// The host's access keys, as the Functions host keeps them: a master key (admin), host function keys and system keys
// of extensions. Values come from app settings when given, else from `<dataDir>/host-keys.json`, generated once.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { HostKeys } from './plugin';

interface KeysFile {
  masterKey: string;
  functionKeys: Record<string, string>;
  systemKeys: Record<string, string>;
}

function newKey(): string {
  return crypto.randomBytes(32).toString('base64url');
}

function sameKey(a: string, b: string | undefined): boolean {
  if (typeof b !== 'string' || b.length === 0) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/**
 * Settings: `FUNCTIONS_ADMIN_KEY` (master key), `FUNCTIONS_HOST_KEY` (the `default` function key),
 * `FUNCTIONS_SYSTEM_KEY_<NAME>` (a system key, e.g. FUNCTIONS_SYSTEM_KEY_EVENTGRID_EXTENSION). A setting wins over the file.
 */
export class HostKeyStore implements HostKeys {
  private readonly file: string;
  private readonly data: KeysFile;
  private readonly settings: Readonly<Record<string, string | undefined>>;

  constructor(dataDir: string, settings: Readonly<Record<string, string | undefined>>) {
    this.file = path.join(dataDir, 'host-keys.json');
    this.settings = settings;
    this.data = this.readOrCreate();
    const admin = settings.FUNCTIONS_ADMIN_KEY;
    const host = settings.FUNCTIONS_HOST_KEY;
    if (admin) this.data.masterKey = admin;
    if (host) this.data.functionKeys.default = host;
  }

  get masterKey(): string {
    return this.data.masterKey;
  }

  get functionKeys(): Record<string, string> {
    return { ...this.data.functionKeys };
  }

  /** Path of the keys file (printed at start so a user can find the generated keys). */
  get filePath(): string {
    return this.file;
  }

  systemKey(name: string): string {
    const fromSetting = this.settings[`FUNCTIONS_SYSTEM_KEY_${name.toUpperCase()}`];
    if (fromSetting) return fromSetting;
    let key = this.data.systemKeys[name];
    if (!key) {
      key = newKey();
      this.data.systemKeys[name] = key;
      this.save();
    }
    return key;
  }

  isMasterKey(presented: string | undefined): boolean {
    return sameKey(this.data.masterKey, presented);
  }

  isFunctionKey(presented: string | undefined): boolean {
    return (
      this.isMasterKey(presented) || Object.values(this.data.functionKeys).some((k) => sameKey(k, presented))
    );
  }

  isSystemKey(name: string, presented: string | undefined): boolean {
    return this.isMasterKey(presented) || sameKey(this.systemKey(name), presented);
  }

  private readOrCreate(): KeysFile {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<KeysFile>;
      if (
        typeof parsed.masterKey === 'string' &&
        parsed.functionKeys &&
        typeof parsed.functionKeys.default === 'string'
      ) {
        return {
          masterKey: parsed.masterKey,
          functionKeys: parsed.functionKeys,
          systemKeys: parsed.systemKeys ?? {},
        };
      }
    } catch {
      // Missing or unreadable: generate a fresh set below.
    }
    const created: KeysFile = { masterKey: newKey(), functionKeys: { default: newKey() }, systemKeys: {} };
    this.save(created);
    return created;
  }

  private save(data: KeysFile = this.data): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    // Owner-only: the file holds secrets. Settings-provided keys are not written (they live in the settings).
    const onDisk = fs.existsSync(this.file)
      ? (JSON.parse(fs.readFileSync(this.file, 'utf8')) as KeysFile)
      : data;
    onDisk.systemKeys = { ...onDisk.systemKeys, ...data.systemKeys };
    fs.writeFileSync(this.file, JSON.stringify(onDisk, null, 2), { mode: 0o600 });
  }
}
