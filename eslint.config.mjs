// ESLint flat config. The override for orchestrators keeps them deterministic (replay-safe):
// no clock, no randomness, no timers and no I/O modules; time comes from context.df.currentUtcDateTime.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs',
  'fs/promises',
  'http',
  'https',
  'net',
  'dgram',
  'child_process',
  'os',
  'crypto',
  'dns',
  'tls',
  'worker_threads',
  'cluster',
  'readline',
  'timers',
  'timers/promises',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Orchestrator files: everything under orchestrations/ named *Orchestrator.ts, and test fixtures' orchestrators.
    files: [
      'orchestrations/**/*Orchestrator.ts',
      'orchestrations/orchestrators/**/*.ts',
      'test/**/orchestrators/**/*.ts',
    ],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'Orchestrators must be deterministic: use context.df.currentUtcDateTime.' },
        { name: 'setTimeout', message: 'Orchestrators must not use timers: use context.df.createTimer.' },
        { name: 'setInterval', message: 'Orchestrators must not use timers: use context.df.createTimer.' },
        { name: 'setImmediate', message: 'Orchestrators must not use timers.' },
        { name: 'fetch', message: 'Orchestrators must not do I/O: call an activity.' },
        { name: 'process', message: 'Orchestrators must not read the environment: pass it in the input.' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Orchestrators must be deterministic: use context.df.newGuid or an activity.',
        },
        {
          object: 'Date',
          property: 'now',
          message: 'Orchestrators must be deterministic: use context.df.currentUtcDateTime.',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins
            .flatMap((m) => [m, `node:${m}`])
            .map((name) => ({ name, message: 'No I/O in orchestrators: call an activity.' })),
          patterns: [
            {
              group: ['@azure/*', '!@azure/functions'],
              message: 'No Azure SDKs in orchestrators: call an activity.',
            },
            { group: ['**/adapters/**'], message: 'No adapters (I/O) in orchestrators: call an activity.' },
          ],
        },
      ],
    },
  },
);
