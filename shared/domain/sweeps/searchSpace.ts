// The parameters of trial i: grid sampling decodes i as a mixed-radix number over the parameters (the last one
// varies fastest); random sampling draws from a stream seeded by (seed, i). Pure, so the orchestrator can call it.
import { seededRandom } from './seededRandom';
import type { ParameterSet, ParameterSpec, ParameterValue, SweepDefinition } from './sweepDefinition';

type SearchSpace = Pick<SweepDefinition, 'parameters' | 'sampling' | 'seed'>;

/** Random floats are kept to 6 significant digits: readable in job names' logs and exact in env variables. */
function rounded(value: number): number {
  return Number(value.toPrecision(6));
}

function gridValues(spec: ParameterSpec): number {
  if (spec.type === 'choice') return spec.values.length;
  if (spec.type === 'int') return spec.max - spec.min + 1;
  throw new Error(`A '${spec.type}' parameter has no grid.`);
}

function gridValue(spec: ParameterSpec, position: number): ParameterValue {
  if (spec.type === 'choice') return spec.values[position];
  if (spec.type === 'int') return spec.min + position;
  throw new Error(`A '${spec.type}' parameter has no grid.`);
}

/** `value` rounded, kept within [min, max] (rounding to 6 digits can pass a bound given with more digits). */
function roundedWithin(value: number, min: number, max: number, clamp: boolean): number {
  const r = rounded(value);
  return clamp ? Math.min(max, Math.max(min, r)) : r;
}

function sample(spec: ParameterSpec, next: () => number, clamp: boolean): ParameterValue {
  const u = next();
  switch (spec.type) {
    case 'choice':
      return spec.values[Math.min(spec.values.length - 1, Math.floor(u * spec.values.length))];
    case 'int':
      return spec.min + Math.min(spec.max - spec.min, Math.floor(u * (spec.max - spec.min + 1)));
    case 'uniform':
      return roundedWithin(spec.min + u * (spec.max - spec.min), spec.min, spec.max, clamp);
    case 'loguniform':
      return roundedWithin(
        Math.exp(Math.log(spec.min) + u * (Math.log(spec.max) - Math.log(spec.min))),
        spec.min,
        spec.max,
        clamp,
      );
  }
}

/**
 * The parameter values of trial `index` (0-based). `clamp`: random floats are kept within their range after
 * rounding (false only for sweep orchestrations older than 1.2, so their replays compute the values they did).
 */
export function trialParameters(space: SearchSpace, index: number, clamp = true): ParameterSet {
  const names = Object.keys(space.parameters);
  const result: ParameterSet = {};
  if (space.sampling === 'grid') {
    let rest = index;
    for (let i = names.length - 1; i >= 0; i--) {
      const spec = space.parameters[names[i]];
      const radix = gridValues(spec);
      result[names[i]] = gridValue(spec, rest % radix);
      rest = Math.floor(rest / radix);
    }
    // Keep the body's order of names (the loop above filled them from the last).
    return Object.fromEntries(names.map((name) => [name, result[name]]));
  }
  const next = seededRandom(space.seed, index);
  for (const name of names) result[name] = sample(space.parameters[name], next, clamp);
  return result;
}
