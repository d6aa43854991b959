// Flags shared by many commands, spelt as az batchai spells them.
import type { OptionSpec } from './argumentParser';

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
  maximum: 1000,
  description: 'Page size asked of the service; every page is still listed.',
};
