// Turns the sweep's job template into one trial's job body: `{parameters.x}` (and the Batch AI utilities' `{{x}}`)
// placeholders in every string are replaced by the trial's values, each value is also passed as the environment
// variable AZ_BATCHAI_PARAM_<X>, and the template's secrets are put back where they came from.
import { ValidationError } from '../errors';
import { isJsonObject, type JsonObject, type JsonValue } from '../specValidator';
import type { ResourceRecord } from '../resourceRecord';
import type { ParameterSet, ParameterValue } from './sweepDefinition';

const placeholder = /\{parameters\.([A-Za-z_][A-Za-z0-9_]*)\}|\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

/** A trial's job name: `<sweep>-t<index>`. */
export function trialJobName(sweepName: string, index: number): string {
  return `${sweepName}-t${index}`;
}

/** What a sweep's trial jobs are marked with (JobRuntime.createdBy): the sweep's uuid, new for every sweep. */
export function trialCreator(sweepUuid: string): string {
  return `sweep:${sweepUuid}`;
}

/**
 * Whether `job` is the sweep's own trial job: marked with this sweep, it is; marked with anything else, it is not;
 * unmarked (made before trials were marked, or by hand), when it was created at `earliestMs` or later.
 */
export function isOwnTrialJob(job: ResourceRecord, sweepUuid: string, earliestMs: number): boolean {
  const creator = job.job?.createdBy;
  if (creator !== undefined) return creator === trialCreator(sweepUuid);
  const created = job.status.creationTime;
  return typeof created === 'string' && Date.parse(created) >= earliestMs;
}

/** What a trial's job says when its sweep stops it (the message of its JobTerminated error). */
export function trialStopReason(sweepName: string, reason: string): string {
  return `Stopped by the sweep '${sweepName}': ${reason}`;
}

/** The environment variable that carries a parameter's value into the trial. */
export function parameterEnvironmentName(name: string): string {
  return `AZ_BATCHAI_PARAM_${name.toUpperCase()}`;
}

export function formatParameterValue(value: ParameterValue): string {
  return String(value);
}

/**
 * How deep a template may nest. A job body's schema is a few levels deep and the validated template keeps only what
 * the schema knows, so this is never reached by a valid template; it keeps the walkers below off the call stack's
 * limit whatever they are given (a 400 naming the field instead of a "Maximum call stack size exceeded").
 */
export const maxTemplateDepth = 64;

function tooDeep(path: string): never {
  throw new ValidationError(
    path,
    `'${path}' is nested too deeply: a job template has at most ${maxTemplateDepth} levels of objects and arrays.`,
  );
}

function visitStrings(
  value: JsonValue,
  path: string,
  visit: (text: string, path: string) => void,
  depth = 0,
): void {
  if (typeof value === 'string') visit(value, path);
  else if (value !== null && typeof value === 'object' && depth >= maxTemplateDepth) tooDeep(path);
  else if (Array.isArray(value))
    value.forEach((item, i) => visitStrings(item, `${path}[${i}]`, visit, depth + 1));
  else if (isJsonObject(value))
    for (const [key, item] of Object.entries(value)) visitStrings(item, `${path}.${key}`, visit, depth + 1);
}

/** Every placeholder of a template with the JSON path of the string holding it. */
export function placeholderNames(template: JsonObject, basePath: string): { name: string; path: string }[] {
  const found: { name: string; path: string }[] = [];
  visitStrings(template, basePath, (text, path) => {
    for (const match of text.matchAll(placeholder)) found.push({ name: match[1] ?? match[2], path });
  });
  return found;
}

function substitute(value: JsonValue, parameters: ParameterSet, path: string, depth: number): JsonValue {
  if (typeof value === 'string')
    return value.replace(placeholder, (whole, a?: string, b?: string) => {
      const name = a ?? b ?? '';
      return Object.hasOwn(parameters, name) ? formatParameterValue(parameters[name]) : whole;
    });
  if (value !== null && typeof value === 'object' && depth >= maxTemplateDepth) tooDeep(path);
  if (Array.isArray(value))
    return value.map((item, i) => substitute(item, parameters, `${path}[${i}]`, depth + 1));
  if (isJsonObject(value))
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        substitute(item, parameters, `${path}.${key}`, depth + 1),
      ]),
    );
  return value;
}

/** The template with every known placeholder replaced (unknown ones are left as written). */
export function substituteParameters(template: JsonObject, parameters: ParameterSet): JsonObject {
  return substitute(template, parameters, 'properties', 0) as JsonObject;
}

/** Sets `value` at a path such as `properties.secrets[0].value` (the paths the spec validator gives secrets). */
function setAtPath(root: JsonObject, path: string, value: string): void {
  const steps = path.match(/[^.[\]]+/g) ?? [];
  let node: JsonValue = root;
  for (let i = 0; i < steps.length - 1; i++) {
    const step = /^\d+$/.test(steps[i]) ? Number(steps[i]) : steps[i];
    const child: JsonValue | undefined = Array.isArray(node)
      ? node[step as number]
      : isJsonObject(node)
        ? node[step as string]
        : undefined;
    if (child === undefined || child === null || typeof child !== 'object')
      throw new Error(`The secret path '${path}' does not match the job template.`);
    node = child;
  }
  const last = steps[steps.length - 1];
  if (Array.isArray(node)) node[Number(last)] = value;
  else if (isJsonObject(node)) node[last] = value;
}

/** The body of trial `parameters`' job (`{ properties }`), ready for createJob. */
export function trialJobBody(
  template: JsonObject,
  parameters: ParameterSet,
  secrets: Record<string, string>,
): { properties: JsonObject } {
  const properties = substituteParameters(template, parameters);
  const ours = new Set(Object.keys(parameters).map(parameterEnvironmentName));
  const existing = Array.isArray(properties.environmentVariables)
    ? properties.environmentVariables.filter((v) => !(isJsonObject(v) && ours.has(String(v.name))))
    : [];
  properties.environmentVariables = [
    ...existing,
    ...Object.entries(parameters).map(([name, value]) => ({
      name: parameterEnvironmentName(name),
      value: formatParameterValue(value),
    })),
  ];
  const body: { properties: JsonObject } = { properties };
  for (const [path, value] of Object.entries(secrets)) setAtPath(body as unknown as JsonObject, path, value);
  return body;
}
