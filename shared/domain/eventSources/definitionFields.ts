// Readers for the bodies of the event-source definitions (scoring rules, job schedules): each returns a typed value
// or throws a ValidationError naming the field's JSON path, so the HTTP API answers a 400 a person can act on.
import { ValidationError } from '../errors';
import { isJsonObject, type JsonObject } from '../specValidator';

export function objectField(value: unknown, path: string): JsonObject {
  if (!isJsonObject(value)) {
    const code = value === undefined ? 'MissingRequiredProperty' : 'InvalidRequestContent';
    throw new ValidationError(path, `'${path}' must be a JSON object.`, code);
  }
  return value;
}

export function stringField(obj: JsonObject, key: string, path: string, maxLength = 1024): string {
  const value = obj[key];
  if (value === undefined)
    throw new ValidationError(
      `${path}.${key}`,
      `The property '${path}.${key}' is required.`,
      'MissingRequiredProperty',
    );
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new ValidationError(
      `${path}.${key}`,
      `'${path}.${key}' must be a string of 1 to ${maxLength} characters.`,
    );
  }
  return value;
}

export function optionalStringField(
  obj: JsonObject,
  key: string,
  path: string,
  maxLength = 1024,
): string | undefined {
  return obj[key] === undefined || obj[key] === null ? undefined : stringField(obj, key, path, maxLength);
}

export function optionalBooleanField(obj: JsonObject, key: string, path: string, fallback: boolean): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean')
    throw new ValidationError(`${path}.${key}`, `'${path}.${key}' must be true or false.`);
  return value;
}

export function integerField(obj: JsonObject, key: string, path: string, min: number, max: number): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${path}.${key}`, `'${path}.${key}' must be an integer from ${min} to ${max}.`);
  }
  return value;
}

export function oneOfField<T extends string>(
  obj: JsonObject,
  key: string,
  path: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  const found = allowed.find((a) => typeof value === 'string' && a.toLowerCase() === value.toLowerCase());
  if (!found) {
    throw new ValidationError(
      `${path}.${key}`,
      `'${path}.${key}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}.`,
    );
  }
  return found;
}

/** Experiment names follow the Batch AI resource name rule (1-64 of letters, digits, '-' and '_'). */
export function resourceNameField(obj: JsonObject, key: string, path: string): string {
  const value = stringField(obj, key, path, 64);
  if (!/^[-\w]+$/.test(value)) {
    throw new ValidationError(
      `${path}.${key}`,
      `'${path}.${key}' must be 1 to 64 characters of letters, digits, '-' and '_'.`,
    );
  }
  return value;
}
