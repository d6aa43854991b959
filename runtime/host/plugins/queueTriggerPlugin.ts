// queueTrigger on Storage queues (Azurite locally): polls each function's queue with exponential backoff up to
// host.json maxPollingInterval, fetches batches of batchSize and a new batch when in-flight messages drop to
// newBatchThreshold, deletes on success, makes a failed message visible again after visibilityTimeout and moves it
// to `<queue>-poison` (original content kept) once it has been dequeued maxDequeueCount times. A message put on the
// queue by this process, or locally by any process when app setting LOCAL_QUEUE_EVENTS_URL names the local Azurite's
// notification stream (`queueSendWatcher.ts`), ends the backoff at once; on Azure the setting is absent and the
// listeners just poll.
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import { resolveBindingExpression } from '../bindingExpression';
import { parseHostJson, type QueuesOptions } from '../hostJson';
import type { HostServices, RegisteredFunction, RpcTypedData, TriggerPlugin } from '../plugin';
import {
  isQueueEventsStreamConnected,
  onQueueMessageSent,
  watchQueueEventsStream,
} from '../queueSendWatcher';
import { queueServiceFor } from '../storageConnection';

/** The first backoff step (as Azure's); a maxPollingInterval below it caps it. */
const minPollingIntervalMs = 100;
/** Local only (set by runtime/stack/localStack.ts appSettings()): the local Azurite's queue put notifications. */
const queueEventsSetting = 'LOCAL_QUEUE_EVENTS_URL';
/** Messages being processed stay invisible this long and are renewed at half of it (Azure: 10 min). */
const processingVisibilitySeconds = 60;

function decodeMessage(text: string, encoding: 'base64' | 'none'): string | undefined {
  if (encoding === 'none') return text;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64').toString('utf8');
}

/** A message being handled: its current pop receipt, and whether it was given back at shutdown. */
interface Handling {
  m: DequeuedMessageItem;
  receipt: { popReceipt: string };
  /** True while the function runs (the message is renewed); false once it is being deleted or released. */
  invoking: boolean;
  /** Given back at shutdown while the function still ran: nothing more to do with it afterwards. */
  released: boolean;
  renew: NodeJS.Timeout | undefined;
  /** A lease renewal under way: it changes the pop receipt, so deleting or releasing waits for it. */
  renewal: Promise<void> | undefined;
  done: Promise<void>;
}

