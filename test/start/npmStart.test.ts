// `npm start` end to end: the launcher brings up the stack and the host, restarts a host killed with SIGKILL,
// and on SIGTERM stops everything it started (no orphans) while keeping the data directory.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { killProcessesMentioning, processesMentioning } from '../stack/stackProcesses';

const repoRoot = path.resolve(__dirname, '..', '..');
const startJs = path.join(repoRoot, 'dist', 'runtime', 'start.js');

/** Whether `port` on 127.0.0.1 can be listened on now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port for the host, below Linux's ephemeral range (32768 on): a port the kernel handed out (listen on 0)
 * is an ephemeral one, which another process's outgoing connection can take between a start and the next, and
 * the next start then rightly refuses the port it was given ("port ... is in use"). Ports below it are never
 * given to outgoing connections.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
}

/**
 * Whether process `pid` runs. A zombie does not: an emulator of a SIGKILLed launcher was reparented, and its exit is
 * reaped whenever the new parent (init here) gets to it, after the next start saw it go.
 */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2)[0]!);
  } catch {
    return false;
  }
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Started {
  hostPid: number;
  azurite: number;
  cosmos: number;
  baseUrl: string;
}

/**
 * Waits for the launcher's `{"started":true,...}` line in `output()`; a timeout says what the launcher printed last
 * (why it never started is there).
 */
async function startedLine(output: () => string, what: string): Promise<Started> {
  try {
    return await waitFor(what, () => {
      const line = output()
        .split('\n')
        .find((l) => l.startsWith('{"started":true'));
      return line ? (JSON.parse(line) as Started) : undefined;
    });
  } catch (error: unknown) {
    throw new Error(
      `${(error as Error).message}; the launcher's output ended with:\n${output().slice(-3_000)}`,
    );
  }
}

