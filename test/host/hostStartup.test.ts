// Startup checks of the local host process: an app with a trigger type no plugin serves is refused with a clear message.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from '../support/testEnvironment';

function runHost(appRoot: string, dataDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'runtime', 'host', 'main.js')], {
      env: { ...process.env, APP_ROOT: appRoot, PORT: '0', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('local host startup', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoststartup-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a function whose trigger type no plugin serves, naming it', async () => {
    const lib = JSON.stringify(path.join(repoRoot, 'node_modules', '@azure', 'functions'));
    fs.writeFileSync(
      path.join(dir, 'index.js'),
      `const { app, trigger } = require(${lib});\n` +
        `app.generic('mystery', { trigger: trigger.generic({ type: 'serviceBusTrigger', queueName: 'q' }), handler: async () => {} });\n`,
    );
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'index.js' }));
    const { code, output } = await runHost(dir, path.join(dir, '.data'));
    expect(code).toBe(1);
    expect(output).toContain('"mystery" (serviceBusTrigger)');
    expect(output).not.toContain('test mode');
  });

  it('fails clearly when the entry point glob matches nothing', async () => {
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'dist/functions/*.js' }));
    const { code, output } = await runHost(dir, path.join(dir, '.data'));
    expect(code).toBe(1);
    expect(output).toContain('Found zero files matching the supplied pattern');
  });

  it('loads every file an entry point glob matches', async () => {
    const lib = JSON.stringify(path.join(repoRoot, 'node_modules', '@azure', 'functions'));
    fs.mkdirSync(path.join(dir, 'fns'));
    for (const name of ['alpha', 'beta']) {
      fs.writeFileSync(
        path.join(dir, 'fns', `${name}.js`),
        `require(${lib}).app.http('${name}', { authLevel: 'anonymous', handler: async () => ({ body: '${name}' }) });\n`,
      );
    }
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'fns/*.js' }));
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'runtime', 'host', 'main.js')], {
      env: { ...process.env, APP_ROOT: dir, PORT: '0', DATA_DIR: path.join(dir, '.data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const deadline = Date.now() + 60_000;
      while (!output.includes('"hostReady":true') && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const ready = JSON.parse(output.split('\n').find((l) => l.startsWith('{"hostReady"')) ?? '{}') as {
        baseUrl: string;
      };
      expect(await (await fetch(`${ready.baseUrl}/api/alpha`)).text()).toBe('alpha');
      expect(await (await fetch(`${ready.baseUrl}/api/beta`)).text()).toBe('beta');
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('HTTP streaming (app.setup({ enableHttpStream: true }))', () => {
  it('streams a large request body in and a stream response body out', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hoststream-'));
    const lib = JSON.stringify(path.join(repoRoot, 'node_modules', '@azure', 'functions'));
    fs.writeFileSync(
      path.join(dir, 'index.js'),
      `const { app } = require(${lib});\n` +
        `const { Readable } = require('stream');\n` +
        `app.setup({ enableHttpStream: true });\n` +
        `app.http('count', { methods: ['POST'], authLevel: 'anonymous', handler: async (req) => {\n` +
        `  let n = 0; for await (const c of req.body) n += c.length;\n` +
        `  return { body: String(n), headers: { 'x-route': req.params.x ?? 'none' } }; } });\n` +
        `app.http('big', { methods: ['GET'], authLevel: 'anonymous', handler: async () => ({\n` +
        `  body: Readable.from((function* () { for (let i = 0; i < 64; i++) yield Buffer.alloc(65536, i); })()) }) });\n`,
    );
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'index.js' }));
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'runtime', 'host', 'main.js')], {
      env: { ...process.env, APP_ROOT: dir, PORT: '0', DATA_DIR: path.join(dir, '.data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const deadline = Date.now() + 60_000;
      while (!output.includes('"hostReady":true') && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const ready = JSON.parse(output.split('\n').find((l) => l.startsWith('{"hostReady"')) ?? '{}') as {
        baseUrl: string;
      };
      const upload = Buffer.alloc(8 * 1024 * 1024, 7);
      const counted = await fetch(`${ready.baseUrl}/api/count`, { method: 'POST', body: upload });
      expect(counted.status).toBe(200);
      expect(await counted.text()).toBe(String(upload.length));
      const big = await fetch(`${ready.baseUrl}/api/big`);
      const body = Buffer.from(await big.arrayBuffer());
      expect(body.length).toBe(64 * 65536);
      expect(body[65536 * 63]).toBe(63);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('host.json logging.logLevel', () => {
  /** Starts the app in `dir`, calls `paths`, stops the host and returns everything it printed. */
  async function outputOf(dir: string, paths: string[], env: Record<string, string> = {}): Promise<string> {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'runtime', 'host', 'main.js')], {
      env: {
        ...process.env,
        FUNCTIONS_HOST_LOG_LEVEL: '',
        ...env,
        APP_ROOT: dir,
        PORT: '0',
        DATA_DIR: path.join(dir, '.data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      const deadline = Date.now() + 60_000;
      while (!output.includes('"hostReady":true') && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const ready = JSON.parse(output.split('\n').find((l) => l.startsWith('{"hostReady"')) ?? '{}') as {
        baseUrl: string;
      };
      for (const p of paths) expect((await fetch(`${ready.baseUrl}${p}`)).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      return output;
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }

  it('filters by category: default, Function.<name>, Function.<name>.User (longest prefix wins)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostlog-'));
    try {
      const lib = JSON.stringify(path.join(repoRoot, 'node_modules', '@azure', 'functions'));
      fs.writeFileSync(
        path.join(dir, 'index.js'),
        `const { app } = require(${lib});\n` +
          `for (const name of ['noisy', 'quiet', 'plain']) app.http(name, { authLevel: 'anonymous', handler: async (req, ctx) => {\n` +
          `  ctx.log(name + '-info-line'); ctx.warn(name + '-warn-line'); return { body: 'ok' }; } });\n`,
      );
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'index.js' }));
      fs.writeFileSync(
        path.join(dir, 'host.json'),
        JSON.stringify({
          version: '2.0',
          logging: {
            logLevel: { default: 'Information', 'Function.noisy.User': 'Warning', 'function.quiet': 'None' },
          },
        }),
      );
      const output = await outputOf(dir, ['/api/noisy', '/api/quiet', '/api/plain']);
      expect(output).not.toContain('noisy-info-line');
      expect(output).toContain('noisy-warn-line');
      expect(output).toContain("Executing 'Functions.noisy'");
      expect(output).not.toContain('quiet-info-line');
      expect(output).not.toContain('quiet-warn-line');
      expect(output).not.toContain("Executing 'Functions.quiet'");
      expect(output).toContain('plain-info-line');
      expect(output).toContain("Executing 'Functions.plain'");
      // The local knob FUNCTIONS_HOST_LOG_LEVEL, when set, wins over host.json for every category.
      const all = await outputOf(dir, ['/api/quiet'], { FUNCTIONS_HOST_LOG_LEVEL: 'information' });
      expect(all).toContain('quiet-info-line');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
