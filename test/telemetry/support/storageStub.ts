// A loopback HTTP stand-in for Azure Storage, just enough for the Azure SDK clients the node agent uses to poll a
// queue (an empty message list) and append to a blob (201 for any PUT): telemetry tests only watch which of these
// calls the Application Insights SDK reports, so they need no Azurite.
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface StorageStub {
  /** A connection string whose queue and blob endpoints are this stub (Azurite's well-known dev account). */
  connectionString: string;
  /** How many requests the stub answered. */
  requests(): number;
  stop(): Promise<void>;
}

const account = 'devstoreaccount1';
const accountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export async function startStorageStub(): Promise<StorageStub> {
  let count = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      const headers = { 'x-ms-request-id': `stub-${count}`, 'x-ms-version': '2025-01-05' };
      if (req.method === 'GET' && /\/messages(\?|$)/.test(req.url ?? '')) {
        res.writeHead(200, { ...headers, 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="utf-8"?><QueueMessagesList></QueueMessagesList>');
        return;
      }
      res.writeHead(req.method === 'PUT' ? 201 : 200, headers);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}/${account}`;
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${accountKey};BlobEndpoint=${endpoint};QueueEndpoint=${endpoint};`,
    requests: () => count,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
