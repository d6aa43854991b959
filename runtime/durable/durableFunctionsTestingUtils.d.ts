// Types for the durable-functions module the replay tests use (the package ships no declarations for it).
declare module 'durable-functions/lib/src/util/testingUtils' {
  import type { InvocationContext } from '@azure/functions';
  import type { OrchestrationHandler } from 'durable-functions';
  export class DummyOrchestrationContext extends InvocationContext {
    constructor(functionName?: string, invocationId?: string);
  }
  export function createOrchestrator(
    fn: OrchestrationHandler,
  ): (trigger: unknown, context: InvocationContext) => Promise<unknown>;
}
