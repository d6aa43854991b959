// The node agent's Application Insights telemetry: on when its environment holds a connection string (the app's
// own settings: APPLICATIONINSIGHTS_CONNECTION_STRING, ..._SAMPLING_PERCENTAGE, ..._INGESTION_CA_FILE,
// TELEMETRY_MIN_LEVEL), off otherwise, at no cost (the SDK is not even loaded). A task run is one request item in
// the trace its RunTaskMessage carries (the activity that launched it), with its exit; agent failures are exceptions.
import type { TokenCredential } from '@azure/core-auth';
import type { RunTaskMessage } from '../shared/contracts/nodeTask';
import type { Telemetry } from '../shared/telemetry/telemetry';
import { readTelemetryConfig } from '../shared/telemetry/telemetryConfig';
import { createTelemetry, type TelemetryHandle } from '../shared/telemetry/telemetryFactory';

/**
 * The agent's telemetry from its environment; undefined (telemetry off) without a connection string. `identity`: the
 * node's own managed identity, which signs the items when the settings ask for Entra ID authentication (the app's
 * identity, which the setting names, is not the VM's).
 */
export function openAgentTelemetry(
  env: Readonly<Record<string, string | undefined>>,
  identity?: TokenCredential,
): TelemetryHandle | undefined {
  const config = readTelemetryConfig(env);
  // Only its own items: the SDK would otherwise report every queue poll as a dependency.
  return config.applicationInsights
    ? createTelemetry(config, { autoCollect: false, credential: identity })
    : undefined;
}

/** How a task ended, as its `taskExited` event says. */
export interface TaskRunEnd {
  exitCode?: number;
  signal?: string;
  reason: string;
}

/** Name of the request item of a task run (its properties say which task of which job and node). */
export const taskRunRequestName = 'RunTask';

/** One task's telemetry, from the moment the agent took its run message to its exit. */
export class TaskRunTelemetry {
  private readonly startedAt = Date.now();

  constructor(readonly telemetry: Telemetry) {}

  /** The task's telemetry, in its message's trace; undefined when the agent has none. */
  static of(agent: Telemetry | undefined, message: RunTaskMessage): TaskRunTelemetry | undefined {
    if (!agent) return undefined;
    const traced = message.traceParent
      ? agent.withCorrelation({ traceParent: message.traceParent, traceState: message.traceState })
      : agent;
    return new TaskRunTelemetry(
      traced.withProperties({ taskId: message.taskId, jobId: message.jobId, attempt: message.attempt }),
    );
  }

  /** The request item of the run: success is exit code 0 of a process that ended by itself. */
  ended(end: TaskRunEnd, message?: string): void {
    this.telemetry.request({
      name: taskRunRequestName,
      resultCode: end.exitCode ?? end.signal ?? end.reason,
      durationMs: Date.now() - this.startedAt,
      success: end.reason === 'exited' && end.exitCode === 0,
      properties: {
        exitCode: end.exitCode,
        signal: end.signal,
        reason: end.reason,
        message,
      },
    });
  }
}
