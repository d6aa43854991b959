// An operation that completed within its request (a create answered at once, a delete with nothing to wait for,
// the terminate of a queued or ended job) is not stored: its id says what it was. The description (action, time, location,
// resource) is sealed with the service's secret key as additional data of an empty AES-GCM message, i.e. a MAC,
// so its status URLs answer without a read and an id cannot be made up or altered. One Cosmos write less per PUT.
// The description is readable, not secret: the resource's id and when it was made, which the caller knows.
// Such an id is answered for as long as a stored operation could be kept (OPERATION_RETENTION_DAYS and the hour to
// the next purge), then 404.
import type { OperationAction, OperationRecord } from '../operationRecord';
import { armIdOf, kindInfo, type ResourceKind, type ResourceRef } from '../resourceId';
import type { SecretProtector } from '../../ports/secretProtector';

/** Starts every completed-operation id (a stored operation's id is a GUID). */
const prefix = 'done1.';
/** What the seal is bound to: a sealed secret of a record never opens as an operation id, nor the reverse. */
const sealContext = 'completed-operation:';
const actions: readonly OperationAction[] = ['create', 'delete', 'terminate'];
/**
 * A stored operation goes at the first hourly purge after its retention: an id is answered as long as the latest
 * such purge would keep it (so even with a retention of 0 days a client polling right after its request is answered).
 */
const purgeIntervalMs = 3_600_000;

/** The description an id carries: [action, start (ms), location, kind, subscription, group, workspace, experiment, name]. */
type Description = [string, number, string, string, string, string, string, string, string];

export function isCompletedOperationId(id: string): boolean {
  return id.startsWith(prefix);
}

/** The id of an operation that completed as it began (`startTime` is its end too). */
export function completedOperationId(
  secrets: SecretProtector,
  operation: Pick<OperationRecord, 'action' | 'startTime' | 'location' | 'resource'>,
): string {
  const ref = operation.resource;
  const description: Description = [
    operation.action,
    Date.parse(operation.startTime),
    operation.location,
    ref.kind,
    ref.subscriptionId,
    ref.resourceGroup,
    ref.workspace,
    ref.experiment ?? '',
    ref.name,
  ];
  const text = Buffer.from(JSON.stringify(description), 'utf8').toString('base64url');
  const seal = secrets.seal('', sealContext + text);
  return `${prefix}${text}.${Buffer.from(seal, 'utf8').toString('base64url')}`;
}

/**
 * The operation a completed-operation id describes; undefined when it is not one, was altered or sealed with
 * another key, or is older than `retentionDays` at `now`.
 */
export function completedOperationOf(
  secrets: SecretProtector,
  id: string,
  now: Date,
  retentionDays: number,
): OperationRecord | undefined {
  if (!isCompletedOperationId(id)) return undefined;
  const [text, seal, extra] = id.slice(prefix.length).split('.');
  if (!text || !seal || extra !== undefined) return undefined;
  // One spelling per id: base64url decoding skips characters it does not know.
  const sealText = Buffer.from(seal, 'base64url');
  if (sealText.toString('base64url') !== seal) return undefined;
  try {
    secrets.open(sealText.toString('utf8'), sealContext + text);
  } catch {
    return undefined;
  }
  const description = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Description;
  const [action, startMs, location, kind, subscriptionId, resourceGroup, workspace, experiment, name] =
    description;
  if (!actions.includes(action as OperationAction) || !Object.hasOwn(kindInfo, kind)) return undefined;
  if (now.getTime() - startMs > retentionDays * 86_400_000 + purgeIntervalMs) return undefined;
  const resource: ResourceRef = {
    kind: kind as ResourceKind,
    subscriptionId,
    resourceGroup,
    workspace,
    ...(experiment ? { experiment } : {}),
    name,
  };
  const time = new Date(startMs).toISOString();
  return {
    id,
    subscriptionId,
    location,
    action: action as OperationAction,
    resource,
    resourceId: armIdOf(resource),
    status: 'Succeeded',
    startTime: time,
    endTime: time,
  };
}
