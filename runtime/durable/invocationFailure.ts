// Normalises an error thrown by a function invocation into the failure details history events carry, and
// recovers the OrchestratorState the library appends to an orchestrator's error ("$OutOfProcData$:").
import type { FailureDetailsWire } from './historyEvent';

const outOfProcLabel = '$OutOfProcData$:';

export interface NormalizedFailure {
  message: string;
  details: FailureDetailsWire;
  /** The orchestrator state embedded in an OrchestrationFailureError, if any. */
  orchestratorState?: unknown;
}

export function normalizeInvocationError(error: unknown): NormalizedFailure {
  const err =
    error instanceof Error ? error : new Error(typeof error === 'string' ? error : JSON.stringify(error));
  let message = err.message;
  let orchestratorState: unknown;
  const at = message.indexOf(outOfProcLabel);
  if (at >= 0) {
    try {
      orchestratorState = JSON.parse(message.slice(at + outOfProcLabel.length)) as unknown;
    } catch {
      orchestratorState = undefined;
    }
    message = message.slice(0, at).trimEnd();
    // The library passes a boolean as the "error" of OrchestrationFailureError; the real message is state.error.
    const stateError = (orchestratorState as { error?: unknown } | undefined)?.error;
    if (typeof stateError === 'string') message = stateError;
  }
  let errorType = err.name || 'Error';
  // An exception properties provider makes the library put failure details JSON in the message.
  if (message.startsWith('{')) {
    try {
      const parsed = JSON.parse(message) as { errorType?: unknown; errorMessage?: unknown };
      if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
      if (typeof parsed.errorType === 'string') errorType = parsed.errorType;
    } catch {
      // not JSON: keep the message as is
    }
  }
  return {
    message,
    details: { ErrorType: errorType, ErrorMessage: message, StackTrace: err.stack },
    orchestratorState,
  };
}
