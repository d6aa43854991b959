// `npm start` that cannot start: it stops what it started (the emulators were left running with parent pid 1),
// says what went wrong in one line (no stack traces), and does not announce a restart that never comes.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { killProcessesMentioning, processesMentioning } from '../stack/stackProcesses';

const repoRoot = path.resolve(__dirname, '..', '..');
const startJs = path.join(repoRoot, 'dist', 'runtime', 'start.js');
const dataDirs: string[] = [];

afterAll(() => {
  for (const dir of dataDirs) {
    killProcessesMentioning(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function listen(port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function freePort(): Promise<number> {
  const server = await listen();
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the launcher to its end: exit code and everything it printed. */
function runStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-fails-'));
  dataDirs.push(dataDir);
  const child = spawn(process.execPath, [startJs], {
    cwd: repoRoot,
    env: { ...process.env, START_VERBOSE: '', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

function expectNothingLeft(dataDir: string): void {
  expect(processesMentioning(dataDir)).toEqual([]);
  expect(fs.existsSync(path.join(dataDir, 'start.lock'))).toBe(false);
  expect(fs.existsSync(path.join(dataDir, 'host-process.json'))).toBe(false);
}

test('the API port in use: one line saying so and what to do, nothing left running', async () => {
  const taken = await listen();
  try {
    const { port } = taken.address() as net.AddressInfo;
    const { code, output } = await runStart({ PORT: String(port) });
    expect(code).toBe(1);
    const line =
      `npm start: port ${port} is in use; set PORT=<another> ` +
      `(and BATCHAI_ENDPOINT=http://127.0.0.1:<port>/api for the CLI and the example)`;
    expect(output.split('\n')).toContain(line);
    expect(output).not.toMatch(/restarting|\n\s+at /);
    expectNothingLeft(dataDirs.at(-1)!);
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});

test('a host that fails before it is ready: the emulators it started are stopped, no restart is announced', async () => {
  // An invalid setting the host refuses to start with, once the emulators run.
  const { code, output } = await runStart({
    PORT: String(await freePort()),
    FUNCTIONS_HOST_SHUTDOWN_TIMEOUT_MS: 'soon',
  });
  expect(code).toBe(1);
  expect(output).toContain('[start] Cosmos DB emulator https://');
  expect(output).toMatch(/npm start: the Functions host exited \(code 1, signal null\) before it was ready/);
  expect(output).not.toContain('restarting');
  expect(output).not.toContain('[start] failed:');
  expectNothingLeft(dataDirs.at(-1)!);
});
