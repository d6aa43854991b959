// Runs one command line: finds the command, parses its flags, calls the service through the typed client and prints
// the result. Exit codes: 0 success, 1 service or runtime error (printed as `code: message (target)`), 2 usage
// error, or the job's own exit code for `job wait`.
import { BatchAiClient } from '../shared/client/batchAiClient';
import { BatchAiRestError } from '../shared/client/batchAiRestError';
import { parseOptions } from './argumentParser';
import { CommandOptions } from './commandOptions';
import type { CommandIo } from './commandSpec';
import { resolveCommand } from './commandTable';
import { globalOptions } from './globalOptions';
import { commandHelp, groupHelp, usageHint } from './helpText';
import { flattenResource, formatOutput, parseOutputFormat } from './outputFormatter';
import { applyQuery } from './queryPath';
import { UsageError } from './usageError';

const isHelp = (token: string): boolean => token === '-h' || token === '--help';

export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  let words: string[] = [];
  try {
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
    const subscriptionId = options.requiredText('subscription');
    const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const headers: Record<string, string> = {};
    if (io.env.BATCHAI_FUNCTION_KEY) headers['x-functions-key'] = io.env.BATCHAI_FUNCTION_KEY;
    const token = options.text('token');
    let client: BatchAiClient;
    try {
      client = new BatchAiClient({
        endpoint: options.requiredText('endpoint'),
        subscriptionId,
        headers,
        tokenProvider: token ? () => token : undefined,
        fetch: io.fetch,
        sleep,
      });
    } catch (error: unknown) {
      throw new UsageError(
        `--endpoint/--subscription: ${(error as Error).message.replace(/^BatchAiClient: /, '')}`,
      );
    }
    const result = await command.run({ client, options, io, subscriptionId, sleep });
    if (result.value !== undefined) {
      let value = flattenResource(result.value);
      if (query !== undefined) value = applyQuery(value, query);
      io.stdout(formatOutput(value, format, query === undefined ? result.view : undefined));
    }
    return result.exitCode ?? 0;
  } catch (error: unknown) {
    return report(error, words, io);
  }
}

function report(error: unknown, words: string[], io: CommandIo): number {
  if (error instanceof UsageError) {
    io.stderr(
      `batchai${words.length ? ` ${words.join(' ')}` : ''}: error: ${error.message}\n${usageHint(words)}\n`,
    );
    return 2;
  }
  if (error instanceof BatchAiRestError) {
    io.stderr(`${error.describe()}\n`);
    return 1;
  }
  io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}
