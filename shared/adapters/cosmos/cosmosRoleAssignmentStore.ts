// Workspace role assignments on Cosmos DB: one document per workspace (id `access`) in the `workspaceAccess`
// container, partitioned by workspace key. Every authorization check is one point read of it; a change is one
// ETag-conditional replace, which makes the last-owner rule safe against concurrent removals.
import type { Container, CosmosClient } from '@azure/cosmos';
import { PreconditionFailedError } from '../../domain/errors';
import { keyOf, workspaceRefOf, type ResourceRef } from '../../domain/resourceId';
import { cosmosContainers, workspaceAccessContainer } from '../../config/resourceNames';
import type { RoleAssignment } from '../../security/roleAssignment';
import type { WorkspaceAccess, WorkspaceAccessStore } from '../../security/workspaceAccessStore';
import { cosmosStatusOf } from './cosmosStatus';

interface AccessDocument {
  id: 'access';
  workspaceKey: string;
  /** The principal ids of `assignments`, for the "which workspaces can I see" query. */
  principalIds: string[];
  assignments: RoleAssignment[];
  _etag?: string;
}

const documentId = 'access';

function documentOf(workspace: ResourceRef, assignments: RoleAssignment[]): AccessDocument {
  return {
    id: documentId,
    workspaceKey: keyOf(workspaceRefOf(workspace)),
    principalIds: assignments.map((a) => a.principalId),
    assignments,
  };
}

export class CosmosRoleAssignmentStore implements WorkspaceAccessStore {
  private readonly container: Container;

  constructor(client: CosmosClient, databaseName: string) {
    if (!cosmosContainers.some((c) => c.id === workspaceAccessContainer))
      throw new Error(
        `The Cosmos container '${workspaceAccessContainer}' is not declared in resourceNames.ts.`,
      );
    this.container = client.database(databaseName).container(workspaceAccessContainer);
  }

  async read(workspace: ResourceRef): Promise<WorkspaceAccess> {
    const key = keyOf(workspaceRefOf(workspace));
    try {
      const { resource } = await this.container.item(documentId, key).read<AccessDocument>();
      if (!resource) return { assignments: [] };
      return { assignments: resource.assignments ?? [], etag: resource._etag };
    } catch (error: unknown) {
      if (cosmosStatusOf(error) === 404) return { assignments: [] };
      throw error;
    }
  }

  async write(
    workspace: ResourceRef,
    assignments: RoleAssignment[],
    etag: string | undefined,
  ): Promise<void> {
    const document = documentOf(workspace, assignments);
    try {
      if (etag === undefined) await this.container.items.create(document);
      else
        await this.container
          .item(documentId, document.workspaceKey)
          .replace(document, { accessCondition: { type: 'IfMatch', condition: etag } });
    } catch (error: unknown) {
      const status = cosmosStatusOf(error);
      // 409: someone created the record first; 412: changed since read; 404: removed since read.
      if (status === 409 || status === 412 || status === 404) throw new PreconditionFailedError();
      throw error;
    }
  }

  async reset(workspace: ResourceRef, assignments: RoleAssignment[]): Promise<void> {
    await this.container.items.upsert(documentOf(workspace, assignments));
  }

  async remove(workspace: ResourceRef): Promise<void> {
    try {
      await this.container.item(documentId, keyOf(workspaceRefOf(workspace))).delete();
    } catch (error: unknown) {
      if (cosmosStatusOf(error) !== 404) throw error;
    }
  }

  async workspacesOf(principalIds: string[]): Promise<Set<string>> {
    // Cross-partition by design: it runs once per workspace list of a caller without a deployment-wide role, over
    // small documents. JOIN gives one row per matching principal (no DISTINCT in the emulator): deduplicated here.
    const { resources } = await this.container.items
      .query<{ workspaceKey: string }>({
        query: 'SELECT c.workspaceKey FROM c JOIN p IN c.principalIds WHERE ARRAY_CONTAINS(@ids, p)',
        parameters: [{ name: '@ids', value: principalIds }],
      })
      .fetchAll();
    return new Set(resources.map((r) => r.workspaceKey));
  }
}
