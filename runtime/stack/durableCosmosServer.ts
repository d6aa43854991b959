// The Cosmos DB emulator server: @vercel/cosmosdb-server's routes and handlers over HTTPS, with a durability barrier
// (no response leaves before the journal holds every write made so far) when a journal folder is given.
import * as fs from 'fs';
import * as https from 'https';
import type { IncomingMessage, ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { randomUUID } from 'crypto';
import Account from '@vercel/cosmosdb-server/lib/account';
import routes from '@vercel/cosmosdb-server/lib/routes';
import { CosmosJournal, JournalStats } from './cosmosJournal';
import { installItemSizeLimit, ItemTooLargeError, itemTooLargeBody } from './itemSizeLimit';
import { createJournaledAccount } from './journaledCosmosAccount';
import { installLinearQueries } from './linearCosmosQueries';
import { isQueryPlanRequest, singleRangeQueryPlan } from './cosmosQueryPlan';

export interface DurableCosmosServerOptions {
  host: string;
  /** 0 = a free port. */
  port: number;
  /** Journal folder; undefined = in memory only (the package's own behaviour, used as the benchmark baseline). */
  journalDir?: string;
  compactAfterBytes: number;
  log: (line: string) => void;
  /** Called when the journal cannot be written: the process must stop rather than acknowledge a lost write. */
  onFatal: (error: Error) => void;
}

export interface DurableCosmosServer {
  port: number;
  journalStats(): JournalStats | undefined;
  /** Stops accepting, flushes the journal and closes it. */
  close(): Promise<void>;
}

/** The journal could not make a write durable: the request must not be answered. */
class DurabilityLostError extends Error {
  constructor(cause: unknown) {
    super(
      `journal failed, write not acknowledged: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'DurabilityLostError';
  }
}

type RouteHandler = (account: Account, req: IncomingMessage, res: ServerResponse, params: unknown) => unknown;

const queryMetricsHeader =
  'totalExecutionTimeInMs=0.00;queryCompileTimeInMs=0.00;queryLogicalPlanBuildTimeInMs=0.00;' +
  'queryPhysicalPlanBuildTimeInMs=0.00;queryOptimizationTimeInMs=0.00;VMExecutionTimeInMs=0.00;' +
  'indexLookupTimeInMs=0.00;documentLoadTimeInMs=0.00;systemFunctionExecuteTimeInMs=0.00;' +
  'userFunctionExecuteTimeInMs=0.00;retrievedDocumentCount=0;retrievedDocumentSize=0;outputDocumentCount=1;' +
  'outputDocumentSize=0;writeOutputTimeInMs=0.00;indexUtilizationRatio=0.00';

/** A query plan request's route: its body (the query) is not read; the plan is the same for every query. */
const queryPlanRoute: [unknown, RouteHandler] = [
  {},
  (_account, req) => {
    req.resume();
    return structuredClone(singleRangeQueryPlan);
  },
];

function packageFile(name: string): string {
  return path.join(path.dirname(require.resolve('@vercel/cosmosdb-server/package.json')), name);
}

/**
 * The package's request loop (lib/index.js, not exported), kept response-for-response identical, with one change:
 * the response waits for the journal. Reads wait too, so no client ever sees a write that a crash could still undo.
 */
async function handleRequest(
  account: Account,
  journal: CosmosJournal | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let body: unknown;
  const route = isQueryPlanRequest(req)
    ? queryPlanRoute
    : (routes(req) as [unknown, RouteHandler] | undefined);
  if (route) {
    const [params, handler] = route;
    try {
      body = await handler(account, req, res, params);
    } catch (error: unknown) {
      if (error instanceof ItemTooLargeError) {
        // As Azure answers a document over 2 MB; nothing was stored.
        res.statusCode = 413;
        body = itemTooLargeBody(`https://${req.headers.host ?? ''}${req.url ?? ''}`);
      } else {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`cosmos emulator: handler error on ${req.method} ${req.url}: ${message}\n`);
        body = { message };
        res.statusCode = 500;
      }
    }
    if (res.statusCode > 399 && body && typeof body === 'object' && !('message' in body)) {
      (body as Record<string, unknown>).message = '';
    }
  } else {
    res.statusCode = 400;
    body = { message: 'no route' };
  }
  const etag = body && typeof body === 'object' ? (body as Record<string, unknown>)._etag : undefined;
  if (typeof etag === 'string') res.setHeader('etag', etag);
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-location', `https://${req.headers.host ?? ''}${req.url ?? ''}`);
  res.setHeader('connection', 'keep-alive');
  res.setHeader('x-ms-activity-id', randomUUID());
  res.setHeader('x-ms-request-charge', '1');
  if (req.headers['x-ms-documentdb-populatequerymetrics']) {
    res.setHeader('x-ms-documentdb-query-metrics', queryMetricsHeader);
  }
  if (req.headers['a-im'] && res.statusCode === 200) {
    if (req.headers['if-none-match']) res.statusCode = 304;
    res.setHeader('etag', '1');
  }
  const payload = JSON.stringify(body);
  if (journal) {
    try {
      await journal.whenDurable();
    } catch (error: unknown) {
      throw new DurabilityLostError(error);
    }
  }
  res.end(payload);
}

export function startDurableCosmosServer(options: DurableCosmosServerOptions): Promise<DurableCosmosServer> {
  installItemSizeLimit();
  installLinearQueries();
  const journal = options.journalDir
    ? CosmosJournal.open({
        dir: options.journalDir,
        compactAfterBytes: options.compactAfterBytes,
        log: options.log,
      })
    : undefined;
  let account: Account | undefined;
  let fatal = false;
  const server = https.createServer(
    {
      cert: fs.readFileSync(packageFile('cert.pem')),
      key: fs.readFileSync(packageFile('key.pem')),
      minVersion: 'TLSv1',
      requestCert: false,
      keepAlive: true,
    },
    (req, res) => {
      if (!account) {
        res.statusCode = 503;
        res.end(JSON.stringify({ message: 'emulator is starting' }));
        return;
      }
      handleRequest(account, journal, req, res).catch((error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        if (failure instanceof DurabilityLostError) {
          // Never answer: the write is in memory but not on disk. Fail-stop so that a restart replays the truth.
          res.destroy();
          if (!fatal) {
            fatal = true;
            options.onFatal(failure);
          }
          return;
        }
        process.stderr.write(`cosmos emulator: ${failure.message}\n`);
        if (!res.writableEnded) {
          res.statusCode = 500;
          res.end('');
        }
      });
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      try {
        // The account needs the real port (it advertises its endpoint); replay is synchronous, so no request can be
        // served before the whole journal is applied.
        account = journal
          ? createJournaledAccount(options.host, port, journal)
          : new Account(options.host, port);
      } catch (error: unknown) {
        server.close();
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      resolve({
        port,
        journalStats: () => journal?.stats(),
        close: async () => {
          const closed = new Promise<void>((done) => server.close(() => done()));
          server.closeIdleConnections();
          // Responses already on their way get out; anything still waiting was never acknowledged.
          await journal?.whenDurable().catch(() => undefined);
          await new Promise((done) => setTimeout(done, 50));
          server.closeAllConnections();
          await closed;
          await journal?.close();
        },
      });
    });
  });
}
