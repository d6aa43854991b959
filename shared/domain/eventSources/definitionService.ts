// Managing scoring rules and job schedules (an extension of the Batch AI API, under a workspace): PUT creates or
// replaces (201 / 200), GET, DELETE (200 / 204), list. Bodies are validated with errors naming the field; the
// workspace and the experiment the definition targets must exist.
import { armIdOf, validateRef, validateResourceName, type ResourceRef } from '../resourceId';
import { requireWorkspace } from '../services/parentLookup';
import { resolveFileServerMounts, resolveReference } from '../services/referenceResolver';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../errors';
import type { Stored } from '../resourceRecord';
import type { JsonObject } from '../specValidator';
import type { Page, PageRequest } from '../../ports/resourceStore';
import type { EventSourceDeps } from './eventSourceDeps';
import type {
  DefinitionKind,
  DefinitionRecord,
  JobScheduleRecord,
  JobScheduleStatus,
  StoredDefinition,
  WorkspaceAddress,
} from './eventSourceStore';
import {
  nextRunTime,
  scheduleCursor,
  validateJobScheduleBody,
  type JobScheduleProperties,
} from './jobSchedule';
import { validateScoringRuleBody } from './scoringRule';
import { belongsToWorkspace, removeStaleDefinition, workspaceStampOf } from './workspaceStamp';

export const definitionInfo: Record<
  DefinitionKind,
  { segment: string; type: string; nameField: string; label: string }
> = {
  scoringRule: {
    segment: 'scoringRules',
    type: 'Microsoft.BatchAI/workspaces/scoringRules',
    nameField: 'scoringRuleName',
    label: 'scoring rule',
  },
  jobSchedule: {
    segment: 'jobSchedules',
    type: 'Microsoft.BatchAI/workspaces/jobSchedules',
    nameField: 'jobScheduleName',
    label: 'job schedule',
  },
};

/** The workspace's incarnation stamp; ParentResourceNotFound when it does not exist. */
async function checkWorkspace(deps: EventSourceDeps, workspace: WorkspaceAddress): Promise<string> {
  const ref: ResourceRef = { kind: 'workspace', ...workspace, name: workspace.workspace };
  validateRef(ref);
  const stored: Stored = await requireWorkspace(deps.service, ref);
  return workspaceStampOf(stored);
}

/** The definition as the current workspace has it: one left by an earlier workspace of that name is removed. */
async function currentDefinition(
  deps: EventSourceDeps,
  kind: DefinitionKind,
  workspace: WorkspaceAddress,
  name: string,
  stamp: string,
): Promise<StoredDefinition | undefined> {
  const found = await deps.store.get(kind, workspace, name);
  if (!found || belongsToWorkspace(found.record, stamp)) return found;
  await removeStaleDefinition(deps.store, found);
  return undefined;
}

/**
 * The status a saved schedule keeps. Due times already handled stay handled (no second job for them); a schedule
 * enabled again starts from now, without running what fell due while it was disabled. The startTime is not written
 * here: the tick and GET take the later of this and the current startTime (scheduleCursor), so a startTime moved
 * earlier or removed takes effect at once.
 */
function scheduleStatus(
  previous: JobScheduleRecord | undefined,
  properties: JobScheduleProperties,
  now: Date,
): JobScheduleStatus {
  if (!previous) return {};
  const { evaluatedUntil: recorded, ...status } = previous.status;
  let handled = recorded === undefined ? undefined : new Date(recorded);
  // A time in the future is no due time a tick handled (those are at most the tick's now; the last run's own one is
  // kept, against clock skew between instances): earlier versions stored a future startTime here. Dropped, it no
  // longer holds the schedule back once that startTime is moved earlier or removed.
  if (handled && handled.getTime() > now.getTime() && recorded !== status.lastOutcome?.dueTime) {
    const lastDue = status.lastOutcome?.dueTime;
    handled = lastDue === undefined ? undefined : new Date(lastDue);
  }
  const enabledAgain = !previous.properties.enabled && properties.enabled;
  if (enabledAgain && (!handled || handled.getTime() < now.getTime())) handled = now;
  return handled ? { ...status, evaluatedUntil: handled.toISOString() } : status;
}

/**
 * The template's cluster and mounted file servers must exist in the workspace, as a job's PUT requires: a 400
 * under `properties.jobTemplate.*` now, not a failed job at every event or due time. A reference holding a
 * `{placeholder}` is left for the job (its value comes with the event).
 */
async function resolveTemplateReferences(
  deps: EventSourceDeps,
  template: JsonObject,
  owner: ResourceRef,
): Promise<void> {
  // On a copy: the stored template keeps its ids as given (each job normalizes them).
  const properties = structuredClone(template.properties) as JsonObject;
  const cluster = properties.cluster as JsonObject | undefined;
  if (cluster && !String(cluster.id).includes('{')) {
    await resolveReference(
      deps.service,
      'properties.jobTemplate.properties.cluster.id',
      cluster,
      'cluster',
      owner,
    );
  }
  const volumes = properties.mountVolumes as JsonObject | undefined;
  if (!JSON.stringify(volumes?.fileServers ?? []).includes('{')) {
    await resolveFileServerMounts(
      deps.service,
      'properties.jobTemplate.properties.mountVolumes',
      volumes,
      owner,
    );
  }
}

