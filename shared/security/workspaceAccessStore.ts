// The port that keeps each workspace's role assignments. One record per workspace holds all of them, so the
// "last owner" rule is checked and written atomically (an ETag-conditional write of that one record).
import type { ResourceRef } from '../domain/resourceId';
import type { RoleAssignment } from './roleAssignment';

export interface WorkspaceAccess {
  assignments: RoleAssignment[];
  /** The version read; undefined when the workspace has no access record yet. */
  etag?: string;
}

export interface WorkspaceAccessStore {
  /** The workspace's assignments (none when it has no record). */
  read(workspace: ResourceRef): Promise<WorkspaceAccess>;
  /**
   * Writes the assignments if the record is still at `etag` (undefined: only if there is no record yet); throws
   * PreconditionFailedError when another request changed it first.
   */
  write(workspace: ResourceRef, assignments: RoleAssignment[], etag: string | undefined): Promise<void>;
  /** Replaces whatever is stored, unconditionally: a workspace that has just been created starts afresh. */
  reset(workspace: ResourceRef, assignments: RoleAssignment[]): Promise<void>;
  /** Removes the workspace's record (the workspace was deleted). No error when there is none. */
  remove(workspace: ResourceRef): Promise<void>;
  /** Keys (`keyOf`, lower-cased ARM ids) of the workspaces where any of these object ids holds a role. */
  workspacesOf(principalIds: string[]): Promise<Set<string>>;
}
