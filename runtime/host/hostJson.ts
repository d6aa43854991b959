// Reads the app's host.json (the subset the local host honours) and validates it once at startup.
import * as fs from 'fs';
import * as path from 'path';
import { applyHostJsonOverrides } from './hostJsonOverrides';
import { durationMs } from './timeSpan';

export interface QueuesOptions {
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

export interface HostJsonOptions {
  raw: Record<string, unknown>;
  routePrefix: string;
  queues: QueuesOptions;
  /** Deadline for in-flight invocations at shutdown and per invocation (functionTimeout); undefined = none. */
  functionTimeoutMs: number | undefined;
}

function objectAt(obj: unknown, key: string): Record<string, unknown> {
  const v = obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function intAt(
  obj: Record<string, unknown>,
  key: string,
  field: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(
      `host.json ${field}: expected an integer between ${min} and ${max}, got ${JSON.stringify(v)}.`,
    );
  }
  return v;
}

/** Parses host.json content (already JSON-decoded) with the Functions defaults. */
export function parseHostJson(raw: Record<string, unknown>): HostJsonOptions {
  const extensions = objectAt(raw, 'extensions');
  const http = objectAt(extensions, 'http');
  const queues = objectAt(extensions, 'queues');
  let routePrefix = 'api';
  if (http.routePrefix !== undefined) {
    if (typeof http.routePrefix !== 'string')
      throw new Error('host.json extensions.http.routePrefix: expected a string.');
    routePrefix = http.routePrefix.replace(/^\/+|\/+$/g, '');
  }
  const batchSize = intAt(queues, 'batchSize', 'extensions.queues.batchSize', 16, 1, 32);
  const encoding = queues.messageEncoding ?? 'base64';
  if (encoding !== 'base64' && encoding !== 'none') {
    throw new Error('host.json extensions.queues.messageEncoding: expected "base64" or "none".');
  }
  return {
    raw,
    routePrefix,
    queues: {
      maxPollingIntervalMs: durationMs(
        queues.maxPollingInterval,
        'host.json extensions.queues.maxPollingInterval',
        60_000,
      ),
      visibilityTimeoutMs: durationMs(
        queues.visibilityTimeout,
        'host.json extensions.queues.visibilityTimeout',
        0,
      ),
      batchSize,
      newBatchThreshold: intAt(
        queues,
        'newBatchThreshold',
        'extensions.queues.newBatchThreshold',
        Math.floor(batchSize / 2),
        0,
        1000,
      ),
      maxDequeueCount: intAt(queues, 'maxDequeueCount', 'extensions.queues.maxDequeueCount', 5, 1, 1000),
      messageEncoding: encoding,
    },
    functionTimeoutMs:
      raw.functionTimeout === undefined || raw.functionTimeout === '-1'
        ? undefined
        : durationMs(raw.functionTimeout, 'host.json functionTimeout', 0),
  };
}

/**
 * Reads `<appRoot>/host.json`; a missing file means all defaults (as `func` does with a warning). App settings
 * named `AzureFunctionsJobHost__<path>` override its values, as on Azure (`hostJsonOverrides.ts`).
 */
export function readHostJson(
  appRoot: string,
  settings: Record<string, string | undefined> = {},
): HostJsonOptions {
  const file = path.join(appRoot, 'host.json');
  if (!fs.existsSync(file)) return parseHostJson(applyHostJsonOverrides({ version: '2.0' }, settings));
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err: unknown) {
    throw new Error(`${file}: invalid JSON (${(err as Error).message}).`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error(`${file}: expected a JSON object.`);
  return parseHostJson(applyHostJsonOverrides(raw as Record<string, unknown>, settings));
}
