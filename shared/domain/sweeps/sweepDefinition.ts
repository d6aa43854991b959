// A parameter sweep's definition (the `properties` of a sweep PUT): the search space, sampling, limits, objective and
// early-termination policy, validated with errors naming the field. The job template is checked by the job rules.
import { ValidationError } from '../errors';
import { checkJobProperties } from '../jobRules';
import { isJsonObject, validateCreateBody, type JsonObject } from '../specValidator';
import { stepPairName } from './metricLine';
import { trialParameters } from './searchSpace';
import { placeholderNames, trialJobBody } from './trialJobBody';

export type ParameterValue = string | number | boolean;
/** One trial's parameter values, by parameter name. */
export type ParameterSet = Record<string, ParameterValue>;

export type ParameterSpec =
  | { type: 'choice'; values: ParameterValue[] }
  | { type: 'uniform' | 'loguniform'; min: number; max: number }
  | { type: 'int'; min: number; max: number };

export type Sampling = 'grid' | 'random';
export type Goal = 'maximize' | 'minimize';

export interface EarlyTerminationSpec {
  policy: 'median' | 'bandit';
  /** Seconds between two evaluations of the running trials. */
  evaluationInterval: number;
  /** A trial is judged only once it has reported a step at least this large. */
  delayEvaluation: number;
  /** Bandit only: a trial is stopped when its best value is worse than best / (1 + slack) (or best * (1 + slack)). */
  slackFactor?: number;
}

export interface SweepDefinition {
  /** JobBaseProperties with `{parameters.x}` / `{{x}}` placeholders, validated, secrets removed. */
  jobTemplate: JsonObject;
  /** In the order the body gave them: grid enumeration varies the last one fastest. */
  parameters: Record<string, ParameterSpec>;
  sampling: Sampling;
  maxTrials: number;
  maxConcurrentTrials: number;
  seed: number;
  objective: { metric: string; goal: Goal };
  earlyTermination?: EarlyTerminationSpec;
}

export interface ValidatedSweep {
  definition: SweepDefinition;
  /** The job template's secret values by path of a job body (`properties.secrets[0].value`): to be sealed. */
  secrets: Record<string, string>;
}

/** Bounds that keep one sweep's orchestration state and Cosmos document small. */
export const sweepLimits = {
  maxTrials: 1000,
  maxConcurrentTrials: 200,
  maxParameters: 16,
  maxChoiceValues: 200,
  maxEvaluationIntervalSeconds: 86_400,
  /** A trial is named `<sweep>-t<index>` and job names have at most 64 characters. */
  maxSweepNameLength: 58,
};

const parameterNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Names an object's prototype chain gives meaning to: as a parameter each would vanish or be shadowed. */
const reservedParameterNames = new Set(['__proto__', 'constructor', 'prototype']);
const metricNamePattern = /^[A-Za-z_][\w.-]{0,127}$/;

function fail(target: string, message: string, code?: string): never {
  throw new ValidationError(target, message, code);
}

function requireInteger(target: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    fail(target, `'${target}' must be an integer from ${min} to ${max}; it is ${JSON.stringify(value)}.`);
  return value;
}

function requireNumber(target: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    fail(target, `'${target}' must be a finite number; it is ${JSON.stringify(value)}.`);
  return value;
}

function requireOneOf<T extends string>(target: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T))
    fail(target, `'${target}' must be one of ${allowed.join(', ')}; it is ${JSON.stringify(value)}.`);
  return value as T;
}

