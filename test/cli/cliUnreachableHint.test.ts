// A refused connection to this machine's endpoint (`Cannot reach http://127.0.0.1:7071: connect ECONNREFUSED`) says
// what is most likely wrong: no `npm start`, or one on another PORT. Real fetch, a port nothing listens on.
import * as net from 'net';
import { runCli } from '../../cli/cliRunner';
import { scriptedIo } from './support/scriptedIo';

const hint =
  'Hint: is `npm start` running? With another PORT, set BATCHAI_ENDPOINT=http://127.0.0.1:<port>/api\n';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a refused connection to a local endpoint hints at npm start and BATCHAI_ENDPOINT', async () => {
  const port = await closedPort();
  const t = scriptedIo([], { BATCHAI_ENDPOINT: `http://127.0.0.1:${port}/api` });
  expect(await runCli(['workspace', 'list'], { ...t.commandIo, fetch: undefined })).toBe(1);
  const [message, ...rest] = t.err.join('').split('\n');
  // (the cause reads "connect ECONNREFUSED" outside jest, whose sandbox hides it)
  expect(message).toMatch(new RegExp(`^EndpointUnreachable: Cannot reach http://127\\.0\\.0\\.1:${port}: `));
  expect(rest.join('\n')).toBe(hint);
});

test('a remote endpoint that cannot be reached gets no npm start hint', async () => {
  const t = scriptedIo([], { BATCHAI_ENDPOINT: 'https://batchai.example.invalid/api' });
  const failing = async (): Promise<Response> => {
    throw new TypeError('fetch failed', {
      cause: new Error('getaddrinfo ENOTFOUND batchai.example.invalid'),
    });
  };
  expect(await runCli(['workspace', 'list'], { ...t.commandIo, fetch: failing })).toBe(1);
  expect(t.err.join('')).toMatch(
    /^EndpointUnreachable: Cannot reach https:\/\/batchai\.example\.invalid: getaddrinfo/,
  );
  expect(t.err.join('')).not.toContain('npm start');
});
