// The telemetry module without any SDK: W3C trace context, correlation binding, the console adapter's lines and
// minimum level, secret redaction, and configuration validation.
import { BoundTelemetry, correlationOf } from '../../shared/telemetry/boundTelemetry';
import { ConsoleTelemetrySink } from '../../shared/telemetry/consoleTelemetrySink';
import { redactedText, redactProperties, redactText, secret } from '../../shared/telemetry/redaction';
import type { Severity } from '../../shared/telemetry/telemetry';
import { readTelemetryConfig } from '../../shared/telemetry/telemetryConfig';
import { createTelemetry } from '../../shared/telemetry/telemetryFactory';
import {
  childTraceContext,
  newRootTraceContext,
  parseTraceParent,
} from '../../shared/telemetry/traceContext';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const parent = `00-${traceId}-00f067aa0ba902b7-01`;

function capture(minimum: Severity = 'information'): {
  lines: Record<string, unknown>[];
  telemetry: BoundTelemetry;
} {
  const lines: Record<string, unknown>[] = [];
  const sink = new ConsoleTelemetrySink(minimum, (line) =>
    lines.push(JSON.parse(line) as Record<string, unknown>),
  );
  return { lines, telemetry: new BoundTelemetry(sink, minimum) };
}

describe('trace context', () => {
  it('parses a valid traceparent and rejects malformed or all-zero ones', () => {
    expect(parseTraceParent(parent)).toEqual({ traceId, spanId: '00f067aa0ba902b7', flags: 1 });
    expect(parseTraceParent('00-abc-def-01')).toBeUndefined();
    expect(parseTraceParent(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBeUndefined();
    expect(parseTraceParent(`ff-${traceId}-00f067aa0ba902b7-01`)).toBeUndefined();
    expect(parseTraceParent(undefined)).toBeUndefined();
  });

  it('makes a child in the same trace with a new span and keeps tracestate', () => {
    const child = childTraceContext({ traceParent: parent, traceState: 'a=1' });
    const parts = parseTraceParent(child.traceParent);
    expect(parts?.traceId).toBe(traceId);
    expect(parts?.spanId).not.toBe('00f067aa0ba902b7');
    expect(child.traceState).toBe('a=1');
  });

  it('starts a new sampled trace when the parent is absent or malformed', () => {
    const a = parseTraceParent(childTraceContext('garbage').traceParent);
    const b = parseTraceParent(newRootTraceContext().traceParent);
    expect(a?.flags).toBe(1);
    expect(a?.traceId).not.toBe(b?.traceId);
  });
});

describe('correlation binding', () => {
  it('binds operation id = trace id and parent id = span id to every item of a child', () => {
    const { lines, telemetry } = capture();
    const bound = telemetry.withCorrelation({ traceParent: parent });
    bound.trace('hello');
    bound.event('JobSubmitted', { jobId: 'j1' }, { nodes: 2 });
    bound.metric('QueueLength', 3);
    telemetry.trace('unbound');
    expect(lines.slice(0, 3).map((l) => [l.operationId, l.parentId])).toEqual([
      [traceId, '00f067aa0ba902b7'],
      [traceId, '00f067aa0ba902b7'],
      [traceId, '00f067aa0ba902b7'],
    ]);
    expect(lines[3].operationId).toBeUndefined();
    expect(correlationOf({ traceParent: 'nonsense' })).toBeUndefined();
  });

  it('merges common properties, the item’s own winning', () => {
    const { lines, telemetry } = capture();
    telemetry.withProperties({ jobId: 'j1', cluster: 'c1' }).trace('x', 'information', { cluster: 'c2' });
    expect(lines[0].properties).toEqual({ jobId: 'j1', cluster: 'c2' });
  });
});

describe('console adapter', () => {
  it('writes one JSON line per item with level and type', () => {
    const { lines, telemetry } = capture();
    telemetry.trace('disk low', 'warning');
    telemetry.exception(new TypeError('boom'));
    telemetry.request({ name: 'GET /jobs', resultCode: 503, durationMs: 4, success: false });
    expect(lines.map((l) => [l.type, l.level])).toEqual([
      ['trace', 'warning'],
      ['exception', 'error'],
      ['request', 'warning'],
    ]);
    expect(lines[1].exception).toMatchObject({ type: 'TypeError', message: 'boom' });
    expect(typeof lines[0].time).toBe('string');
  });

  it('drops items below the minimum level', () => {
    const { lines, telemetry } = capture('warning');
    telemetry.trace('chatty', 'verbose');
    telemetry.trace('normal');
    telemetry.event('Something');
    telemetry.trace('bad', 'error');
    expect(lines.map((l) => l.message ?? l.name)).toEqual(['bad']);
  });

  it('drops a metric whose value is not finite, with a warning', () => {
    const { lines, telemetry } = capture();
    telemetry.metric('Ratio', Number.NaN);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ type: 'trace', level: 'warning' });
  });
});