function checkParameter(target: string, raw: unknown, sampling: Sampling): ParameterSpec {
  if (!isJsonObject(raw)) fail(target, `'${target}' must be an object with a 'type'.`);
  const type = requireOneOf(`${target}.type`, raw.type, ['choice', 'uniform', 'loguniform', 'int'] as const);
  if (sampling === 'grid' && (type === 'uniform' || type === 'loguniform'))
    fail(
      `${target}.type`,
      `Grid sampling enumerates values, so '${target}' must be a 'choice' or an 'int' range; '${type}' needs sampling 'random'.`,
    );
  if (type === 'choice') {
    const values = raw.values;
    if (!Array.isArray(values) || values.length < 1 || values.length > sweepLimits.maxChoiceValues)
      fail(
        `${target}.values`,
        `'${target}.values' must be an array of 1 to ${sweepLimits.maxChoiceValues} values.`,
      );
    values.forEach((value, i) => {
      const ok =
        typeof value === 'string' ||
        typeof value === 'boolean' ||
        (typeof value === 'number' && Number.isFinite(value));
      if (!ok)
        fail(`${target}.values[${i}]`, `'${target}.values[${i}]' must be a string, number or boolean.`);
    });
    return { type, values: values as ParameterValue[] };
  }
  if (type === 'int') {
    const min = requireInteger(`${target}.min`, raw.min, -1e9, 1e9);
    const max = requireInteger(`${target}.max`, raw.max, -1e9, 1e9);
    if (max < min) fail(`${target}.max`, `'${target}.max' (${max}) must not be less than min (${min}).`);
    return { type, min, max };
  }
  const min = requireNumber(`${target}.min`, raw.min);
  const max = requireNumber(`${target}.max`, raw.max);
  if (max <= min) fail(`${target}.max`, `'${target}.max' (${max}) must be greater than min (${min}).`);
  // A sample is min + u * (max - min): a width past the largest double would make every sample the same bound.
  if (!Number.isFinite(max - min))
    fail(
      `${target}.max`,
      `The range of '${target}' is too wide: max - min (${max} - ${min}) must be a finite number.`,
    );
  if (type === 'loguniform' && min <= 0)
    fail(`${target}.min`, `'${target}.min' must be greater than 0 for a loguniform parameter; it is ${min}.`);
  return { type, min, max };
}

/** Number of points of a grid (choice and int parameters only). */
export function gridSize(parameters: Record<string, ParameterSpec>): number {
  let size = 1;
  for (const spec of Object.values(parameters)) {
    if (spec.type === 'choice') size *= spec.values.length;
    else if (spec.type === 'int') size *= spec.max - spec.min + 1;
    else return Infinity;
  }
  return size;
}

/** Re-targets a job validation error from `properties.x` to `properties.jobTemplate.x`. */
function underTemplate(error: unknown): unknown {
  if (!(error instanceof ValidationError)) return error;
  const target = (error.target ?? 'properties').replace(/^properties(?=\.|\[|$)/, 'properties.jobTemplate');
  const message = error.message.replace(/'properties(?=[.[']|$)/g, `'properties.jobTemplate`);
  return new ValidationError(target, message, error.code);
}

function checkJobTemplate(
  raw: unknown,
  parameters: Record<string, ParameterSpec>,
  firstTrial: Record<string, ParameterValue>,
): { jobTemplate: JsonObject; secrets: Record<string, string> } {
  if (!isJsonObject(raw))
    fail(
      'properties.jobTemplate',
      `'properties.jobTemplate' is required: the properties of a job (JobCreateParameters.properties).`,
      'MissingRequiredProperty',
    );
  try {
    // Validated first: the placeholder scan and the substitution walk only what the job schema keeps (a bounded
    // depth), never the raw body.
    const validated = validateCreateBody('JobCreateParameters', { properties: raw });
    checkJobProperties(validated.properties);
    for (const { name, path } of placeholderNames(validated.properties, 'properties')) {
      if (!Object.hasOwn(parameters, name))
        fail(
          path,
          `'${path}' refers to the parameter '${name}', which 'properties.parameters' does not define.`,
        );
    }
    // The first trial's job must be valid too (a substituted value can break a pattern or a range).
    // It is checked as the trial's body is built (trialJobBody), with the template's secrets put back.
    const trial = validateCreateBody(
      'JobCreateParameters',
      trialJobBody(validated.properties, firstTrial, validated.secrets),
    );
    checkJobProperties(trial.properties);
    return { jobTemplate: validated.properties, secrets: validated.secrets };
  } catch (error: unknown) {
    throw underTemplate(error);
  }
}

/**
 * Validates a sweep PUT body. `defaultSeed` is used when the body gives none (the caller picks it at random once,
 * and it is stored, so the sweep stays reproducible).
 */
