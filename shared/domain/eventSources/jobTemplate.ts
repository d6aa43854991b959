// Job templates of scoring rules and schedules: a JobCreateParameters body validated when the definition is saved
// (so a bad template is a 400 then, not a failed job later), instantiated per event or due time by substituting
// `{placeholder}`s and appending the trigger's environment variables.
import { ValidationError } from '../errors';
import { checkJobProperties } from '../jobRules';
import { isJsonObject, validateCreateBody, type JsonObject, type JsonValue } from '../specValidator';
import { shellQuote } from '../shellQuote';

/** Variable names the event sources set; a template may not define them itself. */
export const reservedVariablePrefixes = ['AZ_BATCHAI_INPUT_', 'AZ_BATCHAI_TRIGGER_', 'AZ_BATCHAI_SCHEDULED_'];

export interface EnvironmentVariable {
  name: string;
  value: string;
}

/** Validates a template at `field` (e.g. `properties.jobTemplate`); returns the body with the spec's defaults. */
export function validateJobTemplate(field: string, template: unknown): JsonObject {
  let validated;
  try {
    validated = validateCreateBody('JobCreateParameters', template);
    checkJobProperties(validated.properties);
  } catch (error: unknown) {
    if (!(error instanceof ValidationError)) throw error;
    const target = `${field}.${error.target ?? 'properties'}`;
    throw new ValidationError(target, `In '${field}': ${error.message}`, error.code);
  }
  const secretPath = Object.keys(validated.secrets)[0];
  if (secretPath !== undefined) {
    // A template is stored and read back for every job: a plain secret value would sit in it unencrypted.
    throw new ValidationError(
      `${field}.${secretPath}`,
      `A template cannot hold secret values ('${field}.${secretPath}'); use a Key Vault reference (valueSecretReference, passwordSecretReference, accountKeySecretReference).`,
    );
  }
  const variables = Array.isArray(validated.properties.environmentVariables)
    ? validated.properties.environmentVariables
    : [];
  variables.forEach((variable, index) => {
    const name = isJsonObject(variable) ? String(variable.name) : '';
    if (reservedVariablePrefixes.some((prefix) => name.startsWith(prefix))) {
      throw new ValidationError(
        `${field}.properties.environmentVariables[${index}].name`,
        `'${name}' is set by the event source; names starting with ${reservedVariablePrefixes.join(', ')} are reserved.`,
      );
    }
  });
  return validated.value;
}

const placeholderPattern = /\{([A-Za-z]+)\}/g;
const shellSafe = /^[A-Za-z0-9._/=:+@%,-]*$/;

/** A value as one shell word: unchanged when it holds no special character, else single-quoted. */
function shellWord(value: string): string {
  return shellSafe.test(value) ? value : shellQuote(value);
}

/**
 * The job body for one trigger: `{name}` placeholders replaced everywhere (raw in environment variable values;
 * as one shell word elsewhere, because command lines are run by a shell and blob names are chosen by whoever
 * uploads), and `variables` appended to `properties.environmentVariables`.
 */
export function instantiateJobTemplate(
  template: JsonObject,
  placeholders: Record<string, string>,
  variables: EnvironmentVariable[],
): JsonObject {
  const substitute = (text: string, raw: boolean): string =>
    text.replace(placeholderPattern, (whole, name: string) =>
      Object.prototype.hasOwnProperty.call(placeholders, name)
        ? raw
          ? placeholders[name]
          : shellWord(placeholders[name])
        : whole,
    );
  const walk = (node: JsonValue, raw: boolean): JsonValue => {
    if (typeof node === 'string') return substitute(node, raw);
    if (Array.isArray(node)) return node.map((item) => walk(item, raw));
    if (isJsonObject(node)) {
      const out: JsonObject = {};
      for (const [key, child] of Object.entries(node))
        out[key] = walk(child, raw || key === 'environmentVariables');
      return out;
    }
    return node;
  };
  const body = walk(template, false) as JsonObject;
  const properties = body.properties as JsonObject;
  const existing = Array.isArray(properties.environmentVariables) ? properties.environmentVariables : [];
  properties.environmentVariables = [
    ...existing,
    ...variables.map((v) => ({ name: v.name, value: v.value })),
  ];
  return body;
}
