// Field readers for validating wire messages: each one either returns a typed value or throws a ContractError
// naming the JSON path of the field, so every schema reads as a list of fields.
import { ContractError } from './contractError';

export type WireObject = Record<string, unknown>;

export function requireObject(value: unknown, path: string): WireObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ContractError(path, 'must be a JSON object.');
  }
  return value as WireObject;
}

export function requireString(obj: WireObject, key: string, path: string, maxLength = 4096): string {
  const value = obj[key];
  if (typeof value !== 'string' || value.length === 0)
    throw new ContractError(`${path}.${key}`, 'must be a non-empty string.');
  if (value.length > maxLength)
    throw new ContractError(`${path}.${key}`, `must be at most ${maxLength} characters.`);
  return value;
}

export function optionalString(
  obj: WireObject,
  key: string,
  path: string,
  maxLength = 4096,
): string | undefined {
  return obj[key] === undefined ? undefined : requireString(obj, key, path, maxLength);
}

export function requireInteger(obj: WireObject, key: string, path: string, min: number, max: number): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ContractError(`${path}.${key}`, `must be an integer between ${min} and ${max}.`);
  }
  return value;
}

export function optionalInteger(
  obj: WireObject,
  key: string,
  path: string,
  min: number,
  max: number,
): number | undefined {
  return obj[key] === undefined ? undefined : requireInteger(obj, key, path, min, max);
}

export function optionalBoolean(obj: WireObject, key: string, path: string): boolean | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ContractError(`${path}.${key}`, 'must be true or false.');
  return value;
}

export function requireOneOf<T extends string>(
  obj: WireObject,
  key: string,
  path: string,
  allowed: readonly T[],
): T {
  const value = obj[key];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ContractError(`${path}.${key}`, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}.`);
  }
  return value as T;
}

export function requireTimestamp(obj: WireObject, key: string, path: string): string {
  const value = requireString(obj, key, path, 64);
  if (Number.isNaN(Date.parse(value)))
    throw new ContractError(`${path}.${key}`, 'must be an ISO 8601 timestamp.');
  return value;
}

export function optionalStringArray(
  obj: WireObject,
  key: string,
  path: string,
  maxItems = 1000,
): string[] | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > maxItems) {
    throw new ContractError(`${path}.${key}`, `must be an array of at most ${maxItems} strings.`);
  }
  value.forEach((item, i) => {
    if (typeof item !== 'string') throw new ContractError(`${path}.${key}[${i}]`, 'must be a string.');
  });
  return value as string[];
}

/** A map of environment variables: names as POSIX allows, string values. */
export function optionalEnvironment(
  obj: WireObject,
  key: string,
  path: string,
): Record<string, string> | undefined {
  const value = obj[key];
  if (value === undefined) return undefined;
  const env = requireObject(value, `${path}.${key}`);
  for (const [name, v] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ContractError(`${path}.${key}.${name}`, 'is not a valid environment variable name.');
    }
    if (typeof v !== 'string') throw new ContractError(`${path}.${key}.${name}`, 'must be a string.');
  }
  return env as Record<string, string>;
}

/** Parses message text as JSON; the error says the message is not JSON rather than leaking a parser position. */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ContractError(what, 'is not valid JSON.');
  }
}

/** A value sealed with the node data key (`aesgcm1:iv:tag:ciphertext`, base64 parts); opened only on the node. */
export function optionalSealed(obj: WireObject, key: string, path: string): string | undefined {
  const value = optionalString(obj, key, path, 131_072);
  if (value !== undefined && !/^aesgcm1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/.test(value)) {
    throw new ContractError(`${path}.${key}`, 'is not a sealed value (aesgcm1:iv:tag:ciphertext).');
  }
  return value;
}

/**
 * Refuses secret values in plain text: they travel only sealed for the node (`sealed*` fields), so a message or
 * configuration that carries one in clear is a bug of the sender, not something to pass on.
 */
export function rejectPlainSecrets(obj: WireObject, path: string, names: readonly string[]): void {
  for (const name of names) {
    if (obj[name] !== undefined) {
      throw new ContractError(
        `${path}.${name}`,
        'is a secret in plain text: secrets reach nodes only sealed with the node data key.',
      );
    }
  }
}
