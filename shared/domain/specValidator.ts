// Validates a request body against a definition of the Batch AI spec, the way ARM treats input: required
// properties, types, enums, patterns, ranges and lengths are enforced with an error naming the field; unknown
// and read-only properties are dropped; the spec's defaults are filled in; secret values are moved out of the
// result into a separate map (path -> plain text) so they can be encrypted and never echoed back.
import { resolveSchema, specDefinition, type SpecSchema } from './batchAiSpec';
import { normalizeDuration } from './duration';
import { editDistance } from './editDistance';
import { ValidationError } from './errors';

export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** Properties whose values are secrets (definition name -> property names). */
const secretProperties: Record<string, string[]> = {
  EnvironmentVariableWithSecretValue: ['value'],
  PrivateRegistryCredentials: ['password'],
  AzureStorageCredentialsInfo: ['accountKey'],
  UserAccountSettings: ['adminUserPassword'],
  AppInsightsReference: ['instrumentationKey'],
};

/** Pairs of properties of which exactly one must be given ("One of X or Y must be specified" in the spec). */
const exactlyOneOf: Record<string, [string, string][]> = {
  EnvironmentVariableWithSecretValue: [['value', 'valueSecretReference']],
  PrivateRegistryCredentials: [['password', 'passwordSecretReference']],
  AzureStorageCredentialsInfo: [['accountKey', 'accountKeySecretReference']],
  AppInsightsReference: [['instrumentationKey', 'instrumentationKeySecretReference']],
  CaffeSettings: [['configFilePath', 'pythonScriptFilePath']],
};

export interface ValidatedBody {
  value: JsonObject;
  /** Secret values by JSON path (e.g. `properties.secrets[0].value`), never part of `value`. */
  secrets: Record<string, string>;
}

/** A create body (`{ properties: {...}, ... }`) validated against its spec definition; `properties` is required. */
export function validateCreateBody(
  definitionName: string,
  body: unknown,
): ValidatedBody & { properties: JsonObject } {
  const missing = () =>
    new ValidationError('properties', `The property 'properties' is required.`, 'MissingRequiredProperty');
  if (!isJsonObject(body) || !isJsonObject(body.properties)) throw missing();
  const validated = validateAgainstDefinition(definitionName, body);
  if (!isJsonObject(validated.value.properties)) throw missing();
  return { ...validated, properties: validated.value.properties };
}

export function validateAgainstDefinition(
  definitionName: string,
  body: unknown,
  basePath = '',
): ValidatedBody {
  const secrets: Record<string, string> = {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError(basePath || 'body', `The request body must be a JSON object.`);
  }
  const value = validateObject(
    specDefinition(definitionName),
    definitionName,
    body as Record<string, unknown>,
    basePath,
    secrets,
  );
  return { value, secrets };
}

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function definitionNameOf(schema: SpecSchema): string | undefined {
  return schema.$ref?.replace('#/definitions/', '');
}

function validateObject(
  rawSchema: SpecSchema,
  definitionName: string | undefined,
  input: Record<string, unknown>,
  path: string,
  secrets: Record<string, string>,
): JsonObject {
  const schema = resolveSchema(rawSchema);
  const output: JsonObject = {};
  const secretNames = new Set(definitionName ? (secretProperties[definitionName] ?? []) : []);
  const properties = schema.properties ?? {};
  for (const required of schema.required ?? []) {
    const present = ownValue(input, required);
    if (present === undefined || present === null) {
      throw new ValidationError(
        join(path, required),
        `The property '${join(path, required)}' is required.${misspeltAs(input, properties, required, path)}`,
        'MissingRequiredProperty',
      );
    }
  }
  for (const [first, second] of definitionName ? (exactlyOneOf[definitionName] ?? []) : []) {
    const count = [first, second].filter((name) => ownValue(input, name) != null).length;
    if (count !== 1) {
      throw new ValidationError(
        join(path, first),
        `Exactly one of '${join(path, first)}' and '${join(path, second)}' must be given; ${count === 0 ? 'neither was' : 'both were'}.`,
      );
    }
  }
  for (const [name, propertySchema] of Object.entries(properties)) {
    const propertyPath = join(path, name);
    const resolved = resolveSchema(propertySchema);
    if (resolved.readOnly || propertySchema.readOnly) continue;
    const raw = ownValue(input, name);
    if (raw === undefined || raw === null) {
      if (resolved.default !== undefined) output[name] = coerceDefault(resolved, propertyPath);
      continue;
    }
    const checked = validateValue(propertySchema, raw, propertyPath, secrets);
    if (secretNames.has(name)) {
      if (typeof checked !== 'string')
        throw new ValidationError(propertyPath, `'${propertyPath}' must be a string.`);
      secrets[propertyPath] = checked;
      continue;
    }
    output[name] = checked;
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    // A map such as `tags`: every own key of the body except the schema's own properties (`in` would also skip
    // `constructor`, `toString`, ... of Object.prototype, silently and unchecked).
    for (const [name, raw] of Object.entries(input)) {
      if (Object.hasOwn(properties, name) || raw === undefined) continue;
      const entryPath = join(path, name);
      // Assigned to a plain object '__proto__' is no key (it would set the prototype or vanish): refused by name.
      if (name === '__proto__')
        throw new ValidationError(entryPath, `'${entryPath}': '__proto__' cannot be used as a name.`);
      output[name] = validateValue(schema.additionalProperties, raw, entryPath, secrets);
    }
  }
  return output;
}