/** One queue's listener (exported for unit tests). */
export class QueueListener {
  private stopped = false;
  private readonly handling = new Set<Handling>();
  private wake: (() => void) | undefined;
  private wakeOnPoke: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  /** A message was sent to this queue since the last receive began: poll again without sleeping. */
  private poked = false;
  /** Activity was seen on another queue: the next idle wait starts the backoff again. */
  private backoffReset = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly host: HostServices,
    private readonly fn: RegisteredFunction,
    private readonly queue: QueueClient,
    private readonly poison: QueueClient,
    private readonly options: QueuesOptions,
    /** How often a message being processed has its invisibility renewed (half the processing visibility). */
    private readonly renewEveryMs = (processingVisibilitySeconds * 1000) / 2,
  ) {}

  async start(): Promise<void> {
    await this.queue.createIfNotExists();
    this.unsubscribe = onQueueMessageSent((queueName, source) => {
      if (queueName === this.queue.name) {
        this.poked = true;
        this.wakeOnPoke?.();
      } else if (source === 'in-process' && !isQueueEventsStreamConnected()) {
        // Work elsewhere often brings messages here from other processes soon (a task sent to a node agent ->
        // its node events): restart the backoff from its first step, without polling at once. Not needed while
        // the local notification stream is connected: it announces those messages (it is exact), so a put
        // elsewhere says nothing about this queue.
        this.backoffReset = true;
      }
    });
    this.loop = this.run();
  }

  /** Stops receiving (a receive under way gives its messages back); in-flight messages are left to release(). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.wakeOnPoke?.();
    await this.loop;
  }

  /**
   * After the host's drain: messages whose function finished are deleted/released as usual (awaited); those whose
   * function still runs stop being renewed and become visible again now, for the next host to take.
   */
  async release(): Promise<void> {
    await Promise.allSettled(
      [...this.handling].map(async (h) => {
        if (!h.invoking) return h.done;
        h.invoking = false;
        h.released = true;
        clearInterval(h.renew);
        await h.renewal;
        await this.queue.updateMessage(h.m.messageId, h.receipt.popReceipt, h.m.messageText, 0);
        this.host.log.warn(
          `Function "${this.fn.name}": message ${h.m.messageId} made visible again (its invocation was still running at shutdown).`,
        );
      }),
    );
  }

  /** Sleeps `ms`; a message put on this queue (or stop) ends it, and so does a finished message unless `onlyPokes`. */
  private sleep(ms: number, onlyPokes = false): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeOnPoke = done;
      this.wake = onlyPokes ? undefined : done;
    });
  }

  private async run(): Promise<void> {
    const minDelay = Math.min(minPollingIntervalMs, Math.max(this.options.maxPollingIntervalMs, 1));
    let delay = minDelay;
    while (!this.stopped) {
      if (this.inFlight.size > this.options.newBatchThreshold) {
        await Promise.race([...this.inFlight, this.sleep(this.options.maxPollingIntervalMs)]);
        continue;
      }
      let messages: DequeuedMessageItem[];
      this.poked = false;
      try {
        const res = await this.queue.receiveMessages({
          numberOfMessages: this.options.batchSize,
          visibilityTimeout: processingVisibilitySeconds,
        });
        messages = res.receivedMessageItems;
      } catch (err: unknown) {
        this.host.log.warn(
          `Queue "${this.queue.name}" of function "${this.fn.name}": receive failed: ${(err as Error).message}`,
        );
        messages = [];
      }
      if (this.stopped) {
        // Received during shutdown: make them visible again at once instead of waiting for the timeout.
        await Promise.allSettled(
          messages.map((m) => this.queue.updateMessage(m.messageId, m.popReceipt, m.messageText, 0)),
        );
        break;
      }
      if (messages.length === 0) {
        if (this.poked) {
          delay = minDelay; // sent while this receive was under way: look again now
          continue;
        }
        if (this.backoffReset) {
          this.backoffReset = false;
          delay = minDelay;
        }
        await this.sleep(delay);
        delay =
          this.poked || this.backoffReset
            ? minDelay
            : Math.min(delay * 2, Math.max(this.options.maxPollingIntervalMs, minDelay));
        continue;
      }
      // Event-driven after work: poll again at once while messages keep coming. With the local notification stream
      // connected, a batch smaller than batchSize emptied the queue: the next put will be announced, so the
      // listener waits for it (or the polling cap) instead of asking again at once.
      delay = minDelay;
      const drained = messages.length < this.options.batchSize && isQueueEventsStreamConnected();
      for (const m of messages) {
        const p = this.handle(m).catch((err: unknown) => {
          this.host.log.error(
            `Queue "${this.queue.name}": handling message ${m.messageId} failed: ${(err as Error).message}`,
          );
        });
        this.inFlight.add(p);
        void p.finally(() => {
          this.inFlight.delete(p);
          this.wake?.();
        });
      }
      if (drained && !this.poked && !this.stopped) {
        await this.sleep(Math.max(this.options.maxPollingIntervalMs, minDelay), true);
      }
    }
  }

  private handle(m: DequeuedMessageItem): Promise<void> {
    const h: Handling = {
      m,
      receipt: { popReceipt: m.popReceipt },
      invoking: false,
      released: false,
      renew: undefined,
      renewal: undefined,
      done: Promise.resolve(),
    };
    h.done = this.process(h).finally(() => this.handling.delete(h));
    this.handling.add(h);
    return h.done;
  }

  private async process(h: Handling): Promise<void> {
    const { m, receipt } = h;
    if (m.dequeueCount > this.options.maxDequeueCount) {
      await this.moveToPoison(
        m,
        receipt.popReceipt,
        `dequeued ${m.dequeueCount} times (maxDequeueCount ${this.options.maxDequeueCount})`,
      );
      return;
    }
    const text = decodeMessage(m.messageText, this.options.messageEncoding);
    if (text === undefined) {
      await this.moveToPoison(
        m,
        receipt.popReceipt,
        'message is not valid base64 (host.json extensions.queues.messageEncoding is "base64")',
      );
      return;
    }
    h.invoking = true;
    h.renew = setInterval(() => {
      if (h.renewal) return;
      h.renewal = this.queue
        .updateMessage(m.messageId, receipt.popReceipt, m.messageText, processingVisibilitySeconds)
        .then((r) => {
          if (r.popReceipt) receipt.popReceipt = r.popReceipt;
        })
        .catch(() => undefined)
        .finally(() => {
          h.renewal = undefined;
        });
    }, this.renewEveryMs);
    const iso = (d: Date | undefined): RpcTypedData => ({ string: d ? d.toISOString() : '' });
    const triggerMetadata: Record<string, RpcTypedData> = {
      Id: { string: m.messageId },
      DequeueCount: { int: m.dequeueCount },
      InsertionTime: iso(m.insertedOn),
      ExpirationTime: iso(m.expiresOn),
      NextVisibleTime: iso(m.nextVisibleOn),
      PopReceipt: { string: m.popReceipt },
      QueueTrigger: { string: text },
    };
    let ok = true;
    try {
      await this.host.invoke(this.fn.name, { triggerData: { string: text }, triggerMetadata });
    } catch {
      ok = false;
    } finally {
      clearInterval(h.renew);
    }
    // Given back at shutdown while it ran: the pop receipt is stale and the message belongs to the next host.
    if (h.released) return;
    h.invoking = false;
    // A renewal still under way would change the pop receipt after we read it: wait for the receipt it brings.
    await h.renewal;
    if (ok) {
      await this.queue.deleteMessage(m.messageId, receipt.popReceipt);
    } else if (m.dequeueCount >= this.options.maxDequeueCount) {
      await this.moveToPoison(
        m,
        receipt.popReceipt,
        `failed ${m.dequeueCount} times (maxDequeueCount ${this.options.maxDequeueCount})`,
      );
    } else {
      await this.queue.updateMessage(
        m.messageId,
        receipt.popReceipt,
        m.messageText,
        Math.round(this.options.visibilityTimeoutMs / 1000),
      );
    }
  }

  /** Copy first, then delete: a crash in between duplicates the message rather than losing it. */
  private async moveToPoison(m: DequeuedMessageItem, popReceipt: string, reason: string): Promise<void> {
    await this.poison.createIfNotExists();
    await this.poison.sendMessage(m.messageText);
    await this.queue.deleteMessage(m.messageId, popReceipt);
    this.host.log.warn(
      `Function "${this.fn.name}": message ${m.messageId} moved to queue "${this.poison.name}": ${reason}.`,
    );
  }
}

