// The job page in headless Chromium against a small fake of the API (no local stack): the built dashboard
// (dist/web, dashboard/static) served by a Node HTTP server that also answers the job, its listOutputFiles and
// its log blobs. Checks what the review found: a link naming job '..' deletes nothing, one stdouterr listing per
// refresh, the log across a requeue (attempt-2/ blob) and after a pause (only the shown end is read), folders of an
// output directory are navigable, and an API that does not answer is named in the alert. Needs
// `npx tsc -p dashboard/tsconfig.json` (or `npm run build`) first.
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import type { Page } from 'playwright-core';
import {
  describeWithChromium,
  launchHeadlessChromium,
  type HeadlessBrowser,
} from '../support/headlessChromium';

const repoRoot = path.resolve(__dirname, '..', '..');
const openApiDocument: unknown = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'shared', 'domain', 'spec', 'batchAi-2018-05-01.json'), 'utf8'),
);
const describeInBrowser = describeWithChromium('job page against a fake API');
const types: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.html': 'text/html',
};

interface FakeState {
  attempt: number;
  blobs: Map<string, string>;
  apiDown: boolean;
  jobGets: number;
  stdouterrListings: number;
  listings: string[];
  ranges: { blob: string; range: string }[];
  changes: string[];
  /** GETs of /api/openapi.json, and how many of the next ones fail (503). */
  openApiGets: number;
  openApiFailures: number;
}

