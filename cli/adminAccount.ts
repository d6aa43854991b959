// The admin account of cluster and file-server nodes from az's flags: --user-name (default: the current user),
// --password (or BATCHAI_ADMIN_PASSWORD, never echoed), --ssh-key as a value or a path (default ~/.ssh/id_rsa.pub).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { UserAccountSettings } from '../shared/client/batchAiTypes';
import type { OptionSpec } from './argumentParser';
import type { CommandOptions } from './commandOptions';
import { UsageError } from './usageError';

export const adminAccountOptions: readonly OptionSpec[] = [
  {
    name: 'user-name',
    short: 'u',
    type: 'string',
    description: "Admin user name on the nodes (default: the config file's, else the current user).",
  },
  {
    name: 'password',
    short: 'p',
    type: 'string',
    env: 'BATCHAI_ADMIN_PASSWORD',
    secret: true,
    description:
      'Admin user password (or the environment variable BATCHAI_ADMIN_PASSWORD, which keeps it out of the shell history).',
  },
  {
    name: 'ssh-key',
    short: 'k',
    type: 'string',
    description: 'SSH public key value or path (default ~/.ssh/id_rsa.pub when no password is given).',
  },
];

/** Merges the flags over the config file's account; flags win, as in az. */
export function adminAccount(
  options: CommandOptions,
  fromConfig: Partial<UserAccountSettings> | undefined,
  cwd: string,
  home = os.homedir(),
): UserAccountSettings {
  const account: Partial<UserAccountSettings> = { ...fromConfig };
  const userName = options.text('user-name');
  if (userName) account.adminUserName = userName;
  account.adminUserName ??= currentUser();
  const password = options.text('password');
  if (password) account.adminUserPassword = password;
  const sshKey = options.text('ssh-key');
  if (sshKey) account.adminUserSshPublicKey = readSshKey(sshKey, cwd);
  if (!account.adminUserPassword && !account.adminUserSshPublicKey) {
    const defaultKey = path.join(home, '.ssh', 'id_rsa.pub');
    if (!fs.existsSync(defaultKey)) {
      throw new UsageError(
        `the admin account needs --ssh-key/-k or --password/-p (BATCHAI_ADMIN_PASSWORD); ${defaultKey} does not exist.`,
      );
    }
    account.adminUserSshPublicKey = readSshKey(defaultKey, cwd);
  }
  return account as UserAccountSettings;
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    throw new UsageError('--user-name/-u is required: the current user name is not available.');
  }
}

/** A key value (`ssh-rsa AAAA...`) is used as is; anything else must be a readable file. */
function readSshKey(value: string, cwd: string): string {
  if (/^(ssh-|ecdsa-)/.test(value.trim())) return value.trim();
  const file = path.resolve(cwd, value.replace(/^~(?=$|\/)/, os.homedir()));
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    throw new UsageError(`--ssh-key/-k: '${value}' is neither an SSH public key nor a readable file.`);
  }
}