function readQueueEventsUrl(settings: HostServices['settings']): string | undefined {
  const value = settings[queueEventsSetting];
  if (!value) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:') {
    throw new Error(`App setting ${queueEventsSetting} must be an http:// URL, got "${value}".`);
  }
  return value;
}

export class QueueTriggerPlugin implements TriggerPlugin {
  readonly triggerTypes = ['queueTrigger'];
  private listeners: QueueListener[] = [];
  private stopQueueEvents: (() => void) | undefined;

  async start(host: HostServices, functions: RegisteredFunction[]): Promise<void> {
    const options = parseHostJson(host.hostJson).queues;
    const queueEventsUrl = readQueueEventsUrl(host.settings);
    for (const fn of functions) {
      const where = `Function "${fn.name}" (queueTrigger)`;
      if (typeof fn.trigger.queueName !== 'string' || fn.trigger.queueName === '') {
        throw new Error(`${where}: "queueName" must be a non-empty string.`);
      }
      const queueName = resolveBindingExpression(fn.trigger.queueName, host.settings, {}, where);
      if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(queueName)) {
        throw new Error(
          `${where}: queueName "${queueName}" is not a valid queue name (3-63 lower-case letters, digits, dashes).`,
        );
      }
      const service = queueServiceFor(host.settings, fn.trigger.connection, where);
      const listener = new QueueListener(
        host,
        fn,
        service.getQueueClient(queueName),
        service.getQueueClient(`${queueName}-poison`),
        options,
      );
      await listener.start();
      this.listeners.push(listener);
    }
    if (queueEventsUrl && this.listeners.length > 0) {
      this.stopQueueEvents = watchQueueEventsStream(queueEventsUrl, host.log);
    }
  }

  async stop(): Promise<void> {
    this.stopQueueEvents?.();
    this.stopQueueEvents = undefined;
    await Promise.all(this.listeners.map((l) => l.stop()));
  }

  async release(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.release()));
    this.listeners = [];
  }
}
