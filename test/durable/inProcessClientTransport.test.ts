// The durable client's calls to the host's own webhook prefix are served in process by the same handler (method,
// path, query, headers and body reach it; its status, headers and body come back through the bundled axios, as
// over HTTP); any other URL still goes over the network; stopping restores the default transport.
import * as http from 'http';
import * as path from 'path';
import type { AddressInfo } from 'net';
import {
  serveDurableClientInProcess,
  type ManagementHandler,
} from '../../runtime/durable/inProcessClientTransport';

interface Axios {
  create(config?: object): {
    post(
      url: string,
      data?: unknown,
      config?: object,
    ): Promise<{ status: number; data: unknown; headers: unknown }>;
    get(url: string): Promise<{ status: number; data: unknown }>;
  };
}

/** The axios that durable-functions bundles (the one its client uses). */
function durableAxios(): Axios {
  const durableDir = path.dirname(require.resolve('durable-functions/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve('axios', { paths: [durableDir] })) as Axios;
}

let network: http.Server;
let networkUrl: string;
const seenOnNetwork: string[] = [];

beforeAll(async () => {
  network = http.createServer((req, res) => {
    seenOnNetwork.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"from":"network"}');
  });
  await new Promise<void>((resolve) => network.listen(0, '127.0.0.1', resolve));
  networkUrl = `http://127.0.0.1:${(network.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => network.close(() => resolve())));

test('requests to the host webhook prefix reach the handler in process; others go over the network', async () => {
  const calls: { method?: string; url?: string; body: string; header?: string; path: string }[] = [];
  const handler: ManagementHandler = async (req, res, url) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    calls.push({
      method: req.method,
      url: req.url,
      body,
      header: req.headers['x-test'] as string,
      path: url.pathname,
    });
    res.writeHead(202, { Location: `${url.origin}/status`, 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ accepted: true }));
  };
  // The host's own base URL: nothing listens there, so only the in-process path can answer.
  const hostUrl = 'http://127.0.0.1:1';
  const stop = serveDurableClientInProcess(hostUrl, '/runtime/webhooks/durabletask', handler);
  try {
    const client = durableAxios().create({ validateStatus: (status: number) => status < 600 });
    const answer = await client.post(
      `${hostUrl}/runtime/webhooks/durabletask/instances/i1/raiseEvent/go?taskHub=Hub`,
      JSON.stringify({ n: 1 }),
      { headers: { 'x-test': 'yes', 'Content-Type': 'application/json' } },
    );
    expect(answer.status).toBe(202);
    expect(answer.data).toEqual({ accepted: true });
    expect(calls).toEqual([
      {
        method: 'POST',
        url: '/runtime/webhooks/durabletask/instances/i1/raiseEvent/go?taskHub=Hub',
        body: '{"n":1}',
        header: 'yes',
        path: '/runtime/webhooks/durabletask/instances/i1/raiseEvent/go',
      },
    ]);
    // Another URL of the same axios goes out as before.
    const other = await client.get(`${networkUrl}/elsewhere`);
    expect(other.data).toEqual({ from: 'network' });
    expect(seenOnNetwork).toEqual(['GET /elsewhere']);
    // A status the client's validateStatus refuses rejects like axios over HTTP, with the response attached.
    const strict = durableAxios().create();
    const refused = async (): Promise<void> => {
      const failing: ManagementHandler = (_req, res) => {
        res.writeHead(410, {});
        res.end('{"Message":"gone"}');
      };
      const stopFailing = serveDurableClientInProcess(
        'http://127.0.0.1:2',
        '/runtime/webhooks/durabletask',
        failing,
      );
      try {
        await strict.get('http://127.0.0.1:2/runtime/webhooks/durabletask/instances/x');
      } finally {
        stopFailing();
      }
    };
    await expect(refused()).rejects.toMatchObject({ response: { status: 410 } });
  } finally {
    stop();
  }
  // Stopped: the host URL is plain network again (and nothing listens on port 1).
  await expect(
    durableAxios().create().get(`${hostUrl}/runtime/webhooks/durabletask/instances/i1`),
  ).rejects.toThrow();
});

test('a request served in process that presents no key presents the given key; one that presents a key keeps it', async () => {
  const seen: { header?: string; code: string | null }[] = [];
  const handler: ManagementHandler = (req, res, url) => {
    seen.push({
      header: req.headers['x-functions-key'] as string | undefined,
      code: url.searchParams.get('code'),
    });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  };
  const hostUrl = 'http://127.0.0.1:3';
  const stop = serveDurableClientInProcess(hostUrl, '/runtime/webhooks/durabletask', handler, 'system-key');
  try {
    const client = durableAxios().create();
    await client.get(`${hostUrl}/runtime/webhooks/durabletask/instances/i1`);
    await client.get(`${hostUrl}/runtime/webhooks/durabletask/instances/i1?code=own`);
    await client.post(`${hostUrl}/runtime/webhooks/durabletask/instances/i1/terminate`, '', {
      headers: { 'x-functions-key': 'own-header' },
    });
  } finally {
    stop();
  }
  expect(seen).toEqual([
    { header: 'system-key', code: null },
    { header: undefined, code: 'own' },
    { header: 'own-header', code: null },
  ]);
});
