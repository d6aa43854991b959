// Flags shared by many commands, spelt as az batchai spells them.
import type { OptionSpec } from './argumentParser';
import type { CommandOptions } from './commandOptions';

export const resourceGroupOption: OptionSpec = {
  name: 'resource-group',
  short: 'g',
  type: 'string',
  required: true,
  env: 'BATCHAI_RESOURCE_GROUP',
  description: 'Name of resource group.',
};

export const workspaceOption: OptionSpec = {
  name: 'workspace',
  short: 'w',
  type: 'string',
  required: true,
  env: 'BATCHAI_WORKSPACE',
  description: 'Name of workspace.',
};

export const experimentOption: OptionSpec = {
  name: 'experiment',
  short: 'e',
  type: 'string',
  required: true,
  description: 'Name of experiment.',
};

export function nameOption(what: string): OptionSpec {
  return { name: 'name', short: 'n', type: 'string', required: true, description: `Name of ${what}.` };
}

export const noWaitOption: OptionSpec = {
  name: 'no-wait',
  type: 'boolean',
  description: 'Do not wait for the long-running operation to finish.',
};

export const yesOption: OptionSpec = {
  name: 'yes',
  short: 'y',
  type: 'boolean',
  description: 'Do not prompt for confirmation (accepted for az compatibility: this CLI never prompts).',
};

export const maxResultsOption: OptionSpec = {
  name: 'max-results',
  type: 'integer',
  minimum: 1,
  description:
    'Print at most this many results (the list stops there; without it every page is listed). Also the page size asked of the service (at most 1000).',
};

/** The largest page the service gives (its `maxresults` is 1 to 1000). */
const MAX_PAGE_SIZE = 1000;

/** The `maxResults` paging option of a list call: `--max-results`, capped at the service's largest page. */
export function pageOptions(options: CommandOptions): { maxResults?: number } {
  const max = options.integer('max-results');
  return { maxResults: max === undefined ? undefined : Math.min(max, MAX_PAGE_SIZE) };
}

/**
 * The items of a list, at most `--max-results` of them: like az's `--max-items`, a cap on what is printed (the
 * service's `maxresults` alone would only size the pages). Stops fetching pages once the cap is reached.
 */
export async function collectResults<T>(list: AsyncIterable<T>, options: CommandOptions): Promise<T[]> {
  const max = options.integer('max-results');
  const items: T[] = [];
  if (max !== undefined && max <= 0) return items;
  for await (const item of list) {
    items.push(item);
    if (max !== undefined && items.length >= max) break;
  }
  return items;
}
