// Flags every command takes: where the service is, which subscription, and how to print.
import type { OptionSpec } from './argumentParser';
import { OUTPUT_FORMATS } from './outputFormatter';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:7071/api';
export const DEFAULT_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
/** Like az's: how long one HTTP request may go unanswered. */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 100;

export const globalOptions: readonly OptionSpec[] = [
  {
    name: 'endpoint',
    type: 'string',
    env: 'BATCHAI_ENDPOINT',
    default: DEFAULT_ENDPOINT,
    description: `Base URL of the API, route prefix included (env BATCHAI_ENDPOINT; default ${DEFAULT_ENDPOINT}).`,
  },
  {
    name: 'subscription',
    type: 'string',
    env: 'BATCHAI_SUBSCRIPTION_ID',
    default: DEFAULT_SUBSCRIPTION,
    description: 'Subscription id (env BATCHAI_SUBSCRIPTION_ID; default the zero GUID).',
  },
  {
    name: 'token',
    type: 'string',
    env: 'BATCHAI_TOKEN',
    description:
      'Entra ID access token for an API with AUTH_MODE=entra (env BATCHAI_TOKEN), e.g. from `az account get-access-token --resource api://<app-id> --query accessToken -o tsv`.',
  },
  {
    name: 'timeout',
    type: 'number',
    env: 'BATCHAI_REQUEST_TIMEOUT',
    minimum: 0,
    default: DEFAULT_REQUEST_TIMEOUT_SECONDS,
    description: `Seconds to wait for each HTTP answer before giving up (env BATCHAI_REQUEST_TIMEOUT; default ${DEFAULT_REQUEST_TIMEOUT_SECONDS}, 0 for none). Per request: job wait and file stream poll for longer.`,
  },
  {
    name: 'output',
    short: 'o',
    type: 'string',
    choices: OUTPUT_FORMATS,
    default: 'json',
    description: 'Output format: json (default), jsonc, table, tsv, none (print nothing).',
  },
  {
    name: 'query',
    type: 'string',
    description:
      'Pick part of the output: a.b, a[0], [].name (a JMESPath subset; anything else is a usage error).',
  },
  { name: 'help', short: 'h', type: 'boolean', description: 'Show this help message and exit.' },
];
