// `npm start`: compile the TypeScript (the app, and the dashboard's browser code) if its output is missing or older
// than its sources, then run the launcher. The launcher stops everything it started on SIGINT or SIGTERM; npm does
// not pass a SIGTERM sent to it on to this process, so the launcher is also stopped when its parent goes away.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'dist', 'runtime', 'start.js');
const projects = [
  {
    config: 'tsconfig.json',
    output: entry,
    sources: ['functions', 'orchestrations', 'shared', 'runtime', 'agent', 'cli'],
  },
  {
    config: path.join('dashboard', 'tsconfig.json'),
    output: path.join(root, 'dist', 'web', 'dashboard', 'src', 'main.js'),
    // The dashboard also compiles the browser-safe client modules it shares with the CLI (dashboard/tsconfig.json).
    sources: [path.join('dashboard', 'src'), path.join('shared', 'client'), path.join('shared', 'domain')],
  },
];

function newestSource(dir, newest) {
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = newestSource(full, newest);
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

for (const project of projects) {
  const built = fs.existsSync(project.output) ? fs.statSync(project.output).mtimeMs : 0;
  const sources = project.sources.reduce((n, d) => newestSource(path.join(root, d), n), 0);
  if (built !== 0 && sources <= built) continue;
  process.stdout.write(`[start] building (tsc -p ${project.config})...\n`);
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(root, project.config)],
    {
      stdio: 'inherit',
      cwd: root,
    },
  );
  fs.utimesSync(project.output, new Date(), new Date());
}

const parent = process.ppid;
require(entry);
// npm (and the shell it runs us in) may exit on SIGTERM without passing it on: this process then has a new parent.
const parentWatch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(parentWatch);
  process.stdout.write('[start] the process that started npm start is gone: stopping\n');
  process.kill(process.pid, 'SIGTERM');
}, 1000);
parentWatch.unref();
