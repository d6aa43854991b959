// The OpenAPI document GET /api/openapi.json serves: the untouched Batch AI 2018-05-01 spec merged with this
// service's extensions (tagged `Extensions`, marked `x-batchai-extension`), for this deployment's host and base path.
import { openApiDocument } from '../batchAiSpec';
import { EXTENSION_TAG, extensionDefinitions, extensionPaths, extensionProperties } from './extensionsSpec';

type Json = Record<string, unknown>;

export function servedOpenApiDocument(host: string, basePath: string, scheme: string): Json {
  // Deep copy: the imported spec is a shared module object that request validation also reads.
  const base = JSON.parse(JSON.stringify(openApiDocument(host, basePath, scheme))) as Json;
  const paths = base.paths as Record<string, Json>;
  for (const [path, operations] of Object.entries(extensionPaths)) {
    if (paths[path]) throw new Error(`The extension path ${path} is already in the Batch AI spec.`);
    paths[path] = operations;
  }
  const definitions = base.definitions as Record<string, Json>;
  for (const [name, definition] of Object.entries(extensionDefinitions)) {
    if (definitions[name])
      throw new Error(`The extension definition ${name} is already in the Batch AI spec.`);
    definitions[name] = definition;
  }
  for (const [name, properties] of Object.entries(extensionProperties)) {
    const target = definitions[name];
    if (!target) throw new Error(`The Batch AI spec has no definition ${name} to extend.`);
    target.properties = { ...(target.properties as Json), ...properties };
  }
  base.tags = [
    ...((base.tags as Json[] | undefined) ?? []),
    {
      name: EXTENSION_TAG,
      description:
        'Extensions of this service beyond Batch AI 2018-05-01 (same api-version, CloudError bodies, pages).',
    },
  ];
  return base;
}
