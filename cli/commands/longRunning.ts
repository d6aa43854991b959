// How commands end a long-running operation: wait for it (printing the result) or, with --no-wait, return at once.
import type { OperationPoller } from '../../shared/client/operationPoller';
import type { CommandContext } from '../commandSpec';

export async function finish<T>(context: CommandContext, poller: OperationPoller<T>): Promise<T | undefined> {
  if (context.options.flag('no-wait')) return undefined;
  return poller.pollUntilDone();
}

/**
 * Ends a DELETE like az: exit 0 either way, with a note on stderr when there was nothing to delete. The service
 * answers 202 with an operation for a resource that exists and 204 (done at once, no operation) when none does.
 * `what` is the noun with its article, e.g. 'a cluster' -> "There was no such cluster."
 */
export async function finishDelete(
  context: CommandContext,
  poller: OperationPoller<void>,
  what: string,
): Promise<void> {
  if (poller.isDone() && poller.operationUrl === undefined && poller.locationUrl === undefined) {
    context.io.stderr(`There was no such ${what.replace(/^(a|an) /, '')}.\n`);
    return;
  }
  await finish(context, poller);
}
