// Structural checks of infra/*.bicep. No Bicep compiler runs here, so these catch the mistakes a reader can miss:
// broken module wiring, role ids nobody documented, key-based auth left on, secrets in source, app settings the
// app requires but infra does not set. They do not replace `azd provision` (see docs/deploy-azure.md).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BicepFile, maskBicep, moduleCallProblems, readBicepFile } from './bicepStructure';

const root = path.resolve(__dirname, '..', '..');
const infraDir = path.join(root, 'infra');
const mainFile = path.join(infraDir, 'main.bicep');

function bicepFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return bicepFiles(full);
    return entry.name.endsWith('.bicep') ? [full] : [];
  });
}

const files: BicepFile[] = bicepFiles(infraDir).map(readBicepFile);
const main = files.find((file) => file.file === mainFile) as BicepFile;
const roles = JSON.parse(fs.readFileSync(path.join(infraDir, 'roles.json'), 'utf8')) as Record<
  string,
  string
>;
const guidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Role ids documented in the identities and roles table of docs/deploy-azure.md: id -> role name. */
function documentedRoles(): Map<string, string> {
  const doc = fs.readFileSync(path.join(root, 'docs', 'deploy-azure.md'), 'utf8');
  const table = new Map<string, string>();
  for (const line of doc.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line.split('|').map((cell) => cell.trim());
    const ids = line.match(guidPattern);
    if (ids && ids.length === 1) table.set(ids[0].toLowerCase(), cells[1].replace(/\*|`/g, ''));
  }
  return table;
}

function resourcesOfType(type: string): { file: string; body: string }[] {
  return files.flatMap((file) =>
    file.resources
      .filter((resource) => !resource.existing && resource.typeWithVersion.split('@')[0] === type)
      .map((resource) => ({ file: path.relative(root, file.file), body: resource.body })),
  );
}

describe('infra Bicep structure', () => {
  test('every file has balanced brackets outside strings and comments', () => {
    const problems = files.flatMap((file) =>
      file.unbalanced ? [`${path.relative(root, file.file)}: ${file.unbalanced}`] : [],
    );
    expect(problems).toEqual([]);
  });

  test('main.bicep calls only existing modules, with declared params, every required param, and real outputs', () => {
    expect(main.modules.length).toBeGreaterThan(5);
    expect(moduleCallProblems(main)).toEqual([]);
  });

  test('every loadJsonContent file exists, and main.bicep reads only keys resources.json has', () => {
    const missing = files.flatMap((file) => file.loadedJsonFiles.filter((json) => !fs.existsSync(json)));
    expect(missing).toEqual([]);
    const resources = JSON.parse(fs.readFileSync(path.join(infraDir, 'resources.json'), 'utf8')) as object;
    const used = [...main.masked.matchAll(/\bappResources\.(\w+)/g)].map((match) => match[1]);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((key) => !(key in resources))).toEqual([]);
  });

  test('main.parameters.json sets only declared params and every param without a default', () => {
    const parameters = JSON.parse(fs.readFileSync(path.join(infraDir, 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, unknown>;
    };
    const names = Object.keys(parameters.parameters);
    const declared = main.params.map((param) => param.name);
    expect(names.filter((name) => !declared.includes(name))).toEqual([]);
    expect(main.params.filter((param) => !param.hasDefault && !names.includes(param.name))).toEqual([]);
  });

  test('every resource type names an API version', () => {
    const bad = files.flatMap((file) =>
      file.resources
        .filter(
          (resource) =>
            !/^[A-Za-z.]+\/[A-Za-z/]+@\d{4}-\d{2}-\d{2}(-preview)?$/.test(resource.typeWithVersion),
        )
        .map((resource) => `${path.relative(root, file.file)}: ${resource.typeWithVersion}`),
    );
    expect(bad).toEqual([]);
  });
});

describe('infra roles', () => {
  test('role ids come only from roles.json, and every roles.<name> used exists there', () => {
    const literalGuids = files.flatMap((file) =>
      [...file.text.matchAll(guidPattern)].map((match) => `${path.relative(root, file.file)}: ${match[0]}`),
    );
    expect(literalGuids).toEqual([]);
    const unknown = files.flatMap((file) =>
      [...file.masked.matchAll(/\broles\.(\w+)/g)]
        .map((match) => match[1])
        .filter((name) => !(name in roles))
        .map((name) => `${path.relative(root, file.file)}: roles.${name}`),
    );
    expect(unknown).toEqual([]);
  });

  test('every role id in roles.json is in the documented table of docs/deploy-azure.md', () => {
    const table = documentedRoles();
    const undocumented = Object.entries(roles)
      .filter(([, id]) => !table.has(id.toLowerCase()))
      .map(([name, id]) => `${name} (${id})`);
    expect(undocumented).toEqual([]);
  });

  test('every role in roles.json is assigned somewhere (no stale entries)', () => {
    const used = new Set(
      files.flatMap((file) => [...file.masked.matchAll(/\broles\.(\w+)/g)].map((m) => m[1])),
    );
    expect(Object.keys(roles).filter((name) => !used.has(name))).toEqual([]);
  });
});

describe('infra security settings', () => {
  const required: { type: string; property: RegExp }[] = [
    { type: 'Microsoft.Storage/storageAccounts', property: /\ballowSharedKeyAccess:\s*false\b/ },
    { type: 'Microsoft.Storage/storageAccounts', property: /\ballowBlobPublicAccess:\s*false\b/ },
    { type: 'Microsoft.DocumentDB/databaseAccounts', property: /\bdisableLocalAuth:\s*true\b/ },
    { type: 'Microsoft.Insights/components', property: /\bDisableLocalAuth:\s*true\b/ },
    { type: 'Microsoft.OperationalInsights/workspaces', property: /\bdisableLocalAuth:\s*true\b/ },
    { type: 'Microsoft.KeyVault/vaults', property: /\benableRbacAuthorization:\s*true\b/ },
    { type: 'Microsoft.Web/sites', property: /\bhttpsOnly:\s*true\b/ },
  ];

  test.each(required)('$type sets $property', ({ type, property }) => {
    const found = resourcesOfType(type);
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((resource) => !property.test(maskBicep(resource.body)))).toEqual([]);
  });

  test('no secret literal, key listing or connection string with a key in the Bicep', () => {
    const forbidden = [
      /listKeys\s*\(/i,
      /listConnectionStrings/i,
      /AccountKey=/i,
      /SharedAccessSignature=/i,
      /SharedAccessKey=/i,
      /primaryMasterKey/i,
      /InstrumentationKey=/i,
      /'[A-Za-z0-9+/]{40,}={0,2}'/, // a base64 blob in a string
    ];
    const hits = files.flatMap((file) =>
      forbidden
        .filter((pattern) => pattern.test(file.text))
        .map((pattern) => `${path.relative(root, file.file)}: ${pattern}`),
    );
    expect(hits).toEqual([]);
  });

  test('params that carry secrets are @secure() and no output exposes one', () => {
    // Names that end in Key, Secret, Password or Token (keyVaultName is a name, not a key).
    const secretName = /(key|secret|password|token)$/i;
    const notSecure = files.flatMap((file) =>
      file.params
        .filter((param) => secretName.test(param.name) && param.type === 'string' && !param.secure)
        .map((param) => `${path.relative(root, file.file)}: ${param.name}`),
    );
    expect(notSecure).toEqual([]);
    const leaking = files.flatMap((file) => {
      const secureNames = file.params.filter((param) => param.secure).map((param) => param.name);
      return file.masked
        .split('\n')
        .filter((line) => line.startsWith('output '))
        .filter((line) => secureNames.some((name) => new RegExp(`\\b${name}\\b`).test(line)))
        .map((line) => `${path.relative(root, file.file)}: ${line.trim()}`);
    });
    expect(leaking).toEqual([]);
  });
});

describe('infra app settings', () => {
  // Settings the app requires that infra deliberately does not set, and why (none now: the storage connection and
  // Cosmos DB are reached with the managed identity, shared/config/storageAccess.ts and cosmosClientFactory.ts).
  const notSetOnAzure: Record<string, string> = {};

  test('the function app gets every setting shared/config requires', () => {
    const configDir = path.join(root, 'shared', 'config');
    const requiredSettings = new Set(
      fs
        .readdirSync(configDir)
        .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
        .flatMap((name) => [
          ...fs.readFileSync(path.join(configDir, name), 'utf8').matchAll(/required\(\s*env\s*,\s*'(\w+)'/g),
        ])
        .map((match) => match[1]),
    );
    expect(requiredSettings.size).toBeGreaterThan(0);
    const functionApp = files.find((file) => file.file.endsWith(path.join('modules', 'functionApp.bicep')));
    const settingKeys = new Set(
      [main, functionApp as BicepFile].flatMap((file) =>
        [...file.masked.matchAll(/^\s+(\w+):\s/gm)].map((match) => match[1]),
      ),
    );
    const missing = [...requiredSettings].filter(
      (name) => !settingKeys.has(name) && !(name in notSetOnAzure),
    );
    expect(missing).toEqual([]);
  });
});

describe('the structure reader itself', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bicep-structure-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  }

  test('reports an undeclared param, a missing required param, a missing module and an unknown output', () => {
    write('modules/m.bicep', "param name string\nparam size int = 1\noutput id string = 'x'\n");
    const file = write(
      'main.bicep',
      [
        "module good 'modules/m.bicep' = {",
        "  name: 'good'",
        '  params: {',
        "    nmae: 'typo'",
        '    size: 2',
        '  }',
        '}',
        "module gone 'modules/gone.bicep' = {",
        "  name: 'gone'",
        '}',
        'output x string = good.outputs.idd',
        '',
      ].join('\n'),
    );
    expect(moduleCallProblems(readBicepFile(file))).toEqual([
      "module good: param 'nmae' is not declared in modules/m.bicep",
      "module good: required param 'name' of modules/m.bicep is not passed",
      'module gone: file modules/gone.bicep does not exist',
      "'good.outputs.idd': m.bicep declares no output 'idd'",
    ]);
  });

  test('ignores braces inside strings and comments but not in interpolations', () => {
    const ok = readBicepFile(
      write('ok.bicep', "var a = '{ not code }' // }\nvar b = 'x${string({ k: 1 })}y'\n"),
    );
    expect(ok.unbalanced).toBeUndefined();
    const broken = readBicepFile(write('broken.bicep', "var a = {\n  b: 'c'\n"));
    expect(broken.unbalanced).toBe("unclosed '{' from line 1");
  });

  test('sees @secure() on a param and reads module params at the first level only', () => {
    const file = readBicepFile(
      write(
        'secure.bicep',
        "@secure()\n@minLength(44)\nparam key string\nparam other string\nmodule m 'secure.bicep' = {\n  params: {\n    key: 'k'\n    other: {\n      nested: 1\n    }\n  }\n}\n",
      ),
    );
    expect(file.params.map((param) => [param.name, param.secure])).toEqual([
      ['key', true],
      ['other', false],
    ]);
    expect(file.modules[0].paramNames).toEqual(['key', 'other']);
  });
});
