// The properties of a request body that its definition in the service's OpenAPI document does not have: the service
// ignores them (as Batch AI did), so a misspelt `jobPreperation` or `enviromentVariables` is silently lost. A
// client (the CLI, the dashboard) lists them to warn before it sends. Maps (`tags`: additionalProperties) take any key.
// Browser-safe (no Node modules): the dashboard compiles it too.
import { closestMatch } from './closestMatch.js';

/** A schema of an OpenAPI 2.0 document, the part read here. */
interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
}

export interface UnknownProperty {
  /** JSON path of the property, e.g. `properties.jobPreperation`. */
  path: string;
  /** Its name, e.g. `jobPreperation`. */
  name: string;
  /** The properties that object may have (to suggest the closest). */
  known: string[];
}

function definitionsOf(document: unknown): Record<string, Schema> {
  const definitions = (document as { definitions?: unknown } | undefined)?.definitions;
  return definitions && typeof definitions === 'object' ? (definitions as Record<string, Schema>) : {};
}

/** `$ref`s resolved and `allOf` merged: every property the object may have. */
function flatten(schema: Schema, definitions: Record<string, Schema>, depth = 0): Schema {
  if (depth > 32) return {};
  let resolved = schema;
  if (resolved.$ref)
    resolved = flatten(
      definitions[resolved.$ref.replace('#/definitions/', '')] ?? {},
      definitions,
      depth + 1,
    );
  const parts = (resolved.allOf ?? []).map((part) => flatten(part, definitions, depth + 1));
  if (parts.length === 0) return resolved;
  return {
    ...resolved,
    properties: Object.assign({}, ...parts.map((part) => part.properties ?? {}), resolved.properties ?? {}),
    additionalProperties:
      resolved.additionalProperties ?? parts.find((part) => part.additionalProperties)?.additionalProperties,
  };
}

function walk(
  value: unknown,
  schema: Schema,
  path: string,
  definitions: Record<string, Schema>,
  found: UnknownProperty[],
): void {
  const flat = flatten(schema, definitions);
  if (Array.isArray(value)) {
    if (flat.items) value.forEach((item, i) => walk(item, flat.items!, `${path}[${i}]`, definitions, found));
    return;
  }
  if (!value || typeof value !== 'object' || !flat.properties) return;
  const properties = flat.properties;
  const known = Object.keys(properties);
  for (const [name, child] of Object.entries(value as Record<string, unknown>)) {
    const childPath = path ? `${path}.${name}` : name;
    if (Object.hasOwn(properties, name)) walk(child, properties[name], childPath, definitions, found);
    else if (!flat.additionalProperties && name !== '$schema') found.push({ path: childPath, name, known });
  }
}

/** The properties of `body` that `definitionName` of the OpenAPI `document` does not have. */
export function unknownProperties(
  document: unknown,
  definitionName: string,
  body: unknown,
): UnknownProperty[] {
  const definitions = definitionsOf(document);
  if (!definitions[definitionName]) return [];
  const found: UnknownProperty[] = [];
  walk(body, { $ref: `#/definitions/${definitionName}` }, '', definitions, found);
  return found;
}

/**
 * One sentence per unknown property of `body`, with the closest known name when one is close:
 * "'properties.jobPreperation' in 'job.json' is not a property of JobCreateParameters: the service ignores it. Did
 * you mean 'jobPreparation'?" (`source`: where the body came from, e.g. the file's name).
 */
export function unknownPropertyMessages(
  document: unknown,
  definitionName: string,
  body: unknown,
  source?: string,
): string[] {
  return unknownProperties(document, definitionName, body).map((unknown) => {
    const suggestion = closestMatch(unknown.name, unknown.known);
    return (
      `'${unknown.path}'${source === undefined ? '' : ` in '${source}'`} is not a property of ${definitionName}: ` +
      `the service ignores it.${suggestion ? ` Did you mean '${suggestion}'?` : ''}`
    );
  });
}
