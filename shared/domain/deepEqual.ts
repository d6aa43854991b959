// Structural equality of JSON values, and the first path where two differ (for "immutable property" errors).
import type { JsonValue } from './specValidator';

export function firstDifference(
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  path: string,
): string | undefined {
  if (a === b) return undefined;
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null ||
    Array.isArray(a) !== Array.isArray(b)
  ) {
    return path;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return path;
    for (let i = 0; i < a.length; i += 1) {
      const diff = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (diff) return diff;
    }
    return undefined;
  }
  const left = a as Record<string, JsonValue>;
  const right = b as Record<string, JsonValue>;
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    const diff = firstDifference(left[key], right[key], path ? `${path}.${key}` : key);
    if (diff) return diff;
  }
  return undefined;
}
