// chainerSettings: ChainerMN communicates over MPI, so the script always runs under mpirun (even one process).
import { optionalSetting, pythonCommand } from './commandParts';
import { mpiLaunch } from './mpiLaunch';
import { processCountOf } from './processCount';
import type { ToolkitPlanner } from './toolkitPlanner';

export const planChainerToolkit: ToolkitPlanner = (context, settings) => {
  const field = 'properties.chainerSettings';
  const command = pythonCommand(settings, field, optionalSetting(settings, 'commandLineArgs'));
  return mpiLaunch(context, processCountOf(settings, field, context.nodes.length), command);
};
