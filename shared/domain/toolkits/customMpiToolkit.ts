// customMpiSettings: the command line run by the MPI runtime, processCount ranks over the gang.
import { requiredSetting } from './commandParts';
import { mpiLaunch } from './mpiLaunch';
import { processCountOf } from './processCount';
import type { ToolkitPlanner } from './toolkitPlanner';

export const planCustomMpiToolkit: ToolkitPlanner = (context, settings) => {
  const field = 'properties.customMpiSettings';
  const command = requiredSetting(settings, 'commandLine', field);
  return mpiLaunch(context, processCountOf(settings, field, context.nodes.length), command);
};
