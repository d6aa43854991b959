// `show`, `list` and `delete` of a workspace's direct children (clusters, experiments, file servers): the same three
// commands over the client's operation group of that kind.
import type { ListOptions } from '../../shared/client/batchAiClient';
import type { OperationPoller } from '../../shared/client/operationPoller';
import type { OptionSpec } from '../argumentParser';
import type { BatchAiClient } from '../../shared/client/batchAiClient';
import type { CommandSpec } from '../commandSpec';
import {
  collectResults,
  maxResultsOption,
  pageOptions,
  noWaitOption,
  resourceGroupOption,
  workspaceOption,
  yesOption,
} from '../commonOptions';
import type { OutputView } from '../outputFormatter';
import { finishDelete } from './longRunning';

interface WorkspaceChildGroup {
  get(resourceGroup: string, workspace: string, name: string): Promise<unknown>;
  listByWorkspace(resourceGroup: string, workspace: string, options?: ListOptions): AsyncIterable<unknown>;
  beginDelete(resourceGroup: string, workspace: string, name: string): Promise<OperationPoller<void>>;
}

export interface WorkspaceChildCommandsSpec {
  /** The command group, e.g. 'file-server'. */
  group: string;
  /** In summaries, with its article: 'a file server' / 'file servers'. */
  noun: string;
  plural: string;
  nameOption: OptionSpec;
  view: OutputView;
  operations(client: BatchAiClient): WorkspaceChildGroup;
  /** What a delete also removes, for its summary (e.g. ' and its jobs'). */
  deleteAlso?: string;
}

export function workspaceChildCommands(spec: WorkspaceChildCommandsSpec): CommandSpec[] {
  return [
    {
      path: [spec.group, 'show'],
      summary: `Show ${spec.noun}.`,
      options: [resourceGroupOption, workspaceOption, spec.nameOption],
      async run({ client, options }) {
        const value = await spec
          .operations(client)
          .get(
            options.requiredText('resource-group'),
            options.requiredText('workspace'),
            options.requiredText('name'),
          );
        return { value, view: spec.view };
      },
    },
    {
      path: [spec.group, 'list'],
      summary: `List the ${spec.plural} of a workspace.`,
      options: [resourceGroupOption, workspaceOption, maxResultsOption],
      async run({ client, options }) {
        const list = spec
          .operations(client)
          .listByWorkspace(
            options.requiredText('resource-group'),
            options.requiredText('workspace'),
            pageOptions(options),
          );
        return { value: await collectResults(list, options), view: spec.view };
      },
    },
    {
      path: [spec.group, 'delete'],
      summary: `Delete ${spec.noun}${spec.deleteAlso ?? ''}.`,
      options: [resourceGroupOption, workspaceOption, spec.nameOption, yesOption, noWaitOption],
      async run(context) {
        const { client, options } = context;
        const poller = await spec
          .operations(client)
          .beginDelete(
            options.requiredText('resource-group'),
            options.requiredText('workspace'),
            options.requiredText('name'),
          );
        await finishDelete(context, poller, spec.noun);
        return {};
      },
    },
  ];
}
