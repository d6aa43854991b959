// The idempotent PUT of ARM: the first PUT creates the resource (an operation is recorded); the same PUT again
// answers the existing resource; a PUT that changes an immutable property is a 409 naming the property.
import { firstDifference } from '../deepEqual';
import { ConflictError } from '../errors';
import type { OperationRecord } from '../operationRecord';
import type { ResourceRecord, Stored } from '../resourceRecord';
import type { JsonObject } from '../specValidator';
import { recordOperation } from './operationService';
import { sameSecrets } from './secretSealing';
import type { ServiceDeps } from './serviceDeps';

export interface PutResult {
  created: boolean;
  stored: Stored;
  operation?: OperationRecord;
}

export function assertUnchanged(
  deps: ServiceDeps,
  existing: ResourceRecord,
  spec: JsonObject,
  secrets: Record<string, string>,
  /** Secret paths read from Key Vault references: not compared (a rotated secret does not make a PUT a change). */
  referencedPaths: readonly string[] = [],
): void {
  if (existing.status.provisioningState === 'deleting') {
    throw new ConflictError('ResourceBeingDeleted', `The resource '${existing.ref.name}' is being deleted.`);
  }
  const diff = firstDifference(existing.spec, spec, 'properties');
  if (diff) {
    // A cluster's scale settings change with a PATCH (az batchai cluster resize / auto-scale), not a PUT: said when
    // they are all the PUT changes.
    const onlyScale =
      existing.kind === 'cluster' &&
      diff.startsWith('properties.scaleSettings') &&
      firstDifference(
        { ...existing.spec, scaleSettings: null },
        { ...spec, scaleSettings: null },
        'properties',
      ) === undefined;
    const message = onlyScale
      ? `The cluster '${existing.ref.name}' already exists and '${diff}' cannot be changed by a PUT: scale ` +
        'settings change with a PATCH of the cluster (`batchai cluster resize` or `batchai cluster auto-scale`).'
      : `The resource '${existing.ref.name}' already exists and '${diff}' cannot be changed; delete it and create it again.`;
    throw new ConflictError('PropertyChangeNotAllowed', message, diff);
  }
  if (!sameSecrets(deps.secrets, existing, secrets, referencedPaths)) {
    throw new ConflictError(
      'PropertyChangeNotAllowed',
      `The resource '${existing.ref.name}' already exists with different secret values; delete it and create it again.`,
      'properties',
    );
  }
}

/**
 * Creates `build()` unless a resource exists; `confirm` checks an existing one against the request (throws on a
 * change). The create is tried first (a new resource is the usual PUT: one write, no read); when the name is
 * taken, by an earlier PUT or a concurrent one, the existing resource is read and confirmed.
 */
export async function createOrConfirm(
  deps: ServiceDeps,
  build: () => ResourceRecord,
  confirm: (existing: ResourceRecord) => void,
  afterCreate?: (stored: Stored) => Promise<void>,
  /** False when the resource is still being made after the PUT: its operation stays InProgress until it is. */
  createdNow = true,
): Promise<PutResult> {
  const record = build();
  let stored: Stored;
  try {
    stored = await deps.store.create(record);
  } catch (error: unknown) {
    if (!(error instanceof ConflictError)) throw error;
    const winner = await deps.store.get(record.ref);
    if (!winner) throw error;
    confirm(winner.record);
    return { created: false, stored: winner };
  }
  await afterCreate?.(stored);
  const operation = await recordOperation(deps, 'create', stored.record, createdNow);
  return { created: true, stored, operation };
}

export function creationStatus(deps: ServiceDeps, provisioningState = 'succeeded'): JsonObject {
  const now = deps.now().toISOString();
  return { creationTime: now, provisioningState, provisioningStateTransitionTime: now };
}
