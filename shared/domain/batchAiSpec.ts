// The Batch AI 2018-05-01 OpenAPI document, the single source of the wire contract: request validation is driven
// by its definitions, and the API serves it as its OpenAPI document.
import spec from './spec/batchAi-2018-05-01.json';
import { requestExtensionProperties } from './spec/extensionsSpec';

export const API_VERSION = '2018-05-01';

/** A JSON Schema object as the swagger 2.0 document writes it (the subset the validator reads). */
export interface SpecSchema {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, SpecSchema>;
  required?: string[];
  allOf?: SpecSchema[];
  items?: SpecSchema;
  additionalProperties?: SpecSchema | boolean;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  readOnly?: boolean;
  default?: unknown;
}

/**
 * The spec's definitions, with this service's writable extension properties (`requestExtensionProperties`) added to
 * the definitions they extend, so requests are validated against what the served document describes.
 */
const definitions: Record<string, SpecSchema> = Object.fromEntries(
  Object.entries((spec as unknown as { definitions: Record<string, SpecSchema> }).definitions).map(
    ([name, definition]) => {
      const extra = requestExtensionProperties[name] as Record<string, SpecSchema> | undefined;
      return [
        name,
        extra ? { ...definition, properties: { ...definition.properties, ...extra } } : definition,
      ];
    },
  ),
);

export function specDefinition(name: string): SpecSchema {
  const definition = definitions[name];
  if (!definition) throw new Error(`The Batch AI spec has no definition '${name}'.`);
  return definition;
}

/** Resolves `$ref` and merges `allOf` into one flat schema (properties and required lists). */
export function resolveSchema(schema: SpecSchema): SpecSchema {
  let resolved = schema;
  while (resolved.$ref) {
    const name = resolved.$ref.replace('#/definitions/', '');
    resolved = { ...specDefinition(name), ...withoutRef(resolved) };
  }
  if (!resolved.allOf) return resolved;
  const merged: SpecSchema = { ...resolved, allOf: undefined, properties: { ...resolved.properties } };
  const required = new Set(resolved.required ?? []);
  for (const part of resolved.allOf) {
    const base = resolveSchema(part);
    Object.assign(merged.properties as Record<string, SpecSchema>, base.properties);
    for (const name of base.required ?? []) required.add(name);
    merged.type ??= base.type;
  }
  merged.required = [...required];
  return merged;
}

function withoutRef(schema: SpecSchema): SpecSchema {
  // Sibling keywords next to a $ref (description, default, readOnly) override the referenced definition's.
  const { $ref: _ignored, ...rest } = schema;
  return rest;
}

/** The OpenAPI document as the API serves it: host and base path of the deployment that answers. */
export function openApiDocument(host: string, basePath: string, scheme: string): Record<string, unknown> {
  return { ...(spec as Record<string, unknown>), host, basePath, schemes: [scheme] };
}
