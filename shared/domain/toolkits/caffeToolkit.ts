// caffeSettings: `caffe train --solver=<configFilePath> <args>` or a Python script (exactly one of the two); more
// than one process runs under mpirun, a single one directly on the master.
import { ValidationError } from '../errors';
import { commandLine, optionalSetting, pythonCommand } from './commandParts';
import { mpiLaunch } from './mpiLaunch';
import { processCountOf } from './processCount';
import { masterOnly, type ToolkitPlanner } from './toolkitPlanner';

export const planCaffeToolkit: ToolkitPlanner = (context, settings) => {
  const field = 'properties.caffeSettings';
  const config = optionalSetting(settings, 'configFilePath');
  const script = optionalSetting(settings, 'pythonScriptFilePath');
  if ((config === undefined) === (script === undefined)) {
    throw new ValidationError(
      field,
      `'${field}' needs exactly one of configFilePath and pythonScriptFilePath.`,
    );
  }
  const args = optionalSetting(settings, 'commandLineArgs');
  const command = config
    ? commandLine('caffe train', `--solver=${config}`, args)
    : pythonCommand(settings, field, args);
  const processCount = processCountOf(settings, field, context.nodes.length);
  return processCount > 1 ? mpiLaunch(context, processCount, command) : masterOnly(context, command);
};
