// Unit tests of the review's dashboard findings: names the API refuses never reach an API path (a job '..' would
// delete its experiment), the API client refuses URLs that normalisation changes and sends its token only to the
// API, the log opens on the main stderr/stdout, follows the blob (not the file name) across attempts and reads only
// the shown end after a pause, and a client route without its '#' is sent to the dashboard's folder.
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createStaticFileHandler } from '../../functions/dashboard/staticFiles';
import { isNamedResource } from '../../dashboard/src/model/armResourceId';
import { parseRoute } from '../../dashboard/src/model/dashboardRoute';
import {
  appendChunk,
  defaultLogFile,
  emptyTail,
  isReset,
  logSource,
  nextRange,
  rangeStart,
} from '../../dashboard/src/model/logTail';

// dashboard/src/ui/ uses DOM types the node tsconfig (which type-checks the tests) lacks: load it untyped, with
// the part of its shape used here.
interface ApiClientShape {
  url(path: string, query?: Record<string, string>): string;
  get<T>(path: string): Promise<T>;
  list<T>(path: string): Promise<{ items: T[] }>;
}
interface ApiModule {
  ApiClient: new (token: () => Promise<string | undefined>, root: string) => ApiClientShape;
  jobPath(
    scope: { subscriptionId: string; resourceGroup: string; workspace: string },
    experiment: string,
    job: string,
  ): string;
}
const { ApiClient, jobPath } = jest.requireActual<ApiModule>('../../dashboard/src/ui/apiClient');

describe('names in dashboard links', () => {
  test('a job, experiment, workspace or sweep named ".." (or a resource group ".") is not a valid name', () => {
    expect(parseRoute('#/workspaces/rg/ws/experiments/victimexp/jobs/..')).toEqual({
      view: 'invalid',
      field: 'job',
      value: '..',
    });
    const refused: [string, Record<string, string>][] = [
      ['#/workspaces/rg/ws/experiments/../jobs/..', { field: 'experiment' }],
      ['#/workspaces/rg/ws/experiments/%2e%2e/jobs/j', { value: '..' }],
      ['#/workspaces/rg/../clusters', { field: 'workspace' }],
      ['#/workspaces/../ws/clusters', { field: 'resource group' }],
      ['#/workspaces/./ws/clusters', {}],
      ['#/workspaces/rg/ws/experiments/e/sweeps/..', { field: 'sweep' }],
      ['#/workspaces/rg/ws/submit/..', { field: 'experiment' }],
      ['#/workspaces/rg/ws/experiments/a%2Fb', {}],
      [`#/workspaces/rg/${'w'.repeat(65)}/jobs`, {}],
    ];
    for (const [route, named] of refused) {
      expect(parseRoute(route)).toMatchObject({ view: 'invalid', ...named });
    }
  });

  test('valid names still route (resource groups may hold dots and parentheses)', () => {
    expect(parseRoute('#/workspaces/my.rg(1)/ws-1/experiments/exp_1/jobs/job-2')).toEqual({
      view: 'job',
      resourceGroup: 'my.rg(1)',
      workspace: 'ws-1',
      experiment: 'exp_1',
      job: 'job-2',
    });
    expect(parseRoute('#/workspaces/rg/ws/experiments/e/sweeps/s')).toMatchObject({ view: 'sweep' });
    expect(parseRoute('#/workspaces/rg/ws/submit')).toEqual({
      view: 'submit',
      resourceGroup: 'rg',
      workspace: 'ws',
    });
  });

  // The reviewer's reproduction: the route of `experiments/../jobs/..` must not address the workspace.
  test('a route naming job ".." never addresses the parent experiment (or the workspace)', () => {
    const route = parseRoute('#/workspaces/rg/ws/experiments/../jobs/..');
    const scope = { subscriptionId: '0', resourceGroup: 'rg', workspace: 'ws' };
    const url =
      route.view === 'job'
        ? new URL(`http://h/api${jobPath(scope, route.experiment, route.job)}?api-version=x`).pathname
        : '';
    expect(url).not.toBe('/api/subscriptions/0/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/');
  });
});

