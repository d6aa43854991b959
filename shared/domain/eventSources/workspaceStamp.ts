// Which incarnation of a workspace an event-source definition belongs to. Rules and schedules live in their own
// store, keyed by the workspace's name: a workspace deleted and created again under that name is another workspace,
// and must not inherit the old one's rules and schedules (they would fire again, with the old owner's templates).
// The stamp is the workspace's creationTime, which every incarnation gets anew.
import type { ResourceRef } from '../resourceId';
import type { Stored } from '../resourceRecord';
import type { ServiceDeps } from '../services/serviceDeps';
import {
  workspaceKeyOf,
  type DefinitionRecord,
  type EventSourceStore,
  type StoredDefinition,
  type WorkspaceAddress,
} from './eventSourceStore';

export function workspaceStampOf(workspace: Stored): string {
  return String(workspace.record.status.creationTime);
}

/** True when `record` was saved under the workspace incarnation `stamp` (undefined: no such workspace now). */
export function belongsToWorkspace(record: DefinitionRecord, stamp: string | undefined): boolean {
  if (stamp === undefined) return false;
  // Saved before stamps existed: a definition older than the workspace was saved under an earlier incarnation.
  return record.workspaceStamp !== undefined ? record.workspaceStamp === stamp : record.createdTime >= stamp;
}

/** Removes a definition left by an earlier incarnation of its workspace (unless it was saved again meanwhile). */
export async function removeStaleDefinition(
  store: EventSourceStore,
  stored: StoredDefinition,
): Promise<void> {
  const { kind, workspace, name } = stored.record;
  await store.delete(kind, workspace, name, stored.etag);
}

/** The current stamps of workspaces, each read once (an Event Grid delivery or a timer tick meets many definitions). */
export class WorkspaceStamps {
  private readonly stamps = new Map<string, Promise<string | undefined>>();

  constructor(private readonly deps: ServiceDeps) {}

  current(workspace: WorkspaceAddress): Promise<string | undefined> {
    const key = workspaceKeyOf(workspace);
    let stamp = this.stamps.get(key);
    if (!stamp) {
      const ref: ResourceRef = { kind: 'workspace', ...workspace, name: workspace.workspace };
      stamp = this.deps.store.get(ref).then((found) => (found ? workspaceStampOf(found) : undefined));
      this.stamps.set(key, stamp);
    }
    return stamp;
  }

  /** True when the definition belongs to its workspace as it is now; a stale one is removed. */
  async isCurrent(store: EventSourceStore, stored: StoredDefinition): Promise<boolean> {
    if (belongsToWorkspace(stored.record, await this.current(stored.record.workspace))) return true;
    await removeStaleDefinition(store, stored);
    return false;
  }
}
