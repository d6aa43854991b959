// Trace context on the node wire and failed invocations, without a host: run messages and task events carry an
// optional W3C trace context (older messages still read, a malformed one dropped, never refused); the active
// context is what a launch puts on its messages; the agent's telemetry is off without a connection string; a
// failed invocation is one exception item in its trace, without the state durable-functions appends.
import { nodeEventSchema, nodeEventVersion, parseNodeEvent } from '../../shared/contracts/nodeEvent';
import { nodeTaskSchema, parseNodeTaskMessage, runTaskVersion } from '../../shared/contracts/nodeTask';
import { openAgentTelemetry, TaskRunTelemetry } from '../../agent/agentTelemetry';
import { BoundTelemetry } from '../../shared/telemetry/boundTelemetry';
import { ConsoleTelemetrySink } from '../../shared/telemetry/consoleTelemetrySink';
import {
  registerInvocationTracing,
  reportedInvocationError,
  trackInvocationFailure,
  type PostInvocationTraceHookContext,
  type PreInvocationTraceHookContext,
} from '../../shared/telemetry/invocationTracing';
import {
  activeTraceContext,
  ensureTraceContextPropagation,
  runInTraceContext,
} from '../../shared/telemetry/traceContextPropagation';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceParent = `00-${traceId}-00f067aa0ba902b7-01`;

const runTask = {
  schema: nodeTaskSchema,
  version: 3,
  kind: 'runTask',
  taskId: 't-1',
  jobId: 'job-1',
  attempt: 1,
  commandLine: 'true',
  stdout: { container: 'job-files', name: 'a/stdout.txt' },
  stderr: { container: 'job-files', name: 'a/stderr.txt' },
};

describe('trace context on the node wire', () => {
  it('a run message carries the trace context without a newer version', () => {
    const parsed = parseNodeTaskMessage({ ...runTask, traceParent, traceState: 'vendor=1' });
    expect(parsed).toMatchObject({ traceParent, traceState: 'vendor=1' });
    expect(parsed.kind === 'runTask' && runTaskVersion(parsed)).toBe(3);
  });

  it('a run message without one still reads, and a malformed one is dropped rather than refused', () => {
    expect(parseNodeTaskMessage(runTask)).not.toHaveProperty('traceParent');
    const parsed = parseNodeTaskMessage({ ...runTask, traceParent: 'not-a-trace', traceState: 'a=1' });
    expect(parsed).toMatchObject({ taskId: 't-1' });
    expect(parsed).not.toHaveProperty('traceParent');
    expect(parsed).not.toHaveProperty('traceState');
  });

  it('task events echo the trace context; other events ignore it', () => {
    const header = {
      schema: nodeEventSchema,
      version: nodeEventVersion,
      nodeId: 'n-1',
      clusterKey: 'c',
      time: new Date().toISOString(),
    };
    const exited = parseNodeEvent({
      ...header,
      kind: 'taskExited',
      taskId: 't-1',
      jobId: 'job-1',
      attempt: 1,
      exitCode: 0,
      reason: 'exited',
      traceParent,
    });
    expect(exited).toMatchObject({ kind: 'taskExited', traceParent });
    const started = parseNodeEvent({ ...header, kind: 'taskStarted', taskId: 't', jobId: 'j', attempt: 1 });
    expect(started).not.toHaveProperty('traceParent');
    const heartbeat = parseNodeEvent({ ...header, kind: 'heartbeat', runningTaskIds: [], traceParent });
    expect(heartbeat).not.toHaveProperty('traceParent');
  });

  it('the active trace context is the one a function runs in', () => {
    ensureTraceContextPropagation();
    expect(activeTraceContext()).toBeUndefined();
    const inside = runInTraceContext({ traceParent, traceState: 'vendor=1' }, () => activeTraceContext());
    expect(inside).toEqual({ traceParent, traceState: 'vendor=1' });
  });
});

describe('node agent telemetry', () => {
  it('is off without a connection string, so a task run costs nothing', () => {
    expect(openAgentTelemetry({})).toBeUndefined();
    expect(TaskRunTelemetry.of(undefined, { ...runTask, kind: 'runTask' } as never)).toBeUndefined();
  });

  it('reports a task run as a request in the trace of its message, with its exit', () => {
    const lines: Record<string, unknown>[] = [];
    const telemetry = new BoundTelemetry(
      new ConsoleTelemetrySink('information', (line) =>
        lines.push(JSON.parse(line) as Record<string, unknown>),
      ),
      'information',
    ).withProperties({ nodeId: 'n-1' });
    const run = TaskRunTelemetry.of(telemetry, parseNodeTaskMessage({ ...runTask, traceParent }) as never)!;
    run.ended({ exitCode: 3, reason: 'exited' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      type: 'request',
      name: 'RunTask',
      resultCode: 3,
      success: false,
      operationId: traceId,
      parentId: '00f067aa0ba902b7',
      properties: {
        nodeId: 'n-1',
        taskId: 't-1',
        jobId: 'job-1',
        attempt: '1',
        exitCode: '3',
        reason: 'exited',
      },
    });
  });
});

describe('failed invocations', () => {
  function stderrLines(run: () => void): Record<string, unknown>[] {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      run();
    } finally {
      spy.mockRestore();
    }
    return written
      .flatMap((text) => text.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('a failed invocation is one exception in its trace, with the function name; a success is none', () => {
    const posts: ((context: PostInvocationTraceHookContext) => void)[] = [];
    registerInvocationTracing({
      hook: {
        preInvocation: (_handler: (context: PreInvocationTraceHookContext) => void) => undefined,
        postInvocation: (handler) => posts.push(handler),
      },
    });
    expect(posts).toHaveLength(1);
    const invocationContext = {
      traceContext: { traceParent },
      invocationId: 'inv-1',
      functionName: 'CheckJobNodes',
    };
    const lines = stderrLines(() => {
      posts[0]({ invocationContext, error: new Error('CheckJobNodes failed: fault injected') });
      posts[0]({ invocationContext, error: null });
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      type: 'exception',
      exception: { type: 'Error', message: 'CheckJobNodes failed: fault injected' },
      operationId: traceId,
      properties: { functionName: 'CheckJobNodes', invocationId: 'inv-1' },
    });
  });

  it("an orchestrator's failure is reported without the orchestration state durable-functions appends", () => {
    const thrown = new Error('JobLifecycle failed\n\n$OutOfProcData$:{"actions":[{"input":"payload"}]}');
    const reported = reportedInvocationError(thrown) as Error;
    expect(reported.message).toBe('JobLifecycle failed');
    const lines = stderrLines(() =>
      trackInvocationFailure({ invocationContext: { functionName: 'JobLifecycle' }, error: thrown }),
    );
    expect(JSON.stringify(lines)).not.toContain('payload');
    expect(lines[0]).toMatchObject({ type: 'exception', properties: { functionName: 'JobLifecycle' } });
  });
});