/**
 * When a missing required property was given under a near name the definition does not have (`vmSzie`), which is
 * dropped as unknown: says so, for the error to point at the typo.
 */
function misspeltAs(
  input: Record<string, unknown>,
  properties: Record<string, SpecSchema>,
  required: string,
  path: string,
): string {
  const limit = Math.max(required.length >= 5 ? 2 : 1, Math.floor(required.length / 4));
  let given: string | undefined;
  let nearest = limit + 1;
  for (const name of Object.keys(input)) {
    if (Object.hasOwn(properties, name) || Math.abs(name.length - required.length) > 2) continue;
    const distance = editDistance(name, required);
    if (distance < nearest) [given, nearest] = [name, distance];
  }
  return given === undefined
    ? ''
    : ` The body has '${join(path, given)}', which is not a property here: did you mean '${required}'?`;
}

/** A property the body itself gives (never one inherited from Object.prototype). */
function ownValue(input: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(input, name) ? input[name] : undefined;
}

function coerceDefault(schema: SpecSchema, path: string): JsonValue {
  if (schema.format === 'duration' && typeof schema.default === 'string')
    return normalizeDuration(path, schema.default);
  return schema.default as JsonValue;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function validateValue(
  rawSchema: SpecSchema,
  raw: unknown,
  path: string,
  secrets: Record<string, string>,
): JsonValue {
  const schema = resolveSchema(rawSchema);
  const type = schema.type ?? (schema.properties ? 'object' : undefined);
  switch (type) {
    case 'object': {
      if (!isJsonObject(raw))
        throw new ValidationError(path, `'${path}' must be a JSON object, not ${describeType(raw)}.`);
      return validateObject(rawSchema, definitionNameOf(rawSchema), raw, path, secrets);
    }
    case 'array': {
      if (!Array.isArray(raw))
        throw new ValidationError(path, `'${path}' must be an array, not ${describeType(raw)}.`);
      if (schema.maxItems !== undefined && raw.length > schema.maxItems) {
        throw new ValidationError(
          path,
          `'${path}' has ${raw.length} items; at most ${schema.maxItems} are allowed.`,
        );
      }
      const items = schema.items ?? {};
      return raw.map((item, index) => {
        const itemPath = `${path}[${index}]`;
        if (item === null || item === undefined)
          throw new ValidationError(itemPath, `'${itemPath}' must not be null.`);
        return validateValue(items, item, itemPath, secrets);
      });
    }
    case 'integer':
    case 'number': {
      if (
        typeof raw !== 'number' ||
        !Number.isFinite(raw) ||
        (type === 'integer' && !Number.isInteger(raw))
      ) {
        throw new ValidationError(
          path,
          `'${path}' must be ${type === 'integer' ? 'an integer' : 'a number'}, not ${JSON.stringify(raw)}.`,
        );
      }
      if (type === 'integer' && schema.format === 'int32' && Math.abs(raw) > 2147483647) {
        throw new ValidationError(path, `'${path}' is out of the 32-bit integer range.`);
      }
      checkRange(schema, raw, path);
      return raw;
    }
    case 'boolean': {
      if (typeof raw !== 'boolean') throw new ValidationError(path, `'${path}' must be true or false.`);
      return raw;
    }
    case 'string': {
      if (typeof raw !== 'string')
        throw new ValidationError(path, `'${path}' must be a string, not ${describeType(raw)}.`);
      return validateString(schema, raw, path);
    }
    default:
      // Untyped schemas (the spec has none in request bodies) keep the value as JSON.
      return raw as JsonValue;
  }
}

function checkRange(schema: SpecSchema, value: number, path: string): void {
  if (schema.minimum !== undefined && value < schema.minimum) {
    throw new ValidationError(path, `'${path}' must be at least ${schema.minimum}; it is ${value}.`);
  }
  if (schema.maximum !== undefined && value > schema.maximum) {
    throw new ValidationError(path, `'${path}' must be at most ${schema.maximum}; it is ${value}.`);
  }
}

function validateString(schema: SpecSchema, raw: string, path: string): string {
  if (schema.minLength !== undefined && raw.length < schema.minLength) {
    throw new ValidationError(path, `'${path}' must be at least ${schema.minLength} characters long.`);
  }
  if (schema.maxLength !== undefined && raw.length > schema.maxLength) {
    throw new ValidationError(path, `'${path}' must be at most ${schema.maxLength} characters long.`);
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(raw)) {
    throw new ValidationError(path, `'${path}' does not match the pattern ${schema.pattern}.`);
  }
  if (schema.enum) {
    // ARM compares enum values case-insensitively; the canonical spelling is stored and returned.
    const canonical = schema.enum.find(
      (option) => typeof option === 'string' && option.toLowerCase() === raw.toLowerCase(),
    );
    if (canonical === undefined) {
      throw new ValidationError(
        path,
        `'${path}' must be one of ${schema.enum.map((o) => `'${String(o)}'`).join(', ')}; it is '${raw}'.`,
      );
    }
    return canonical as string;
  }
  if (schema.format === 'duration') return normalizeDuration(path, raw);
  return raw;
}
