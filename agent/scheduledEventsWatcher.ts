// Watches the scheduled events of this node and reports each eviction (Preempt, Terminate) once. Spot VMs get
// about 30 s of notice: polling every second leaves the job most of it to checkpoint.
import type {
  MetadataServiceClient,
  ScheduledEvent,
} from '../shared/adapters/identity/metadataServiceClient';

const evictionTypes = new Set(['Preempt', 'Terminate']);

export class ScheduledEventsWatcher {
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly imds: MetadataServiceClient,
    private readonly nodeName: string,
    private readonly pollIntervalMs: number,
    private readonly onEviction: (event: ScheduledEvent) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    const tick = async (): Promise<void> => {
      try {
        await this.pollOnce();
      } catch (error: unknown) {
        this.onError(error);
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.pollIntervalMs);
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One poll; exported for tests. Events for other VMs in the same document are ignored. */
  async pollOnce(): Promise<void> {
    const doc = await this.imds.scheduledEvents();
    for (const event of doc.Events) {
      if (!evictionTypes.has(event.EventType) || this.seen.has(event.EventId)) continue;
      if (event.Resources.length > 0 && !event.Resources.includes(this.nodeName)) continue;
      this.seen.add(event.EventId);
      await this.onEviction(event);
    }
  }
}
