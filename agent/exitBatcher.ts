// Sends tasks' exits so that those ending while the send of an earlier exit is under way go together, in one node
// event (`tasksExited`), once that send is over. A node running several jobs at once (job slots) often sees its
// short tasks end within a few milliseconds of each other: one event then costs the control plane one queue
// message, one invocation and one update of the node's record instead of one per task. An exit waits only for a
// send that is under way anyway, or, while other tasks of the node run (`holdFirst`), for one timer tick (about a
// millisecond), so the exits of tasks that end at the same moment go together from the first.

export interface ExitBatcherOptions<T> {
  /** Sends one exit as its own event. */
  sendOne(item: T): Promise<void>;
  /** Sends several exits in one event. */
  sendMany(items: T[]): Promise<void>;
  /** Whether the control plane reads events of several exits now (asked when a batch goes out). */
  together(): boolean;
  /** Whether an exit with no send under way waits one timer tick for others (asked as it comes). */
  holdFirst(): boolean;
  /** An exit's size in an event (bytes of JSON). */
  bytesOf(item: T): number;
  /** At most this many exits in one event. */
  maxItems: number;
  /** At most this many bytes of exits (JSON) in one event. */
  maxBytes: number;
}

interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(error: unknown): void;
}

export class ExitBatcher<T> {
  private sending = false;
  private waiting: Waiting<T>[] = [];

  constructor(private readonly options: ExitBatcherOptions<T>) {}

  /** Resolves once the exit is sent (alone or with others); rejects when its event could not be sent. */
  send(item: T): Promise<void> {
    if (this.sending) return this.wait(item);
    this.sending = true;
    if (this.options.holdFirst()) {
      const held = this.wait(item);
      setTimeout(() => this.next(), 0);
      return held;
    }
    const sent = this.options.sendOne(item);
    void sent.then(
      () => this.next(),
      () => this.next(),
    );
    return sent;
  }

  /** Waits to go with the next events. */
  private wait(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => this.waiting.push({ item, resolve, reject }));
  }

  /** Sends what came meanwhile (in as few events as fit), then what came during that, until none is left. */
  private next(): void {
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) {
      this.sending = false;
      return;
    }
    const groups = this.options.together() ? this.groups(batch) : batch.map((entry) => [entry]);
    void Promise.all(
      groups.map(async (group) => {
        try {
          if (group.length === 1) await this.options.sendOne(group[0].item);
          else await this.options.sendMany(group.map((entry) => entry.item));
          for (const entry of group) entry.resolve();
        } catch (error: unknown) {
          for (const entry of group) entry.reject(error);
        }
      }),
    ).then(() => this.next());
  }

  /** `batch` in order, cut into events of at most `maxItems` exits and `maxBytes` bytes. */
  private groups(batch: Waiting<T>[]): Waiting<T>[][] {
    const groups: Waiting<T>[][] = [];
    let bytes = 0;
    for (const entry of batch) {
      const last = groups[groups.length - 1];
      const size = this.options.bytesOf(entry.item);
      if (last && last.length < this.options.maxItems && bytes + size <= this.options.maxBytes) {
        last.push(entry);
        bytes += size;
      } else {
        groups.push([entry]);
        bytes = size;
      }
    }
    return groups;
  }
}
