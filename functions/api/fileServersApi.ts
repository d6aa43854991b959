// HTTP trigger adapters for workspaces/fileServers (list, create, get, delete).
import { app } from '@azure/functions';
import { createFileServer } from '../../shared/domain/services/fileServerService';
import { apiEndpoint } from './apiRequest';
import { resourceItem, childList } from './resourceEndpoints';
import { fileServerRoute, workspaceRoute } from './routeRefs';

export const fileServerItem = resourceItem({ kind: 'fileServer', create: createFileServer });

export const fileServerList = childList('fileServer', 'workspace');

app.http('fileServersList', {
  route: `${workspaceRoute}/fileServers`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(fileServerList),
});
app.http('fileServers', {
  route: fileServerRoute,
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: 'anonymous',
  handler: apiEndpoint(fileServerItem),
});
