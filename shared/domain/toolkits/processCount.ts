// A toolkit's process count (`processCount`, default nodeCount as the spec says) and how processes spread over the
// gang: evenly, the first nodes taking one more when the count does not divide.
import { ValidationError } from '../errors';
import type { JsonObject } from '../specValidator';

export function processCountOf(settings: JsonObject, field: string, nodeCount: number): number {
  const value = settings.processCount;
  if (value === undefined) return nodeCount;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ValidationError(
      `${field}.processCount`,
      `'${field}.processCount' must be an integer of at least 1.`,
    );
  }
  return value;
}

/** Processes per node index. */
export function spreadProcesses(processCount: number, nodeCount: number): number[] {
  const base = Math.floor(processCount / nodeCount);
  const extra = processCount % nodeCount;
  return Array.from({ length: nodeCount }, (_, index) => base + (index < extra ? 1 : 0));
}
