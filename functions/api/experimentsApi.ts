// HTTP trigger adapters for workspaces/experiments (list, create, get, delete with its jobs).
import { app } from '@azure/functions';
import { createExperiment } from '../../shared/domain/services/experimentService';
import { apiEndpoint } from './apiRequest';
import { resourceItem, childList } from './resourceEndpoints';
import { experimentRoute, workspaceRoute } from './routeRefs';

// Experiments_Create takes no body, but a malformed one is still a 400 (resourceItem parses it).
export const experimentItem = resourceItem({
  kind: 'experiment',
  create: (deps, ref) => createExperiment(deps, ref),
});

export const experimentList = childList('experiment', 'workspace');

app.http('experimentsList', {
  route: `${workspaceRoute}/experiments`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(experimentList),
});
app.http('experiments', {
  route: experimentRoute,
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: 'anonymous',
  handler: apiEndpoint(experimentItem),
});
