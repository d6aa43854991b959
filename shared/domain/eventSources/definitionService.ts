// Managing scoring rules and job schedules (an extension of the Batch AI API, under a workspace): PUT creates or
// replaces (201 / 200), GET, DELETE (200 / 204), list. Bodies are validated with errors naming the field; the
// workspace and the experiment the definition targets must exist.
import { armIdOf, validateRef, validateResourceName, type ResourceRef } from '../resourceId';
import { requireWorkspace } from '../services/parentLookup';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../errors';
import type { JsonObject } from '../specValidator';
import type { Page, PageRequest } from '../../ports/resourceStore';
import type { EventSourceDeps } from './eventSourceDeps';
import type {
  DefinitionKind,
  DefinitionRecord,
  StoredDefinition,
  WorkspaceAddress,
} from './eventSourceStore';
import { nextRunTime, validateJobScheduleBody } from './jobSchedule';
import { validateScoringRuleBody } from './scoringRule';

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

async function checkWorkspace(deps: EventSourceDeps, workspace: WorkspaceAddress): Promise<void> {
  const ref: ResourceRef = { kind: 'workspace', ...workspace, name: workspace.workspace };
  validateRef(ref);
  await requireWorkspace(deps.service, ref);
}

export async function putDefinition(
  deps: EventSourceDeps,
  kind: DefinitionKind,
  workspace: WorkspaceAddress,
  name: string,
  body: unknown,
): Promise<{ created: boolean; stored: StoredDefinition }> {
  validateResourceName(definitionInfo[kind].nameField, name);
  await checkWorkspace(deps, workspace);
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
  const now = deps.service.now().toISOString();
  for (;;) {
    const existing = await deps.store.get(kind, workspace, name);
    const base = { workspace, name, createdTime: existing?.record.createdTime ?? now, updatedTime: now };
    let record: DefinitionRecord;
    if (rule) {
      record = { kind: 'scoringRule', ...base, properties: rule };
    } else {
      const previous = existing?.record.kind === 'jobSchedule' ? existing.record.status : undefined;
      // Due times already handled stay handled when the schedule is edited (no second job for them).
      const status = previous ?? { evaluatedUntil: schedule!.startTime ?? now };
      record = { kind: 'jobSchedule', ...base, properties: schedule!, status };
    }
    try {
      if (!existing) return { created: true, stored: await deps.store.create(record) };
      return { created: false, stored: await deps.store.replace(record, existing.etag) };
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
  await checkWorkspace(deps, workspace);
  const found = await deps.store.get(kind, workspace, name);
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
  await checkWorkspace(deps, workspace);
  return deps.store.delete(kind, workspace, name);
}

export async function listDefinitions(
  deps: EventSourceDeps,
  kind: DefinitionKind,
  workspace: WorkspaceAddress,
  page: PageRequest,
): Promise<Page<StoredDefinition>> {
  await checkWorkspace(deps, workspace);
  return deps.store.list(kind, workspace, page);
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
    const from = new Date(Math.max(now.getTime(), new Date(record.status.evaluatedUntil).getTime()));
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
