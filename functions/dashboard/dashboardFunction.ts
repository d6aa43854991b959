// The web dashboard's HTTP function: GET /api/dashboard/{*path} serves the single-page app (compiled scripts from
// dist/web: dashboard/src and the client modules it shares with the CLI, under their repository paths; index.html and
// CSS from dashboard/static). Anonymous: the page itself holds no data.
import { app } from '@azure/functions';
import * as path from 'path';
import { createStaticFileHandler } from './staticFiles';

// This file runs as dist/functions/dashboard/dashboardFunction.js: the repository (or package) root is three up.
const packageRoot = path.resolve(__dirname, '..', '..', '..');

export const dashboardRoots = [
  path.join(packageRoot, 'dist', 'web'),
  path.join(packageRoot, 'dashboard', 'static'),
];

app.http('dashboard', {
  route: 'dashboard/{*path}',
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  handler: createStaticFileHandler({ roots: dashboardRoots }),
});
