// Reads the -f body of the extension resources (sweeps, scoring rules, job schedules): a JSON object with a
// `properties` object, az's storage placeholders substituted like job.json files.
import type { CommandOptions } from './commandOptions';
import { readConfigFile } from './configFile';
import { storageAccount } from './storageMounts';
import { UsageError } from './usageError';

export function readResourceBody(
  options: CommandOptions,
  cwd: string,
  what: string,
): { properties: Record<string, unknown> } {
  const file = options.requiredText('config-file');
  const body = readConfigFile(file, cwd, storageAccount(options));
  const properties = body.properties;
  if (!properties || typeof properties !== 'object' || Array.isArray(properties))
    throw new UsageError(`--config-file: '${file}' must have a 'properties' object (the ${what}).`);
  return { properties: properties as Record<string, unknown> };
}
