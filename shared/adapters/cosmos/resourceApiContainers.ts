// Ids of the resource API's Cosmos containers; their partition keys and the reasons are declared in
// shared/config/resourceNames.ts, from which the launcher and infra/ provision them.
import { cosmosContainers } from '../../config/resourceNames';

function containerId(id: string): string {
  if (!cosmosContainers.some((container) => container.id === id)) {
    throw new Error(`The Cosmos container '${id}' is not declared in shared/config/resourceNames.ts.`);
  }
  return id;
}

export const resourceApiContainers = {
  workspaces: containerId('workspaces'),
  workspaceResources: containerId('workspaceResources'),
  jobs: containerId('jobs'),
  operations: containerId('operations'),
};
