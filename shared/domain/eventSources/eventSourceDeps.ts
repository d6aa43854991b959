// What the event-source services need: the resource API's service dependencies (so every job is created by the
// one createJob path), the definitions store, and a way to wake a blob batch when its window closes.
import type { ServiceDeps } from '../services/serviceDeps';
import type { EventSourceStore } from './eventSourceStore';

export interface BatchFlushScheduler {
  /** Asks for flushBlobBatch(batchId) at `at` (or later); may be asked more than once for one batch. */
  scheduleFlush(batchId: string, at: Date): Promise<void>;
}

export interface EventSourceDeps {
  service: ServiceDeps;
  store: EventSourceStore;
  batches: BatchFlushScheduler;
}
