// How commands end a long-running operation: wait for it (printing the result) or, with --no-wait, return at once.
import type { OperationPoller } from '../../shared/client/operationPoller';
import type { CommandContext } from '../commandSpec';

export async function finish<T>(context: CommandContext, poller: OperationPoller<T>): Promise<T | undefined> {
  if (context.options.flag('no-wait')) return undefined;
  return poller.pollUntilDone();
}
