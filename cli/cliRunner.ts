// Runs one command line: finds the command, parses its flags, calls the service through the typed client and prints
// the result. Exit codes: 0 success, 1 service or runtime error (printed as `code: message (target)`), 2 usage
// error, or the job's own exit code for `job wait`.
import * as fs from 'fs';
import * as path from 'path';
import { BatchAiClient } from '../shared/client/batchAiClient';
import { BatchAiRestError } from '../shared/client/batchAiRestError';
import { parseOptions } from './argumentParser';
import { CommandOptions } from './commandOptions';
import type { CommandIo } from './commandSpec';
import { resolveCommand } from './commandTable';
import { DEFAULT_REQUEST_TIMEOUT_SECONDS, globalOptions } from './globalOptions';
import { commandHelp, groupHelp, usageHint } from './helpText';
import { flattenResource, formatOutput, parseOutputFormat } from './outputFormatter';
import { applyQuery, parseQuery } from './queryPath';
import { fetchWithTimeout } from './requestTimeout';
import { UsageError } from './usageError';

const isHelp = (token: string): boolean => token === '-h' || token === '--help';

export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  let words: string[] = [];
  let endpoint: string | undefined;
  try {
    if (argv.length === 1 && argv[0] === '--version') {
      io.stdout(`${packageVersion()}\n`);
      return 0;
    }
    const resolution = resolveCommand(argv);
    if (resolution.kind === 'group') {
      words = resolution.words;
      if (resolution.rest.length === 0 || resolution.rest.some(isHelp)) {
        io.stdout(groupHelp(resolution.words));
        return 0;
      }
      throw new UsageError(
        `${words.length ? `'${words.join(' ')}' is a command group` : 'a command is required'}: ` +
          `'${resolution.rest[0]}' cannot follow it.`,
      );
    }
    const { command, rest } = resolution;
    words = [...command.path];
    if (rest.some(isHelp)) {
      io.stdout(commandHelp(command));
      return 0;
    }
    const parsed = parseOptions(rest, [...command.options, ...globalOptions], io.env);
    const options = new CommandOptions(parsed);
    const format = parseOutputFormat(options.text('output') ?? 'json');
    const query = options.text('query');
    if (query !== undefined) parseQuery(query); // a malformed query is a usage error before any request
    const subscriptionId = options.requiredText('subscription');
    const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const headers: Record<string, string> = {};
    if (io.env.BATCHAI_FUNCTION_KEY) headers['x-functions-key'] = io.env.BATCHAI_FUNCTION_KEY;
    const token = options.text('token');
    endpoint = options.requiredText('endpoint');
    checkEndpoint(endpoint);
    const timeoutSeconds = options.number('timeout') ?? DEFAULT_REQUEST_TIMEOUT_SECONDS;
    const timedFetch = fetchWithTimeout(io.fetch ?? ((input, init) => fetch(input, init)), timeoutSeconds);
    const commandIo: CommandIo = { ...io, fetch: timedFetch };
    let client: BatchAiClient;
    try {
      client = new BatchAiClient({
        endpoint,
        subscriptionId,
        headers,
        tokenProvider: token ? () => token : undefined,
        fetch: timedFetch,
        sleep,
      });
    } catch (error: unknown) {
      throw new UsageError(`--subscription: ${(error as Error).message.replace(/^BatchAiClient: /, '')}`);
    }
    const result = await command.run({ client, options, io: commandIo, subscriptionId, sleep });
    if (result.value !== undefined) {
      let value = flattenResource(result.value);
      if (query !== undefined) value = applyQuery(value, query);
      io.stdout(formatOutput(value, format, query === undefined ? result.view : undefined));
    }
    return result.exitCode ?? 0;
  } catch (error: unknown) {
    return report(error, words, io, endpoint);
  }
}

const ENDPOINT_EXAMPLE = 'http://127.0.0.1:7071/api';

/** The endpoint must be an http(s) URL; the message names the flag and the value given. */
function checkEndpoint(endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint: '${endpoint}' is not a URL (expected e.g. ${ENDPOINT_EXAMPLE}).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(
      `--endpoint: '${endpoint}' must be an http or https URL (expected e.g. ${ENDPOINT_EXAMPLE}).`,
    );
}

function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}

/** The version in package.json (the one above dist/cli/ or cli/). */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string; bin?: unknown };
      if (pkg.bin && typeof pkg.bin === 'object' && 'batchai' in pkg.bin) return pkg.version ?? 'unknown';
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

function report(error: unknown, words: string[], io: CommandIo, endpoint?: string): number {
  if (error instanceof UsageError) {
    io.stderr(
      `batchai${words.length ? ` ${words.join(' ')}` : ''}: error: ${error.message}\n${usageHint(words)}\n`,
    );
    return 2;
  }
  if (error instanceof BatchAiRestError) {
    io.stderr(`${error.describe()}\n`);
    // A 404 that is not the service's CloudError: the URL misses the API (most often the route prefix).
    if (error.statusCode === 404 && error.code === 'Http404' && endpoint !== undefined)
      io.stderr(
        `Hint: is --endpoint '${endpoint}' right? It usually ends with the route prefix /api (e.g. ${ENDPOINT_EXAMPLE}).\n`,
      );
    // Nothing listens on this machine's endpoint (a refused connection, not a timeout): most often no `npm start`.
    const timedOut = error.message.includes('no answer within');
    if (error.code === 'EndpointUnreachable' && !timedOut && endpoint !== undefined && isLoopback(endpoint))
      io.stderr(
        'Hint: is `npm start` running? With another PORT, set BATCHAI_ENDPOINT=http://127.0.0.1:<port>/api\n',
      );
    return 1;
  }
  io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}
