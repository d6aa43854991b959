// The served OpenAPI document through the real local host: the Batch AI spec plus every extension, every $ref
// resolving, and every route the app registers under /subscriptions/... described (with its methods), so an
// endpoint added later without its description fails here. Needs `npx tsc -p tsconfig.json` first.
import { extensionPaths } from '../../shared/domain/spec/extensionsSpec';
import { startTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

let env: TestEnvironment;
let document: Record<string, unknown>;

beforeAll(async () => {
  env = await startTestEnvironment();
  const response = await fetch(`${env.baseUrl}/api/openapi.json`);
  expect(response.status).toBe(200);
  document = (await response.json()) as Record<string, unknown>;
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

type Operations = Record<string, Record<string, unknown>>;

/** Route templates compared without parameter names and case: `{resourceGroupName}` and `{rg}` are one path. */
const shape = (path: string): string => path.replace(/\{[^}]+\}/g, '{}').toLowerCase();

/** The HTTP routes the host printed at start: `\t<function>: [GET,PUT] http://127.0.0.1:PORT/api/<route>`. */
function registeredRoutes(output: string): { functionName: string; methods: string[]; path: string }[] {
  const routes = [];
  for (const match of output.matchAll(/^\t(\w+): \[([A-Z,]+)\] (http\S+)$/gm)) {
    const path = decodeURI(new URL(match[3]).pathname).replace(/^\/api/, '');
    routes.push({ functionName: match[1], methods: match[2].split(','), path });
  }
  return routes;
}

describe('GET /api/openapi.json with the extensions', () => {
  test('keeps the 29 Batch AI operations and adds every extension path, tagged and marked', () => {
    const paths = document.paths as Record<string, Operations>;
    const operations = Object.values(paths).flatMap((ops) => Object.values(ops));
    const original = operations.filter((op) => op['x-batchai-extension'] !== true);
    expect(original).toHaveLength(29);
    const suffixes = Object.keys(extensionPaths).map((p) => p.split('/Microsoft.BatchAI/')[1]);
    expect(suffixes.sort()).toEqual(
      [
        'locations/{location}/operationresults/{operationId}',
        'locations/{location}/operationstatuses/{operationId}',
        'workspaces/{workspaceName}/experiments/{experimentName}/sweeps',
        'workspaces/{workspaceName}/experiments/{experimentName}/sweeps/{sweepName}',
        'workspaces/{workspaceName}/experiments/{experimentName}/sweeps/{sweepName}/cancel',
        'workspaces/{workspaceName}/jobSchedules',
        'workspaces/{workspaceName}/jobSchedules/{jobScheduleName}',
        'workspaces/{workspaceName}/roleAssignments',
        'workspaces/{workspaceName}/roleAssignments/{principalId}',
        'workspaces/{workspaceName}/scoringRules',
        'workspaces/{workspaceName}/scoringRules/{scoringRuleName}',
      ].sort(),
    );
    for (const [path, ops] of Object.entries(extensionPaths)) {
      expect(paths[path]).toBeDefined();
      for (const method of Object.keys(ops)) {
        const op = paths[path][method];
        expect(op.tags).toEqual(['Extensions']);
        expect(op['x-batchai-extension']).toBe(true);
        const parameters = op.parameters as { $ref?: string }[];
        expect(parameters).toContainEqual({ $ref: '#/parameters/ApiVersionParameter' });
        expect((op.responses as Record<string, unknown>).default).toEqual({
          description: expect.any(String),
          schema: { $ref: '#/definitions/CloudError' },
        });
      }
    }
    const sweepsPath = Object.keys(paths).find((p) => p.endsWith('/sweeps/{sweepName}')) ?? '';
    expect(paths[sweepsPath].delete['x-ms-long-running-operation']).toBe(true);
    expect(document.tags).toContainEqual(expect.objectContaining({ name: 'Extensions' }));
    const jobProperties = (document.definitions as Record<string, { properties: Record<string, unknown> }>)
      .JobProperties.properties;
    expect(jobProperties.queueInfo).toMatchObject({ $ref: '#/definitions/JobQueueInfo', readOnly: true });
    expect(jobProperties.attempts).toMatchObject({
      type: 'array',
      items: { $ref: '#/definitions/JobAttempt' },
    });
  });

  test('every $ref of the document resolves', () => {
    const refs = new Set<string>();
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object')
        for (const [key, child] of Object.entries(value)) {
          if (key === '$ref' && typeof child === 'string' && child.startsWith('#/')) refs.add(child);
          else walk(child);
        }
    };
    walk(document.paths);
    walk(document.definitions);
    const missing = [...refs].filter((r) => {
      const [, section, name] = r.split('/');
      return !(document[section] as Record<string, unknown> | undefined)?.[name];
    });
    expect(missing).toEqual([]);
  });

  test('every route the app registers under /subscriptions is in the document with its methods', () => {
    const routes = registeredRoutes(env.hostOutput()).filter((r) => r.path.startsWith('/subscriptions/'));
    // The real app registers far more than this; a broken parse of the host's list must not pass vacuously.
    expect(routes.length).toBeGreaterThanOrEqual(25);
    const documented = new Map(
      Object.entries(document.paths as Record<string, Operations>).map(([p, ops]) => [shape(p), ops]),
    );
    const undocumented: string[] = [];
    for (const route of routes) {
      const ops = documented.get(shape(route.path));
      for (const method of route.methods)
        if (!ops?.[method.toLowerCase()])
          undocumented.push(`${method} ${route.path} (${route.functionName})`);
    }
    expect(undocumented).toEqual([]);
  });
});