describe('redaction', () => {
  it('never emits values marked secret, in any rendering', () => {
    const key = secret('p@ss');
    expect(String(key)).toBe(redactedText);
    expect(JSON.stringify({ key })).toBe(`{"key":"${redactedText}"}`);
    expect(key.reveal()).toBe('p@ss');
    const { lines, telemetry } = capture();
    telemetry.trace('x', 'information', {
      registryPassword: 'hunter2',
      value: key,
      env: { API_TOKEN: 't' } as never,
    });
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/hunter2|p@ss|"t"/);
  });

  it('redacts properties whose names say secret', () => {
    expect(redactProperties({ password: 'a', AccountKey: 'b', connectionString: 'c', jobName: 'd' })).toEqual(
      {
        password: redactedText,
        AccountKey: redactedText,
        connectionString: redactedText,
        jobName: 'd',
      },
    );
  });

  it('redacts credentials embedded in text', () => {
    const text = redactText(
      'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc+/==;EndpointSuffix=x https://h/c?sv=1&sig=XYZ%2F Bearer eyJ.abc.def',
    );
    expect(text).not.toMatch(/abc\+|XYZ|eyJ/);
    expect(text).toContain('AccountName=a');
    expect(text).toContain('sv=1');
  });

  it('redacts messages and exception texts', () => {
    const { lines, telemetry } = capture();
    telemetry.trace('connecting with AccountKey=k3y;');
    telemetry.exception(new Error('failed: Password=pw1'));
    expect(JSON.stringify(lines)).not.toMatch(/k3y|pw1/);
  });
});

describe('configuration', () => {
  it('defaults to the console at information level', () => {
    expect(readTelemetryConfig({})).toEqual({ minimumSeverity: 'information' });
    expect(createTelemetry(readTelemetryConfig({})).destination).toBe('console');
  });

  it('reads Entra ID authentication (APPLICATIONINSIGHTS_AUTHENTICATION_STRING) and names a bad one', () => {
    const connection = 'InstrumentationKey=00000000-0000-0000-0000-000000000001';
    const clientId = '0b1c2d3e-0000-4000-8000-000000000009';
    const aad = (text: string) =>
      readTelemetryConfig({
        APPLICATIONINSIGHTS_CONNECTION_STRING: connection,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: text,
      }).applicationInsights?.aad;
    expect(aad(`ClientId=${clientId};Authorization=AAD`)).toEqual({ clientId });
    expect(aad('Authorization=AAD')).toEqual({});
    expect(() => aad('Authorization=Key')).toThrow(/APPLICATIONINSIGHTS_AUTHENTICATION_STRING/);
    expect(() => aad('Authorization=AAD;ClientId=app')).toThrow(/ClientId must be the client id/);
    expect(
      readTelemetryConfig({ APPLICATIONINSIGHTS_CONNECTION_STRING: connection }).applicationInsights,
    ).not.toHaveProperty('aad');
  });

  it('names the setting that is wrong', () => {
    expect(() => readTelemetryConfig({ TELEMETRY_MIN_LEVEL: 'loud' })).toThrow(/TELEMETRY_MIN_LEVEL/);
    expect(() =>
      readTelemetryConfig({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=nope' }),
    ).toThrow(/APPLICATIONINSIGHTS_CONNECTION_STRING/);
    expect(() =>
      readTelemetryConfig({
        APPLICATIONINSIGHTS_CONNECTION_STRING:
          'InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:1/',
      }),
    ).toThrow(/https/);
    expect(() =>
      readTelemetryConfig({
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000001',
        APPLICATIONINSIGHTS_SAMPLING_PERCENTAGE: '150',
      }),
    ).toThrow(/APPLICATIONINSIGHTS_SAMPLING_PERCENTAGE/);
  });
});