describe('npm start', () => {
  let launcher: ChildProcess | undefined;
  let output = '';
  const started: Started[] = [];
  let dataDir = '';

  afterAll(async () => {
    if (launcher && launcher.exitCode === null) launcher.kill('SIGKILL');
    for (const s of started)
      for (const pid of [s.hostPid, s.azurite, s.cosmos]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('restarts a host killed with SIGKILL and stops everything on SIGTERM, keeping the data', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-'));
    const port = await freePort();
    launcher = spawn(process.execPath, [startJs], {
      cwd: repoRoot,
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const first = await startedLine(() => output, 'the started line');
    started.push(first);
    expect(first.baseUrl).toBe(`http://127.0.0.1:${port}`);
    const before = await fetch(`${first.baseUrl}/api/no-such-route`);
    expect(before.status).toBe(404);

    process.kill(first.hostPid, 'SIGKILL');
    const newPid = await waitFor('a restarted host', () => {
      const pids = [...output.matchAll(/Functions host ready \(pid (\d+)\)/g)].map((m) => Number(m[1]));
      const other = pids.find((p) => p !== first.hostPid);
      return other;
    });
    started.push({ ...first, hostPid: newPid });
    const after = await waitFor('the API answering again', async () => {
      try {
        return (await fetch(`${first.baseUrl}/api/no-such-route`)).status;
      } catch {
        return undefined;
      }
    });
    expect(after).toBe(404);

    const exited = new Promise<number | null>((resolve) => launcher?.once('exit', (code) => resolve(code)));
    launcher.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of [newPid, first.azurite, first.cosmos]) expect(alive(pid)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'local-secrets.json'))).toBe(true);

    // Started again on the same data: the emulators take their ports again (links given before keep working).
    const blobLine = (text: string): string | undefined => /Azurite blob (\S+)/.exec(text)?.[1];
    const firstBlob = blobLine(output)!;
    expect(firstBlob).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    let again = '';
    const second = spawn(process.execPath, [startJs], {
      cwd: repoRoot,
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher = second;
    second.stdout?.on('data', (chunk: Buffer) => (again += chunk.toString()));
    second.stderr?.on('data', (chunk: Buffer) => (again += chunk.toString()));
    const restarted = await startedLine(() => again, 'the started line again');
    started.push(restarted);
    expect(blobLine(again)).toBe(firstBlob);
    const secondExit = new Promise<number | null>((resolve) => second.once('exit', (code) => resolve(code)));
    second.kill('SIGTERM');
    expect(await secondExit).toBe(0);
  });

  test('after a launcher killed with SIGKILL the next start stops what it left running and takes the same ports', async () => {
    const ownDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-killed-'));
    const port = await freePort();
    const launch = (): { child: ChildProcess; text: () => string } => {
      let text = '';
      const child = spawn(process.execPath, [startJs], {
        cwd: repoRoot,
        env: { ...process.env, PORT: String(port), DATA_DIR: ownDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
      return { child, text: () => text };
    };
    const endpoints = (text: string): string[] =>
      [
        /Azurite blob (\S+) queue (\S+) table (\S+)/.exec(text),
        /Cosmos DB emulator (https:\S+)/.exec(text),
      ].flatMap((m) => m?.slice(1) ?? []);
    // Cosmos emulators writing this data dir's journal, watched during the second start: never more than one.
    const cosmosWriters = (): number =>
      processesMentioning(path.join(ownDir, 'cosmos')).filter((pid) =>
        fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('cosmosMain'),
      ).length;
    let mostWriters = 0;
    const watch = setInterval(() => {
      try {
        mostWriters = Math.max(mostWriters, cosmosWriters());
      } catch {
        // a process ended while it was looked at
      }
    }, 20);
    const launchers: ChildProcess[] = [];
    try {
      const first = launch();
      launchers.push(first.child);
      const one = await startedLine(first.text, 'the first started line');
      started.push(one);
      const firstEndpoints = endpoints(first.text());
      expect(firstEndpoints).toHaveLength(4);
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
      // Detached on purpose: the emulators outlive the launcher.
      expect(alive(one.azurite) && alive(one.cosmos)).toBe(true);

      const second = launch();
      launchers.push(second.child);
      const two = await startedLine(second.text, 'the second started line');
      started.push(two);
      expect(second.text()).toContain(`stopping the Cosmos DB emulator (pid ${one.cosmos}) left running`);
      expect(second.text()).toContain(`stopping the Azurite (pid ${one.azurite}) left running`);
      expect(alive(one.azurite) || alive(one.cosmos)).toBe(false);
      expect(endpoints(second.text())).toEqual(firstEndpoints); // links naming the old ports keep working
      expect(mostWriters).toBe(1);

      // A second launcher on the same data dir while one runs is refused.
      const third = launch();
      launchers.push(third.child);
      const thirdExit = await new Promise<number | null>((resolve) => third.child.once('exit', resolve));
      expect(thirdExit).toBe(1);
      expect(third.text()).toContain(`is in use by process ${second.child.pid}`);
      expect(alive(two.cosmos) && alive(two.azurite)).toBe(true);

      const exited = new Promise<number | null>((resolve) => second.child.once('exit', resolve));
      second.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const pid of [two.hostPid, two.azurite, two.cosmos]) expect(alive(pid)).toBe(false);
    } finally {
      clearInterval(watch);
      for (const child of launchers) if (child.exitCode === null) child.kill('SIGKILL');
      for (const s of started)
        for (const pid of [s.hostPid, s.azurite, s.cosmos]) if (alive(pid)) process.kill(pid, 'SIGKILL');
      killProcessesMentioning(ownDir); // emulators of a launcher that never got as far as its started line
      fs.rmSync(ownDir, { recursive: true, force: true });
    }
  });

  test('stops everything when the process that started it is gone (npm exits on SIGTERM without passing it on)', async () => {
    const ownDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-parent-'));
    const port = await freePort();
    // As npm runs it: through a shell that stays its parent.
    const shell = spawn('sh', ['-c', `"${process.execPath}" scripts/start.js; true`], {
      cwd: repoRoot,
      env: { ...process.env, PORT: String(port), DATA_DIR: ownDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    shell.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    shell.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    try {
      const ready = await startedLine(() => text, 'the started line');
      started.push(ready);
      shell.kill('SIGKILL');
      await waitFor(
        'the host and the emulators to stop',
        () => ([ready.hostPid, ready.azurite, ready.cosmos].some(alive) ? undefined : true),
        30_000,
      );
      expect(text).toContain('is gone: stopping');
    } finally {
      if (shell.exitCode === null) shell.kill('SIGKILL');
      fs.rmSync(ownDir, { recursive: true, force: true });
    }
  });
});
