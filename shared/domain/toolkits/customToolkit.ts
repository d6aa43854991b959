// customToolkitSettings: the command line runs on the master node only.
import { requiredSetting } from './commandParts';
import { masterOnly, type ToolkitPlanner } from './toolkitPlanner';

export const planCustomToolkit: ToolkitPlanner = (context, settings) =>
  masterOnly(context, requiredSetting(settings, 'commandLine', 'properties.customToolkitSettings'));
