// Reads the JSON configuration files of `cluster create -f`, `job create -f` and `file-server create -f` (the
// create parameters as the REST API takes them), substituting az's storage placeholders first.
import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from './usageError';

export interface StorageAccount {
  name?: string;
  key?: string;
}

export const STORAGE_ACCOUNT_PLACEHOLDER = '<AZURE_BATCHAI_STORAGE_ACCOUNT>';
export const STORAGE_KEY_PLACEHOLDER = '<AZURE_BATCHAI_STORAGE_KEY>';

/** Parses the file as a JSON object; `<AZURE_BATCHAI_STORAGE_ACCOUNT>`/`_KEY>` are replaced like az does. */
export function readConfigFile(
  file: string,
  cwd: string,
  storage: StorageAccount,
  flag = '--config-file',
): Record<string, unknown> {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${flag}: cannot read '${file}'${code === 'ENOENT' ? ': no such file' : code === 'EISDIR' ? ': it is a directory, not a file' : `: ${code}`}.`,
    );
  }
  text = substitute(text, STORAGE_ACCOUNT_PLACEHOLDER, storage.name, '--storage-account-name', file);
  text = substitute(text, STORAGE_KEY_PLACEHOLDER, storage.key, '--storage-account-key', file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    throw new UsageError(`${flag}: '${file}' is not valid JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(`${flag}: '${file}' must hold a JSON object.`);
  const { $schema: _schema, ...rest } = parsed as Record<string, unknown>;
  return rest;
}

function substitute(
  text: string,
  placeholder: string,
  value: string | undefined,
  flag: string,
  file: string,
): string {
  if (!text.includes(placeholder)) return text;
  if (value === undefined || value === '')
    throw new UsageError(
      `'${file}' uses ${placeholder}: give ${flag} (or the environment variable ${placeholder.slice(1, -1)}).`,
    );
  // JSON-escape the value so a key with quotes or backslashes cannot break the document.
  return text.split(placeholder).join(JSON.stringify(value).slice(1, -1));
}