export async function putDefinition(
  deps: EventSourceDeps,
  kind: DefinitionKind,
  workspace: WorkspaceAddress,
  name: string,
  body: unknown,
): Promise<{ created: boolean; stored: StoredDefinition }> {
  validateResourceName(definitionInfo[kind].nameField, name);
  const workspaceStamp = await checkWorkspace(deps, workspace);
  const rule = kind === 'scoringRule' ? validateScoringRuleBody(body) : undefined;
  const schedule = kind === 'jobSchedule' ? validateJobScheduleBody(body) : undefined;
  const experimentName = (rule ?? schedule)!.experimentName;
  const experiment: ResourceRef = {
    kind: 'experiment',
    ...workspace,
    experiment: experimentName,
    name: experimentName,
  };
  if (!(await deps.service.store.get(experiment))) {
    throw new ValidationError(
      'properties.experimentName',
      `The experiment '${experimentName}' does not exist in workspace '${workspace.workspace}'.`,
    );
  }
  await resolveTemplateReferences(deps, (rule ?? schedule)!.jobTemplate, experiment);
  const nowTime = deps.service.now();
  const now = nowTime.toISOString();
  for (;;) {
    const found = await deps.store.get(kind, workspace, name);
    // One left by an earlier workspace of this name is replaced as if it did not exist (nothing of it is kept).
    const existing = found && belongsToWorkspace(found.record, workspaceStamp) ? found : undefined;
    const base = {
      workspace,
      name,
      createdTime: existing?.record.createdTime ?? now,
      updatedTime: now,
      workspaceStamp,
    };
    let record: DefinitionRecord;
    if (rule) {
      record = { kind: 'scoringRule', ...base, properties: rule };
    } else {
      const previous = existing?.record.kind === 'jobSchedule' ? existing.record : undefined;
      record = {
        kind: 'jobSchedule',
        ...base,
        properties: schedule!,
        status: scheduleStatus(previous, schedule!, nowTime),
      };
    }
    try {
      if (!found) return { created: true, stored: await deps.store.create(record) };
      return { created: !existing, stored: await deps.store.replace(record, found.etag) };
    } catch (error: unknown) {
      // A concurrent PUT or tick changed it: read again and apply this PUT over it.
      if (!(
        error instanceof ConflictError ||
        error instanceof PreconditionFailedError ||
        error instanceof NotFoundError
      ))
        throw error;
    }
  }
}

export async function getDefinition(
  deps: EventSourceDeps,
  kind: DefinitionKind,
  workspace: WorkspaceAddress,
  name: string,
): Promise<StoredDefinition> {
  validateResourceName(definitionInfo[kind].nameField, name);
  const stamp = await checkWorkspace(deps, workspace);
  const found = await currentDefinition(deps, kind, workspace, name, stamp);
  if (!found) {
    throw new NotFoundError(
      `The ${definitionInfo[kind].label} '${name}' was not found in workspace '${workspace.workspace}'.`,
    );
  }
  return found;
}

export async function deleteDefinition(
  deps: EventSourceDeps,
  kind: DefinitionKind,
  workspace: WorkspaceAddress,
  name: string,
): Promise<boolean> {
  validateResourceName(definitionInfo[kind].nameField, name);
  const stamp = await checkWorkspace(deps, workspace);
  const found = await currentDefinition(deps, kind, workspace, name, stamp);
  return found !== undefined && (await deps.store.delete(kind, workspace, name));
}

export async function listDefinitions(
  deps: EventSourceDeps,
  kind: DefinitionKind,
  workspace: WorkspaceAddress,
  page: PageRequest,
): Promise<Page<StoredDefinition>> {
  const stamp = await checkWorkspace(deps, workspace);
  const listed = await deps.store.list(kind, workspace, page);
  const items: StoredDefinition[] = [];
  for (const item of listed.items) {
    if (belongsToWorkspace(item.record, stamp)) items.push(item);
    else await removeStaleDefinition(deps.store, item);
  }
  return { ...listed, items };
}

/** The ARM-style wire form: id, name, type, properties (input + read-only status). */
export function definitionView(record: DefinitionRecord, now: Date): JsonObject {
  const info = definitionInfo[record.kind];
  const workspaceId = armIdOf({ kind: 'workspace', ...record.workspace, name: record.workspace.workspace });
  const properties = JSON.parse(JSON.stringify(record.properties)) as JsonObject;
  properties.provisioningState = 'succeeded';
  properties.creationTime = record.createdTime;
  properties.lastModifiedTime = record.updatedTime;
  if (record.kind === 'jobSchedule') {
    const cursor = scheduleCursor(record);
    const from = cursor.getTime() > now.getTime() ? cursor : now;
    const next = record.properties.enabled ? nextRunTime(record.properties.schedule, from) : undefined;
    if (next) properties.nextRunTime = next;
    if (record.status.lastJobName) properties.lastJobName = record.status.lastJobName;
    if (record.status.lastOutcome)
      properties.lastRun = JSON.parse(JSON.stringify(record.status.lastOutcome)) as JsonObject;
  }
  return {
    id: `${workspaceId}/${info.segment}/${record.name}`,
    name: record.name,
    type: info.type,
    properties,
  };
}
