// A local HTTPS fake of the Application Insights ingestion endpoint: accepts `POST /v2.1/track` and `/v2/track`
// (a JSON array of envelopes, or newline-separated JSON, gzip or not), keeps the envelopes for tests and answers
// like the service ({itemsReceived, itemsAccepted, errors}). Loopback only; its certificate is in ./tls. Entra ID
// authentication as the service does it: a bearer token must be one whose identity holds Monitoring Metrics
// Publisher on the component (403 otherwise), and a component with local authentication disabled refuses items
// sent with the instrumentation key alone (401).
import { randomUUID } from 'crypto';
import * as https from 'https';
import type { AddressInfo } from 'net';
import { gunzipSync } from 'zlib';
import { loadLoopbackCertificate } from './loopbackCertificate';

/** One telemetry item as the SDK sends it (the fields tests read; the rest stays in `data`). */
export interface TelemetryEnvelope {
  /** e.g. `Microsoft.ApplicationInsights.Request`, `...Message`, `...Exception`, `...Event`, `...Metric`, `...RemoteDependency`. */
  name: string;
  time: string;
  iKey?: string;
  /** Context tags such as `ai.operation.id`, `ai.operation.parentId`, `ai.cloud.role`. */
  tags: Record<string, string>;
  data: { baseType: string; baseData: Record<string, unknown> };
}

export interface AppInsightsIngestionFake {
  /** https://127.0.0.1:PORT/ */
  endpoint: string;
  /** `InstrumentationKey=<guid>;IngestionEndpoint=https://127.0.0.1:PORT/` */
  connectionString: string;
  instrumentationKey: string;
  /** The fake's certificate (PEM) and its file: trust it for the ingestion client only (see docs/observability.md). */
  certificate: string;
  certificateFile: string;
  /** Every envelope received so far, in arrival order. */
  envelopes(): TelemetryEnvelope[];
  /** Polls until `predicate` holds for the received envelopes (the SDK batches and retries): returns them. */
  waitFor(
    predicate: (envelopes: TelemetryEnvelope[]) => boolean,
    timeoutMs?: number,
  ): Promise<TelemetryEnvelope[]>;
  /** Requests that were not valid ingestion calls (method, path, reason), for diagnosing a test. */
  rejected(): { method: string; path: string; reason: string }[];
  stop(): Promise<void>;
}

function parsePayload(body: Buffer, encoding: string | undefined): unknown[] {
  const raw =
    encoding?.toLowerCase().includes('gzip') || (body[0] === 0x1f && body[1] === 0x8b)
      ? gunzipSync(body)
      : body;
  const text = raw.toString('utf8').trim();
  if (text === '') return [];
  if (text.startsWith('[')) {
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error('the body is not a JSON array');
    return parsed;
  }
  // The older wire format: one envelope per line.
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

function envelopeProblem(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return 'not an object';
  const e = item as Record<string, unknown>;
  if (typeof e.name !== 'string' || e.name === '') return 'field "name" is missing';
  if (typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time))) return 'field "time" is not a date';
  const data = e.data as Record<string, unknown> | undefined;
  if (typeof data !== 'object' || data === null || typeof data.baseType !== 'string')
    return 'field "data.baseType" is missing';
  return undefined;
}

export interface AppInsightsIngestionFakeOptions {
  /** The component's DisableLocalAuth: only items signed in with a token are taken. */
  localAuthDisabled?: boolean;
  /** Bearer tokens of identities holding Monitoring Metrics Publisher on the component. */
  publisherTokens?: string[];
}

export async function startAppInsightsIngestionFake(
  options: AppInsightsIngestionFakeOptions = {},
): Promise<AppInsightsIngestionFake> {
  const { certificateFile, certificate, key } = loadLoopbackCertificate();
  const instrumentationKey = randomUUID();
  const received: TelemetryEnvelope[] = [];
  const rejected: { method: string; path: string; reason: string }[] = [];

  const server = https.createServer({ cert: certificate, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const reject = (status: number, reason: string): void => {
        rejected.push({ method: req.method ?? '', path: url.pathname, reason });
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            itemsReceived: 0,
            itemsAccepted: 0,
            errors: [{ index: 0, statusCode: status, message: reason }],
          }),
        );
      };
      if (req.method !== 'POST' || !/^\/v2(\.1)?\/track\/?$/.test(url.pathname)) {
        reject(404, `no ingestion route ${req.method} ${url.pathname}`);
        return;
      }
      const authorization = req.headers.authorization;
      if (authorization !== undefined) {
        const token = /^Bearer (.+)$/.exec(authorization)?.[1];
        if (!token || !(options.publisherTokens ?? []).includes(token)) {
          reject(403, 'The provided credentials have insufficient access to perform the requested operation');
          return;
        }
      } else if (options.localAuthDisabled) {
        reject(401, 'Authorization is required: local authentication is disabled on this component');
        return;
      }
      let items: unknown[];
      try {
        items = parsePayload(Buffer.concat(chunks), req.headers['content-encoding']);
      } catch (error: unknown) {
        reject(400, `invalid payload: ${(error as Error).message}`);
        return;
      }
      const errors: { index: number; statusCode: number; message: string }[] = [];
      items.forEach((item, index) => {
        const problem = envelopeProblem(item);
        if (problem) errors.push({ index, statusCode: 400, message: problem });
        else received.push(item as TelemetryEnvelope);
      });
      // 206 with per-item errors is how the service reports a partial success.
      res.writeHead(errors.length > 0 ? 206 : 200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length - errors.length, errors }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `https://127.0.0.1:${port}/`;

  return {
    endpoint,
    connectionString: `InstrumentationKey=${instrumentationKey};IngestionEndpoint=${endpoint}`,
    instrumentationKey,
    certificate,
    certificateFile,
    envelopes: () => [...received],
    rejected: () => [...rejected],
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const snapshot = [...received];
        if (predicate(snapshot)) return snapshot;
        if (Date.now() > deadline) {
          throw new Error(
            `Timed out after ${timeoutMs} ms waiting for telemetry; received ${snapshot.length} envelopes: ${snapshot
              .map((e) => e.data.baseType)
              .join(', ')}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