describe('the API client', () => {
  const realFetch = global.fetch;
  afterEach(() => {
    global.fetch = realFetch;
  });

  test('refuses a path that URL normalisation would change (dot segments, even encoded)', () => {
    const api = new ApiClient(() => Promise.resolve(undefined), 'http://h/api');
    const scope = { subscriptionId: '0', resourceGroup: 'rg', workspace: 'ws' };
    expect(() => api.url(jobPath(scope, 'victimexp', '..'))).toThrow(/Refused/);
    expect(() => api.url(jobPath(scope, '..', '..'))).toThrow(/Refused/);
    expect(() => api.url('/subscriptions/0/resourceGroups/rg/x/%2e%2e/y')).toThrow(/Refused/);
    expect(() => api.url('http://h/api/subscriptions/0/./x?a=b')).toThrow(/Refused/);
    expect(api.url(jobPath(scope, 'e', 'j'), { a: 'b' })).toBe(
      'http://h/api/subscriptions/0/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/experiments/e/jobs/j?api-version=2018-05-01&a=b',
    );
    expect(api.url('http://h/api/x?api-version=1&$skiptoken=2')).toBe(
      'http://h/api/x?api-version=1&$skiptoken=2',
    );
  });

  test('sends the bearer token only to the API origin (not to a nextLink elsewhere)', async () => {
    const seen: { url: string; authorization?: string }[] = [];
    global.fetch = ((url: string, init: { headers: Record<string, string> }) => {
      seen.push({ url, authorization: init.headers.authorization });
      const nextLink = url.startsWith('http://h/') ? 'https://elsewhere.example/page2' : undefined;
      return Promise.resolve(new Response(JSON.stringify({ value: [url], nextLink }), { status: 200 }));
    }) as typeof fetch;
    const api = new ApiClient(() => Promise.resolve('secret-token'), 'http://h/api');
    const list = await api.list<string>('/subscriptions/0/things');
    expect(list.items).toHaveLength(2);
    expect(seen.map((s) => [new URL(s.url).origin, s.authorization])).toEqual([
      ['http://h', 'Bearer secret-token'],
      ['https://elsewhere.example', undefined],
    ]);
  });

  test('an API that does not answer is named: "Cannot reach the API at <url>"', async () => {
    global.fetch = (() => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch;
    const api = new ApiClient(() => Promise.resolve(undefined), 'http://127.0.0.1:7071/api');
    await expect(api.get('/subscriptions/0/x')).rejects.toThrow(
      /^Cannot reach the API at http:\/\/127\.0\.0\.1:7071\/api$/,
    );
  });

  test('a page acts only on the resource it read when that is the one it names', () => {
    expect(isNamedResource({ name: 'j1', type: 'Microsoft.BatchAI/Jobs' }, 'jobs', 'j1')).toBe(true);
    expect(
      isNamedResource({ name: 'J1', type: 'Microsoft.BatchAI/workspaces/experiments/jobs' }, 'jobs', 'j1'),
    ).toBe(true);
    // What GET .../jobs/.. answers: the experiment (or, one level more, the workspace).
    expect(isNamedResource({ name: 'victimexp', type: 'Microsoft.BatchAI/Experiments' }, 'jobs', '..')).toBe(
      false,
    );
    expect(isNamedResource({ name: 'ws', type: 'Microsoft.BatchAI/Workspaces' }, 'jobs', '..')).toBe(false);
    expect(isNamedResource({ name: 'other', type: 'Microsoft.BatchAI/Jobs' }, 'jobs', 'j1')).toBe(false);
    expect(
      isNamedResource({ name: 's', type: 'Microsoft.BatchAI/workspaces/experiments/sweeps' }, 'sweeps', 's'),
    ).toBe(true);
    expect(isNamedResource(undefined, 'jobs', 'j1')).toBe(false);
    expect(isNamedResource({ name: 'j1' }, 'jobs', 'j1')).toBe(false);
  });
});

describe('the log tail', () => {
  test("a failed job's log opens on its main stderr, not the job preparation's", () => {
    const names = ['stderr-job_prep.txt', 'stderr.txt', 'stdout-job_prep.txt', 'stdout.txt'];
    expect(defaultLogFile(names, 'failed')).toBe('stderr.txt');
    expect(defaultLogFile(names, 'running')).toBe('stdout.txt');
    expect(defaultLogFile(names, 'succeeded')).toBe('stdout.txt');
    // Workers' files before the preparation's; the preparation's when nothing else is there yet.
    const workers = ['stderr-job_prep.txt', 'stderr-wk-0.txt', 'stdout-job_prep.txt', 'stdout-wk-0.txt'];
    expect(defaultLogFile(workers, 'failed')).toBe('stderr-wk-0.txt');
    expect(defaultLogFile(workers, 'running')).toBe('stdout-wk-0.txt');
    expect(defaultLogFile(['stderr-job_prep.txt', 'stdout-job_prep.txt'], 'running')).toBe(
      'stdout-job_prep.txt',
    );
    expect(defaultLogFile(['stdout-job_prep.txt', 'stderr.txt'], 'running')).toBe('stderr.txt');
    expect(defaultLogFile([], 'running')).toBe('');
  });

  test('after a long pause, the next read asks only for the last 64 KiB, not every byte written since', () => {
    const tail = appendChunk(emptyTail('u'), 0, 'start\n', 6);
    expect(nextRange(tail, 31_200_010)).toBe(`bytes=${31_200_010 - 64 * 1024}-`);
    expect(rangeStart(tail, 31_200_010)).not.toBe(tail.offset); // the view starts a new decoder
    expect(nextRange(tail, 6 + 64 * 1024)).toBe('bytes=6-'); // no more than shown: read on
    const after = appendChunk(tail, 31_200_010 - 100, 'x\nend\n', 100, 100);
    expect(after).toMatchObject({ offset: 31_200_010, text: 'x\nend\n', clipped: true });
  });

  test("attempt 2's stdout.txt (a new blob under attempt-2/, longer than attempt 1's) starts the tail over", () => {
    const url1 = 'http://st/job-files/j/attempt-1/stdouterr/stdout.txt';
    const url2 = 'http://st/job-files/j/attempt-2/stdouterr/stdout.txt';
    expect(logSource(`${url1}?sv=1&sig=abc`)).toBe(url1);
    const attempt1 = appendChunk(emptyTail(url1), 0, 'ATTEMPT1-short\n', 15);
    expect(isReset(attempt1, 3000, url2)).toBe(true);
    // A new SAS link of the same blob keeps the offset.
    expect(isReset(attempt1, 3000, logSource(`${url1}?sv=2&sig=def`))).toBe(false);
    expect(isReset(attempt1, 10, url1)).toBe(true); // shrank: replaced
  });
});

describe('a client route without its #', () => {
  let dir: string;
  let handler: (request: HttpRequest) => Promise<HttpResponseInit>;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-review-'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
    fs.writeFileSync(path.join(dir, 'main.js'), 'export {};');
    handler = createStaticFileHandler({ roots: [dir] });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const get = (p: string, base = 'http://127.0.0.1/api/dashboard/') =>
    handler(new HttpRequest({ method: 'GET', url: `${base}${p}`, params: { path: p } }));
  const location = (r: HttpResponseInit) => (r.headers as Record<string, string>).Location;

  test('a deeper extensionless path is sent to the dashboard folder (its relative scripts would 404)', async () => {
    for (const p of ['workspaces/xss', 'workspaces/rg/ws/jobs', 'workspaces/rg/ws/', 'workspaces/']) {
      const r = await get(p);
      expect({ p, status: r.status, location: location(r) }).toEqual({
        p,
        status: 302,
        location: '/api/dashboard/',
      });
    }
    // Never to another site, whatever the path before the dashboard looks like.
    expect(location(await get('a/b', 'http://127.0.0.1//evil.example/dashboard/'))).toBe(
      '/evil.example/dashboard/',
    );
    // One level keeps serving the page (its relative URLs resolve), and files are still served.
    expect((await get('workspaces')).status).toBe(200);
    expect((await get('main.js')).status).toBe(200);
    expect((await get('views/missing.js')).status).toBe(404);
  });

  test('traversal is still refused', async () => {
    for (const p of ['workspaces/../../x', '../index.html', 'a/.env', 'a\\b/c']) {
      expect({ p, status: (await get(p)).status }).toEqual({ p, status: 400 });
    }
  });
});
