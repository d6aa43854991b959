// caffe2Settings: one process per node, AZ_BATCHAI_TASK_INDEX = the node's index (the recipes pass it as
// --shard_id and rendezvous through $AZ_BATCHAI_SHARED_JOB_TEMP); output in stdout-<i>.txt / stderr-<i>.txt.
import { stdOutErrFileNames } from '../jobLayout/jobOutputLayout';
import { optionalSetting, pythonCommand } from './commandParts';
import { makeProcess } from './jobLaunchContext';
import type { ToolkitPlanner } from './toolkitPlanner';

export const planCaffe2Toolkit: ToolkitPlanner = (context, settings) => {
  const command = pythonCommand(
    settings,
    'properties.caffe2Settings',
    optionalSetting(settings, 'commandLineArgs'),
  );
  return {
    perNode: context.nodes.map((_, index) => [
      makeProcess(context, index, {
        name: `rank-${index}`,
        role: 'rank',
        taskIndex: index,
        commandLine: command,
        ...files(index),
      }),
    ]),
  };
};

function files(index: number): { stdoutFile: string; stderrFile: string } {
  const names = stdOutErrFileNames.task('rank', index);
  return { stdoutFile: names.stdout, stderrFile: names.stderr };
}
