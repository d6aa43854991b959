// Event Grid trigger: `Microsoft.Storage.BlobCreated` events (Event Grid schema or CloudEvents) run the matching
// scoring rules. An event that is not a blob-created event, or is malformed, is logged and acknowledged (a retry
// would not change it); a transient failure throws, so Event Grid redelivers and the event id keeps it idempotent.
import { app, type InvocationContext } from '@azure/functions';
import {
  blobCreatedEventType,
  eventTypeOf,
  parseBlobCreatedEvent,
} from '../../shared/domain/eventSources/blobCreatedEvent';
import { handleBlobCreated } from '../../shared/domain/eventSources/blobScoringService';
import { ValidationError } from '../../shared/domain/errors';
import { getEventSourceServices } from './eventSourceServices';

export async function handleScoringBlobEvent(event: unknown, context: InvocationContext): Promise<void> {
  const type = eventTypeOf(event);
  if (type !== blobCreatedEventType) {
    context.log(`Ignored event of type '${String(type)}': scoring rules act on '${blobCreatedEventType}'.`);
    return;
  }
  let blob;
  try {
    blob = parseBlobCreatedEvent(event);
  } catch (error: unknown) {
    if (!(error instanceof ValidationError)) throw error;
    context.warn(`Ignored malformed blob event (${error.target}): ${error.message}`);
    return;
  }
  const outcomes = await handleBlobCreated(await getEventSourceServices(), blob);
  if (outcomes.length === 0) context.log(`Blob ${blob.container}/${blob.blobName}: no scoring rule matches.`);
  for (const o of outcomes) {
    const what = o.result === 'batched' ? `batch ${o.batchId}` : `job ${o.jobName ?? ''}`;
    const message = `Blob ${blob.container}/${blob.blobName}, rule '${o.rule}' (${o.workspace}): ${o.result} ${what}`;
    if (o.result === 'failed') context.warn(`${message}: ${o.error?.code}: ${o.error?.message}`);
    else context.log(message);
  }
}

app.eventGrid('scoringBlobEvents', { handler: handleScoringBlobEvent });
