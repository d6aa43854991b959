// Rules of a job body beyond the spec's schema: exactly one toolkit, counts that make sense for the node count,
// unique ids and names, and the toolType the service derives from the toolkit.
import { ValidationError } from './errors';
import { validateMountVolumes } from './mountVolumeRules';
import { checkJobDirectoryPaths } from './jobLayout/jobOutputLayout';
import { hasParentSegment } from './jobLayout/posixPath';
import { serviceVariableConflict } from './jobLayout/serviceVariables';
import { isJsonObject, type JsonObject, type JsonValue } from './specValidator';

/** Toolkit settings property -> toolType (`pytorch` is missing from the spec's enum but the service returned it). */
export const toolkitTypes: Record<string, string> = {
  cntkSettings: 'cntk',
  pyTorchSettings: 'pytorch',
  tensorFlowSettings: 'tensorflow',
  caffeSettings: 'caffe',
  caffe2Settings: 'caffe2',
  chainerSettings: 'chainer',
  customToolkitSettings: 'custom',
  customMpiSettings: 'custommpi',
  horovodSettings: 'horovod',
};

const reservedOutputDirectoryId = 'stdouterr';
/** Environment variable names (and the ids that become part of one). */
const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

function objectsOf(value: JsonValue | undefined): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function requireUnique(path: string, values: { value: string; index: number }[], what: string): void {
  const seen = new Map<string, number>();
  for (const { value, index } of values) {
    const key = value.toLowerCase();
    if (seen.has(key))
      throw new ValidationError(
        `${path}[${index}]`,
        `Duplicate ${what} '${value}' (also at index ${seen.get(key)}).`,
      );
    seen.set(key, index);
  }
}

function requirePositive(path: string, value: JsonValue | undefined, minimum = 1): void {
  if (typeof value === 'number' && value < minimum)
    throw new ValidationError(path, `'${path}' must be at least ${minimum}; it is ${value}.`);
}

