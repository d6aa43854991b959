// cntkSettings: BrainScript (`cntk configFile=<config> <args>`) or Python; more than one process runs under mpirun
// (CNTK's data-parallel training is MPI-based), a single process runs directly on the master.
import { ValidationError } from '../errors';
import { commandLine, optionalSetting, pythonCommand, requiredSetting } from './commandParts';
import { mpiLaunch } from './mpiLaunch';
import { processCountOf } from './processCount';
import { masterOnly, type ToolkitPlanner } from './toolkitPlanner';

export const planCntkToolkit: ToolkitPlanner = (context, settings) => {
  const field = 'properties.cntkSettings';
  const language = String(
    settings.languageType ?? (settings.pythonScriptFilePath ? 'Python' : 'BrainScript'),
  );
  const args = optionalSetting(settings, 'commandLineArgs');
  let command: string;
  if (language.toLowerCase() === 'python') command = pythonCommand(settings, field, args);
  else if (language.toLowerCase() === 'brainscript')
    command = commandLine('cntk', `configFile=${requiredSetting(settings, 'configFilePath', field)}`, args);
  else
    throw new ValidationError(
      `${field}.languageType`,
      `'${field}.languageType' must be 'BrainScript' or 'Python'.`,
    );
  const processCount = processCountOf(settings, field, context.nodes.length);
  return processCount > 1 ? mpiLaunch(context, processCount, command) : masterOnly(context, command);
};
