// The determinism lint must keep working: ESLint's Node API flags clock, randomness, timers, process and I/O
// imports in a file the orchestrator override covers (the fixture app's orchestrators folder). ESLint loads the
// flat config with a dynamic import, which jest's VM cannot do, so the API runs in a child node process.
import { execFileSync } from 'child_process';
import * as path from 'path';

const repoRoot = path.resolve(__dirname, '..', '..');

interface LintMessage {
  ruleId: string | null;
  message: string;
}

function lintText(source: string, relativePath: string): LintMessage[] {
  const script = `
    const { ESLint } = require('eslint');
    const [source, filePath] = JSON.parse(process.argv[1]);
    new ESLint({ cwd: process.cwd() }).lintText(source, { filePath }).then(([r]) => {
      process.stdout.write(JSON.stringify(r.messages.map((m) => ({ ruleId: m.ruleId, message: m.message }))));
    }, (e) => { console.error(e); process.exit(1); });`;
  const output = execFileSync(
    process.execPath,
    ['-e', script, JSON.stringify([source, path.join(repoRoot, relativePath)])],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  );
  return JSON.parse(output) as LintMessage[];
}

test('ESLint rejects non-deterministic code in orchestrator files', () => {
  const source = [
    "import * as fs from 'fs';",
    'export function* bad(): Generator<unknown, number, unknown> {',
    '  const now = Date.now();',
    '  const r = Math.random();',
    '  setTimeout(() => undefined, 1);',
    '  fs.readFileSync(process.cwd());',
    '  yield now;',
    '  return r;',
    '}',
    '',
  ].join('\n');
  const messages = lintText(source, 'test/fixtures/apps/durableApp/orchestrators/lintProbeOrchestrator.ts');
  expect(messages.map((m) => m.ruleId)).toEqual(
    expect.arrayContaining(['no-restricted-imports', 'no-restricted-properties', 'no-restricted-globals']),
  );
  const text = messages.map((m) => m.message).join('\n');
  expect(text).toContain('context.df.currentUtcDateTime');
  expect(text).toContain('context.df.createTimer');
  expect(text).toContain('No I/O in orchestrators');
});

test('the same code outside orchestrator folders is not subject to the determinism rules', () => {
  const messages = lintText(
    'export const now = Date.now();\n',
    'test/fixtures/apps/durableApp/activityProbe.ts',
  );
  expect(messages.filter((m) => m.ruleId?.startsWith('no-restricted'))).toEqual([]);
});