export function validateSweepBody(body: unknown, defaultSeed: number): ValidatedSweep {
  if (!isJsonObject(body) || !isJsonObject(body.properties))
    fail('properties', `The property 'properties' is required.`, 'MissingRequiredProperty');
  const p = body.properties;
  const sampling = requireOneOf('properties.sampling', p.sampling ?? 'random', ['grid', 'random'] as const);
  if (!isJsonObject(p.parameters) || Object.keys(p.parameters).length === 0)
    fail('properties.parameters', `'properties.parameters' must be an object with at least one parameter.`);
  const names = Object.keys(p.parameters);
  if (names.length > sweepLimits.maxParameters)
    fail(
      'properties.parameters',
      `A sweep has at most ${sweepLimits.maxParameters} parameters; this one has ${names.length}.`,
    );
  const parameters: Record<string, ParameterSpec> = {};
  const envNames = new Map<string, string>();
  for (const name of names) {
    const target = `properties.parameters.${name}`;
    if (!parameterNamePattern.test(name))
      fail(
        target,
        `The parameter name '${name}' is invalid: letters, digits and '_', not starting with a digit.`,
      );
    if (reservedParameterNames.has(name))
      fail(target, `The parameter name '${name}' is reserved: choose another name.`);
    const clash = envNames.get(name.toUpperCase());
    if (clash)
      fail(
        target,
        `The parameters '${clash}' and '${name}' differ only by case (both AZ_BATCHAI_PARAM_${name.toUpperCase()}).`,
      );
    envNames.set(name.toUpperCase(), name);
    parameters[name] = checkParameter(target, p.parameters[name], sampling);
  }
  const size = gridSize(parameters);
  if (sampling === 'grid' && size > sweepLimits.maxTrials)
    fail(
      'properties.parameters',
      `The grid has ${size} points; a sweep runs at most ${sweepLimits.maxTrials} trials.`,
    );
  const maxTrials =
    p.maxTrials === undefined && sampling === 'grid'
      ? size
      : requireInteger('properties.maxTrials', p.maxTrials, 1, sweepLimits.maxTrials);
  if (sampling === 'grid' && maxTrials > size)
    fail(
      'properties.maxTrials',
      `'properties.maxTrials' (${maxTrials}) exceeds the ${size} points of the grid.`,
    );
  const maxConcurrentTrials = requireInteger(
    'properties.maxConcurrentTrials',
    p.maxConcurrentTrials ?? Math.min(maxTrials, 10),
    1,
    sweepLimits.maxConcurrentTrials,
  );
  const seed = requireInteger('properties.seed', p.seed ?? defaultSeed, 0, 2 ** 32 - 1);
  if (!isJsonObject(p.objective))
    fail(
      'properties.objective',
      `'properties.objective' is required: { metric, goal: 'maximize' | 'minimize' }.`,
      'MissingRequiredProperty',
    );
  const metric = p.objective.metric;
  if (typeof metric !== 'string' || !metricNamePattern.test(metric))
    fail(
      'properties.objective.metric',
      `'properties.objective.metric' must be a metric name (letters, digits, '_', '.', '-').`,
    );
  // In a metric line `step=N` numbers the report (metricLine.ts): it is never a metric of its own.
  if (metric === stepPairName)
    fail(
      'properties.objective.metric',
      `'properties.objective.metric' cannot be '${stepPairName}': in a metric line 'step=N' is the report's step, not a metric. Print the objective under another name.`,
    );
  const goal = requireOneOf('properties.objective.goal', p.objective.goal, ['maximize', 'minimize'] as const);
  let earlyTermination: EarlyTerminationSpec | undefined;
  if (p.earlyTermination !== undefined && p.earlyTermination !== null) {
    const e = p.earlyTermination;
    if (!isJsonObject(e))
      fail('properties.earlyTermination', `'properties.earlyTermination' must be an object.`);
    const policy = requireOneOf('properties.earlyTermination.policy', e.policy, [
      'median',
      'bandit',
    ] as const);
    const evaluationInterval = requireInteger(
      'properties.earlyTermination.evaluationInterval',
      e.evaluationInterval ?? 30,
      1,
      sweepLimits.maxEvaluationIntervalSeconds,
    );
    const delayEvaluation = requireInteger(
      'properties.earlyTermination.delayEvaluation',
      e.delayEvaluation ?? 0,
      0,
      1e9,
    );
    earlyTermination = { policy, evaluationInterval, delayEvaluation };
    if (policy === 'bandit') {
      const slack = requireNumber('properties.earlyTermination.slackFactor', e.slackFactor);
      if (slack < 0)
        fail(
          'properties.earlyTermination.slackFactor',
          `'properties.earlyTermination.slackFactor' must not be negative.`,
        );
      earlyTermination.slackFactor = slack;
    } else if (e.slackFactor !== undefined) {
      fail(
        'properties.earlyTermination.slackFactor',
        `'properties.earlyTermination.slackFactor' applies to the 'bandit' policy only.`,
      );
    }
  }
  const base = {
    parameters,
    sampling,
    maxTrials,
    maxConcurrentTrials,
    seed,
    objective: { metric, goal },
    ...(earlyTermination ? { earlyTermination } : {}),
  };
  const { jobTemplate, secrets } = checkJobTemplate(p.jobTemplate, parameters, trialParameters(base, 0));
  return { definition: { jobTemplate, ...base }, secrets };
}
