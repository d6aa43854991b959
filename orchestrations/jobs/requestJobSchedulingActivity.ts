// Wakes a cluster's job scheduler: signals it when it runs, starts it when it does not (not yet started, its
// cluster deleted and created again, or an instance from before version 1.4 that ended idle). Idempotent: an extra
// signal only causes an extra scheduling pass.
//
// Signals for one cluster from one process are coalesced: a caller whose signal would go while another is on its way
// joins the next one instead (sent once the one on its way is in, so after the caller's change was written: its
// `sentAt` announces that change too). A burst of 500 PUTs, or the exits of a busy cluster, then sends a few signals
// at a time instead of one each; each is an orchestration event (a scheduler episode) and, on Azure, storage
// transactions. No caller returns before a signal sent after its call is in.
import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import { durableClientOf } from '../durableClientOf';
import { startOrSignal } from '../startOrSignal';
import {
  jobSchedulerInstanceId,
  jobSchedulerName,
  requestJobSchedulingActivityName,
  scheduleEvent,
  type JobSchedulerInput,
  type ScheduleSignal,
} from './jobLifecycleContract';

/** A signal not sent yet: callers join it; `startIfIdle` once one of them needs a scheduler that may not run. */
interface NextSignal {
  startIfIdle: boolean;
  sent: Promise<void>;
}

/**
 * One process's signals per key (a cluster): the one on its way and the next, which waits for it. Exported for
 * tests; the functions below use `schedulerSignals`.
 */
export class SignalCoalescer {
  private readonly onTheirWay = new Map<string, Promise<void>>();
  private readonly next = new Map<string, NextSignal>();

  /**
   * Sends a signal by `send` (`startIfIdle`: the caller needs the receiver started when it does not run), or joins
   * the next one; resolves once a signal sent after this call is in (rejects with its failure).
   */
  signal(key: string, startIfIdle: boolean, send: (startIfIdle: boolean) => Promise<void>): Promise<void> {
    const waiting = this.next.get(key);
    if (waiting) {
      waiting.startIfIdle ||= startIfIdle;
      return waiting.sent;
    }
    const before = this.onTheirWay.get(key);
    if (!before) return this.start(key, () => send(startIfIdle));
    const next: NextSignal = {
      startIfIdle,
      sent: before
        .catch(() => undefined)
        .then(() => {
          this.next.delete(key);
          return this.start(key, () => send(next.startIfIdle));
        }),
    };
    this.next.set(key, next);
    return next.sent;
  }

  private start(key: string, send: () => Promise<void>): Promise<void> {
    const sending = Promise.resolve()
      .then(send)
      .finally(() => {
        if (this.onTheirWay.get(key) === sending) this.onTheirWay.delete(key);
      });
    this.onTheirWay.set(key, sending);
    return sending;
  }
}

const schedulerSignals = new SignalCoalescer();

/** Asks the cluster's scheduler for a pass, starting it when it does not run. */
export function requestJobScheduling(clusterKey: string, context: InvocationContext): Promise<void> {
  return signalScheduler(clusterKey, context, true);
}

/**
 * Asks the cluster's scheduler for a pass; `startIfIdle` false: only when it runs (none running, no job waits that
 * this signal could concern: a node handed back after a job's end).
 */
export function signalScheduler(
  clusterKey: string,
  context: InvocationContext,
  startIfIdle: boolean,
): Promise<void> {
  const instanceId = jobSchedulerInstanceId(clusterKey);
  return schedulerSignals.signal(instanceId, startIfIdle, async (start) => {
    if (!start) {
      await durableClientOf(context).raiseEvent(instanceId, scheduleEvent, scheduleSignalNow());
      return;
    }
    const input: JobSchedulerInput = { clusterKey };
    await startOrSignal(context, {
      orchestrator: jobSchedulerName,
      instanceId,
      input,
      event: scheduleEvent,
      eventData: scheduleSignalNow(),
    });
  });
}

/** A `schedule` signal sent now (after the change it announces was written). */
function scheduleSignalNow(): ScheduleSignal {
  return { sentAt: new Date().toISOString() };
}

df.app.activity(requestJobSchedulingActivityName, {
  extraInputs: [df.input.durableClient()],
  handler: (clusterKey: string, context: InvocationContext) => requestJobScheduling(clusterKey, context),
});
