// horovodSettings: the Python script under mpirun (Horovod is MPI-based), processCount ranks over the gang.
import { optionalSetting, pythonCommand } from './commandParts';
import { mpiLaunch } from './mpiLaunch';
import { processCountOf } from './processCount';
import type { ToolkitPlanner } from './toolkitPlanner';

export const planHorovodToolkit: ToolkitPlanner = (context, settings) => {
  const field = 'properties.horovodSettings';
  const command = pythonCommand(settings, field, optionalSetting(settings, 'commandLineArgs'));
  return mpiLaunch(context, processCountOf(settings, field, context.nodes.length), command);
};
