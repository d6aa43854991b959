// `--query`: the subset of JMESPath the Batch AI docs use: field paths (`jobOutputDirectoryPathSegment`,
// `nodeStateCounts.idleNodeCount`), indexes (`[0]`) and projections over lists (`[].name`, `[*].name`).
import { UsageError } from './usageError';

type Step = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'project' };

export function parseQuery(query: string): Step[] {
  const steps: Step[] = [];
  const pattern = /\s*(?:([A-Za-z_][A-Za-z0-9_-]*)|\[(-?\d+)\]|\[\*?\]|(\.))/y;
  let position = 0;
  let expectField = true;
  while (position < query.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(query);
    if (!match) {
      throw new UsageError(
        `--query: unsupported expression at position ${position} of '${query}' (supported: a.b, a[0], [].a, [*].a).`,
      );
    }
    position = pattern.lastIndex;
    if (match[3]) {
      // A '.' joins two steps: one at the start, after another '.', or at the end is not JMESPath.
      if (expectField || pattern.lastIndex >= query.trimEnd().length)
        throw new UsageError(
          `--query: a '.' must stand between two names or indexes, at position ${position - 1} of '${query}'.`,
        );
      expectField = true;
      continue;
    }
    if (match[1] !== undefined) {
      if (!expectField) throw new UsageError(`--query: a '.' is missing before '${match[1]}' in '${query}'.`);
      steps.push({ kind: 'field', name: match[1] });
    } else if (match[2] !== undefined) {
      steps.push({ kind: 'index', index: Number(match[2]) });
    } else {
      steps.push({ kind: 'project' });
    }
    expectField = false;
  }
  if (steps.length === 0) throw new UsageError('--query: the expression is empty.');
  return steps;
}

/** Applies the query; a missing field gives null (as JMESPath does). */
export function applyQuery(value: unknown, query: string): unknown {
  return evaluate(value, parseQuery(query));
}

function evaluate(value: unknown, steps: Step[]): unknown {
  if (steps.length === 0) return value;
  const [step, ...rest] = steps;
  if (value === null || value === undefined) return null;
  switch (step.kind) {
    case 'field':
      if (typeof value !== 'object' || Array.isArray(value)) return null;
      return evaluate((value as Record<string, unknown>)[step.name] ?? null, rest);
    case 'index': {
      if (!Array.isArray(value)) return null;
      const item = value[step.index < 0 ? value.length + step.index : step.index];
      return evaluate(item ?? null, rest);
    }
    case 'project':
      if (!Array.isArray(value)) return null;
      return value.map((item) => evaluate(item, rest)).filter((v) => v !== null);
  }
}