/** Checks a validated JobBaseProperties object (path prefix `properties`) and returns its toolType. */
export function checkJobProperties(properties: JsonObject): string {
  const toolkits = Object.keys(toolkitTypes).filter((name) => properties[name] !== undefined);
  if (toolkits.length !== 1) {
    throw new ValidationError(
      'properties',
      toolkits.length === 0
        ? `A job needs exactly one toolkit: set one of ${Object.keys(toolkitTypes).join(', ')}.`
        : `A job needs exactly one toolkit; it sets ${toolkits.join(' and ')}.`,
      'InvalidToolkit',
    );
  }
  const toolkit = toolkits[0];
  const settings = properties[toolkit] as JsonObject;
  const nodeCount = properties.nodeCount as number;
  requirePositive('properties.nodeCount', nodeCount);
  requirePositive(`properties.${toolkit}.processCount`, settings.processCount);
  if (toolkit === 'tensorFlowSettings') {
    requirePositive('properties.tensorFlowSettings.workerCount', settings.workerCount);
    requirePositive('properties.tensorFlowSettings.parameterServerCount', settings.parameterServerCount, 0);
    if (typeof settings.parameterServerCount === 'number' && settings.parameterServerCount > nodeCount) {
      throw new ValidationError(
        'properties.tensorFlowSettings.parameterServerCount',
        `'properties.tensorFlowSettings.parameterServerCount' (${settings.parameterServerCount}) must not exceed nodeCount (${nodeCount}).`,
      );
    }
  }
  if (toolkit === 'cntkSettings') checkCntk(settings);
  if (toolkit === 'pyTorchSettings' && settings.communicationBackend !== undefined) {
    // Checked case-insensitively and kept as given (recipes send 'gloo'; the service echoed it).
    if (!['tcp', 'gloo', 'mpi'].includes(String(settings.communicationBackend).toLowerCase())) {
      throw new ValidationError(
        'properties.pyTorchSettings.communicationBackend',
        `'properties.pyTorchSettings.communicationBackend' must be one of TCP, Gloo, MPI.`,
      );
    }
  }
  const inputs = objectsOf(properties.inputDirectories);
  const outputs = objectsOf(properties.outputDirectories);
  // An id names the variable AZ_BATCHAI_INPUT_<id> / AZ_BATCHAI_OUTPUT_<id>: it must be a valid variable name, and
  // not '__proto__' (maps of ids and variables are plain objects on their way to the nodes, where it is no key).
  for (const [list, directories] of [
    ['inputDirectories', inputs],
    ['outputDirectories', outputs],
  ] as const) {
    directories.forEach((d, index) => {
      const path = `properties.${list}[${index}].id`;
      if (!variableNamePattern.test(String(d.id)) || String(d.id) === '__proto__')
        throw new ValidationError(
          path,
          `'${path}' must be a valid environment variable name part (letters, digits and '_', not starting with a digit): it names AZ_BATCHAI_${list === 'inputDirectories' ? 'INPUT' : 'OUTPUT'}_<id>; it is '${String(d.id)}'.`,
        );
    });
  }
  requireUnique(
    'properties.inputDirectories',
    inputs.map((d, index) => ({ value: String(d.id), index })),
    'input directory id',
  );
  requireUnique(
    'properties.outputDirectories',
    outputs.map((d, index) => ({ value: String(d.id), index })),
    'output directory id',
  );
  // The job's files are listed (with links) below these paths, and its outputs copied there: a '..' could reach
  // another job's or another workspace's folders.
  const paths: [string, unknown][] = [
    ['properties.stdOutErrPathPrefix', properties.stdOutErrPathPrefix],
    ...outputs.flatMap((d, index): [string, unknown][] => [
      [`properties.outputDirectories[${index}].pathPrefix`, d.pathPrefix],
      [`properties.outputDirectories[${index}].pathSuffix`, d.pathSuffix],
    ]),
  ];
  for (const [field, value] of paths) {
    if (typeof value === 'string' && hasParentSegment(value)) {
      throw new ValidationError(field, `'${field}' must not contain a '..' segment; it is '${value}'.`);
    }
  }
  // Resolved as the launch will resolve them: relative prefixes and undefined variables are refused now.
  checkJobDirectoryPaths(properties);
  outputs.forEach((d, index) => {
    if (String(d.id).toLowerCase() === reservedOutputDirectoryId) {
      throw new ValidationError(
        `properties.outputDirectories[${index}].id`,
        `The output directory id '${reservedOutputDirectoryId}' is reserved for stdout and stderr.`,
      );
    }
  });
  const variables = [
    ...objectsOf(properties.environmentVariables).map((v, index) => ({
      value: String(v.name),
      index,
      list: 'environmentVariables',
    })),
    ...objectsOf(properties.secrets).map((v, index) => ({ value: String(v.name), index, list: 'secrets' })),
  ];
  const names = new Map<string, string>();
  for (const variable of variables) {
    const path = `properties.${variable.list}[${variable.index}].name`;
    if (!variableNamePattern.test(variable.value)) {
      throw new ValidationError(path, `'${variable.value}' is not a valid environment variable name.`);
    }
    // Environments are plain objects from here to the node: '__proto__' would be no variable there, silently.
    if (variable.value === '__proto__')
      throw new ValidationError(path, `'${path}' cannot be '__proto__': choose another variable name.`);
    const conflict = serviceVariableConflict(
      variable.value,
      inputs.map((d) => String(d.id)),
    );
    if (conflict) throw new ValidationError(path, conflict);
    if (names.has(variable.value))
      throw new ValidationError(
        path,
        `The variable '${variable.value}' is also defined at ${names.get(variable.value)}.`,
      );
    names.set(variable.value, path);
  }
  if (properties.mountVolumes !== undefined)
    validateMountVolumes('properties.mountVolumes', properties.mountVolumes as JsonObject);
  return toolkitTypes[toolkit];
}

function checkCntk(settings: JsonObject): void {
  const path = 'properties.cntkSettings';
  const language =
    settings.languageType === undefined ? undefined : String(settings.languageType).toLowerCase();
  if (language !== undefined && language !== 'brainscript' && language !== 'python') {
    throw new ValidationError(
      `${path}.languageType`,
      `'${path}.languageType' must be 'BrainScript' or 'Python'.`,
    );
  }
  const isPython =
    language === 'python' || (language === undefined && settings.pythonScriptFilePath !== undefined);
  if (isPython && settings.pythonScriptFilePath === undefined) {
    throw new ValidationError(
      `${path}.pythonScriptFilePath`,
      `'${path}.pythonScriptFilePath' is required when languageType is 'Python'.`,
    );
  }
  if (!isPython && settings.configFilePath === undefined) {
    throw new ValidationError(
      `${path}.configFilePath`,
      `'${path}.configFilePath' is required when languageType is 'BrainScript'.`,
    );
  }
  if (!isPython && settings.pythonScriptFilePath !== undefined) {
    throw new ValidationError(
      `${path}.pythonScriptFilePath`,
      `'${path}.pythonScriptFilePath' can be set only when languageType is 'Python'.`,
    );
  }
}