describeInBrowser('job page against a fake API', () => {
  let server: http.Server;
  let origin: string;
  let browser: HeadlessBrowser | undefined;
  let page: Page;
  const state: FakeState = {
    attempt: 1,
    blobs: new Map(),
    apiDown: false,
    jobGets: 0,
    stdouterrListings: 0,
    listings: [],
    ranges: [],
    changes: [],
    openApiGets: 0,
    openApiFailures: 0,
  };

  function fileEntry(name: string, blob: string) {
    return {
      name,
      fileType: 'file',
      downloadUrl: `${origin}/blob/${blob}?sig=${Math.random().toString(36).slice(2)}`,
      properties: {
        contentLength: Buffer.byteLength(state.blobs.get(blob) ?? ''),
        lastModified: new Date().toISOString(),
      },
    };
  }

  function answerApi(request: http.IncomingMessage, url: URL, response: http.ServerResponse): void {
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'GET' && !url.pathname.endsWith('/listOutputFiles'))
      state.changes.push(`${request.method} ${url.pathname}`);
    if (url.pathname.endsWith('/workspaces')) return json(200, { value: [] });
    if (url.pathname === '/api/openapi.json') {
      state.openApiGets += 1;
      if (state.openApiFailures > 0) {
        state.openApiFailures -= 1;
        return json(503, { error: { code: 'ServiceUnavailable', message: 'fake: try again' } });
      }
      return json(200, openApiDocument);
    }
    if (url.pathname.endsWith('/experiments')) return json(200, { value: [{ name: 'exp' }] });
    if (url.pathname.endsWith('/clusters'))
      return json(200, {
        value: [{ id: `${url.pathname.slice(4)}/c1`, name: 'c1', properties: { vmSize: 'STANDARD_D1' } }],
      });
    const job = /\/experiments\/([^/]+)\/jobs\/([^/]+)(\/listOutputFiles)?$/.exec(url.pathname);
    if (job && !job[3] && request.method === 'GET') {
      state.jobGets += 1;
      if (job[2] === 'mismatch')
        return json(200, { name: 'victimexp', type: 'Microsoft.BatchAI/Experiments' });
      return json(200, {
        id: url.pathname.slice(4),
        name: job[2],
        type: 'Microsoft.BatchAI/Jobs',
        properties: {
          executionState: 'failed',
          outputDirectories: [{ id: 'OUT', pathPrefix: '$AZ_BATCHAI_MOUNT_ROOT/x' }],
        },
      });
    }
    if (job && job[3]) {
      const id = url.searchParams.get('outputdirectoryid');
      const directory = url.searchParams.get('directory') ?? '';
      state.listings.push(`${id}:${directory}`);
      if (id === 'stdouterr') {
        state.stdouterrListings += 1;
        const a = `attempt-${state.attempt}/stdouterr`;
        return json(200, {
          value: ['stderr-job_prep.txt', 'stderr.txt', 'stdout-job_prep.txt', 'stdout.txt'].map((n) =>
            fileEntry(n, `${a}/${n}`),
          ),
        });
      }
      const folder = (name: string) => ({ name, fileType: 'directory' });
      if (directory === '') return json(200, { value: [folder('sub'), fileEntry('a.txt', 'out/a.txt')] });
      if (directory === 'sub')
        return json(200, { value: [folder('deeper'), fileEntry('b.txt', 'out/b.txt')] });
      if (directory === 'sub/deeper') return json(200, { value: [fileEntry('c.txt', 'out/c.txt')] });
      return json(200, { value: [] });
    }
    if (/\/experiments\/[^/]+$/.test(url.pathname))
      return json(200, { name: 'victimexp', type: 'Microsoft.BatchAI/Experiments', properties: {} });
    return json(404, { error: { code: 'NotFound', message: `fake: ${url.pathname}` } });
  }

  beforeAll(async () => {
    if (!fs.existsSync(path.join(repoRoot, 'dist/web/dashboard/src/main.js')))
      throw new Error(
        'dist/web/dashboard/src/main.js is missing: run `npx tsc -p dashboard/tsconfig.json` first.',
      );
    state.blobs.set('attempt-1/stdouterr/stderr.txt', 'ATTEMPT1 error line\n');
    state.blobs.set('attempt-1/stdouterr/stderr-job_prep.txt', '');
    state.blobs.set('attempt-1/stdouterr/stdout.txt', 'out 1\n');
    state.blobs.set('attempt-1/stdouterr/stdout-job_prep.txt', 'prep\n');
    server = http.createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname.startsWith('/api/dashboard/')) {
        const relative = url.pathname.slice('/api/dashboard/'.length) || 'index.html';
        for (const root of ['dist/web', 'dashboard/static']) {
          const file = path.join(repoRoot, root, relative);
          if (!relative.includes('..') && fs.existsSync(file) && fs.statSync(file).isFile()) {
            response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'text/plain' });
            return response.end(fs.readFileSync(file));
          }
        }
        response.writeHead(404);
        return response.end();
      }
      if (url.pathname === '/api/dashboard-config') {
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end(JSON.stringify({ auth: 'none' }));
      }
      if (url.pathname.startsWith('/blob/')) {
        const blob = url.pathname.slice('/blob/'.length);
        const body = Buffer.from(state.blobs.get(blob) ?? '');
        const range = String(request.headers.range ?? '');
        state.ranges.push({ blob, range });
        const start = Number(/^bytes=(\d+)-$/.exec(range)?.[1] ?? 0);
        if (start >= body.length && body.length > 0) {
          response.writeHead(416);
          return response.end();
        }
        response.writeHead(range ? 206 : 200, { 'content-type': 'text/plain' });
        return response.end(body.subarray(start));
      }
      if (state.apiDown) return request.socket.destroy();
      answerApi(request, url, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchHeadlessChromium('dashboard-fake-api');
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  const logText = () => page.locator('pre.log[aria-label="Log tail"]');
  /** Polls a condition on the page for up to 10 s. */
  async function until(condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${condition.toString()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  test('the job form warns of a misspelt property, reading the OpenAPI document again after a failed read', async () => {
    state.openApiGets = 0;
    state.openApiFailures = 1;
    await page.goto(`${origin}/api/dashboard/#/workspaces/rg/ws/submit/exp`);
    const jobJson = page.getByLabel('job.json', { exact: true });
    const warnings = page.locator('form [role="status"] .form-warning');
    await jobJson.fill('{"properties":{"schedulingPriorty":"high"}}');
    await until(async () => state.openApiGets === 1);
    await page.waitForTimeout(500);
    expect(await warnings.isHidden()).toBe(true); // no document yet: nothing to say
    await jobJson.fill('{"properties":{"schedulingPriorty":"low"}}');
    await warnings.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await warnings.textContent()).toContain(
      "'properties.schedulingPriorty' in 'job.json' is not a property of JobCreateParameters: the service ignores it. Did you mean 'schedulingPriority'?",
    );
    expect(state.openApiGets).toBe(2);
    // Read once it answered: later edits use it.
    await jobJson.fill('{"properties":{"schedulingPriority":"low"}}');
    await warnings.waitFor({ state: 'hidden', timeout: 10_000 });
    expect(state.openApiGets).toBe(2);
  });

  test("a link naming job '..' says the name is not valid and offers no Delete", async () => {
    for (const hash of [
      '#/workspaces/rg/ws/experiments/victimexp/jobs/..',
      '#/workspaces/rg/ws/experiments/../jobs/..',
      '#/workspaces/rg/ws/experiments/victimexp/jobs/%2e%2e',
    ]) {
      state.changes = [];
      await page.goto(`${origin}/api/dashboard/${hash}`);
      await page.getByRole('heading', { name: 'Not a valid name' }).waitFor({ timeout: 10_000 });
      expect(await page.getByRole('button', { name: 'Delete', exact: true }).count()).toBe(0);
      await page.waitForTimeout(300);
      expect(state.changes).toEqual([]);
    }
    // A job page whose GET answers another resource (type or name) keeps its actions disabled.
    await page.goto(`${origin}/api/dashboard/#/workspaces/rg/ws/experiments/victimexp/jobs/mismatch`);
    await page.getByRole('heading', { name: /mismatch/ }).waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1000);
    expect(await page.getByRole('button', { name: 'Delete', exact: true }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Terminate', exact: true }).isDisabled()).toBe(true);
  });

  test("a failed job lists stdouterr once per refresh and opens on stderr.txt (not the preparation's)", async () => {
    state.jobGets = state.stdouterrListings = 0;
    await page.goto(`${origin}/api/dashboard/#/workspaces/rg/ws/experiments/e/jobs/j1`);
    await page
      .locator('#log-file option[value="stderr.txt"]')
      .waitFor({ state: 'attached', timeout: 10_000 });
    await page.waitForTimeout(3500); // at least one refresh more
    await page.uncheck('#auto-refresh');
    await page.waitForTimeout(500);
    expect(state.jobGets).toBeGreaterThanOrEqual(2);
    expect({ listings: state.stdouterrListings }).toEqual({ listings: state.jobGets });
    expect(await page.locator('#log-file').inputValue()).toBe('stderr.txt');
    expect(await logText().textContent()).toBe('ATTEMPT1 error line\n');
  });

  test('the log starts over on attempt 2 (a new blob) and reads only the shown end after a pause', async () => {
    await page.goto(`${origin}/api/dashboard/#/workspaces/rg/ws/experiments/e/jobs/j3`);
    await page
      .locator('#log-file option[value="stderr.txt"]')
      .waitFor({ state: 'attached', timeout: 10_000 });
    await page.selectOption('#log-file', 'stderr.txt');
    await until(async () => ((await logText().textContent()) ?? '').includes('ATTEMPT1'));
    // Requeued: attempt 2 writes a new stderr.txt (longer than attempt 1's) under attempt-2/.
    state.blobs.set('attempt-2/stdouterr/stderr.txt', 'ATTEMPT2 line 1\nATTEMPT2 line 2\nATTEMPT2 line 3\n');
    state.attempt = 2;
    await page.check('#auto-refresh');
    await until(async () => ((await logText().textContent()) ?? '').includes('line 3'));
    expect(await logText().textContent()).toBe('ATTEMPT2 line 1\nATTEMPT2 line 2\nATTEMPT2 line 3\n');

    // Paused while 2 MB more are written: the next read asks for the last 64 KiB only.
    await page.uncheck('#auto-refresh');
    const blob = 'attempt-2/stdouterr/stderr.txt';
    const big =
      `${state.blobs.get(blob)}${'x'.repeat(99)}\n`.padEnd(2_000_000, 'y'.repeat(99) + '\n') + 'LAST LINE\n';
    state.blobs.set(blob, big);
    state.ranges = [];
    await page.check('#auto-refresh');
    await until(async () => ((await logText().textContent()) ?? '').endsWith('LAST LINE\n'));
    const length = Buffer.byteLength(big);
    expect(state.ranges.filter((r) => r.blob === blob).map((r) => r.range)).toEqual([
      `bytes=${length - 64 * 1024}-`,
    ]);
    expect((await logText().textContent())?.length).toBeLessThanOrEqual(64 * 1024);
    await page.uncheck('#auto-refresh');
  });

  test('folders of an output directory open, with a way back up', async () => {
    await page.goto(`${origin}/api/dashboard/#/workspaces/rg/ws/experiments/e/jobs/j2`);
    await page.locator('#files-dir option[value="OUT"]').waitFor({ state: 'attached', timeout: 10_000 });
    await page.uncheck('#auto-refresh');
    state.listings = [];
    await page.selectOption('#files-dir', 'OUT');
    await page.getByRole('link', { name: 'a.txt' }).waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: 'Open folder sub' }).click({ timeout: 5000 });
    await page.getByRole('link', { name: 'b.txt' }).waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: 'Open folder deeper' }).click();
    await page.getByRole('link', { name: 'c.txt' }).waitFor({ timeout: 5000 });
    await page.getByText('In OUT/sub/deeper').waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: /Up to OUT\/sub/ }).click();
    await page.getByRole('link', { name: 'b.txt' }).waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: /Up to OUT$/ }).click();
    await page.getByRole('link', { name: 'a.txt' }).waitFor({ timeout: 5000 });
    expect(state.listings).toEqual(['OUT:', 'OUT:sub', 'OUT:sub/deeper', 'OUT:sub', 'OUT:']);
  });

  test('an API that does not answer is named in the alert, and the alert goes once it answers', async () => {
    await page.check('#auto-refresh');
    state.apiDown = true;
    const alert = page.locator('#api-error');
    await until(async () => ((await alert.textContent()) ?? '').startsWith('Cannot reach'));
    expect(await alert.textContent()).toBe(`Cannot reach the API at ${origin}/api (retrying)`);
    state.apiDown = false;
    await alert.waitFor({ state: 'hidden', timeout: 10_000 });
  });
});
