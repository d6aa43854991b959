// `batchai job file stream ... | head`: the reader closes the pipe early and the CLI ends quietly with 0 (it crashed
// with "Error: write EPIPE ... Unhandled 'error' event"). The CLI runs as a child process (`node dist/cli/main.js`,
// so `npx tsc -p tsconfig.json` first) against a small fake service whose job keeps running and writing.
import { spawn } from 'child_process';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';

const cliMain = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');

let server: http.Server;
let base = '';

beforeAll(async () => {
  let written = 0;
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const json = (body: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname.endsWith('/listOutputFiles')) {
      json({ value: [{ name: 'stdout.txt', fileType: 'file', downloadUrl: `${base}/blob/stdout.txt` }] });
    } else if (url.pathname === '/blob/stdout.txt') {
      // Each read finds 64 KB more: the job writes faster than `head` reads.
      const from = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      written += 64 * 1024;
      const text = 'epoch 1 loss 0.5\n'.repeat(Math.ceil(written / 17)).slice(from, written);
      res.writeHead(from > 0 ? 206 : 200, { 'content-type': 'text/plain' }).end(text);
    } else if (url.pathname.includes('/jobs/')) {
      json({ name: 'j', properties: { executionState: 'running' } });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('a reader that closes the pipe early ends the CLI quietly with exit code 0', async () => {
  const child = spawn(
    process.execPath,
    [
      cliMain,
      'job',
      'file',
      'stream',
      '-g',
      'g',
      '-w',
      'w',
      '-e',
      'e',
      '-j',
      'j',
      '-f',
      'stdout.txt',
      '--interval',
      '0.1',
    ],
    {
      env: { ...process.env, BATCHAI_ENDPOINT: `${base}/api` },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    // As `head -n 1` does: read until the first line, then close the pipe.
    const first = await new Promise<string>((resolve) =>
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())),
    );
    expect(first).toMatch(/^epoch 1 loss 0\.5\n/);
    child.stdout.destroy();
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (c, s) => resolve([c, s])),
    );
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
