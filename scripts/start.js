// `npm start`: compile the TypeScript if dist/ is missing or older than the sources, then run the launcher.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'runtime', 'start.js');
const sourceDirs = ['functions', 'orchestrations', 'shared', 'runtime', 'agent', 'cli'];

function newestSource(dir, newest) {
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = newestSource(full, newest);
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

const built = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : 0;
const sources = sourceDirs.reduce((n, d) => newestSource(path.join(root, d), n), 0);
if (built === 0 || sources > built) {
  process.stdout.write('[start] building (tsc)...\n');
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')],
    {
      stdio: 'inherit',
      cwd: root,
    },
  );
  fs.utimesSync(entry, new Date(), new Date());
}
require(entry);
