// Unit tests of what a newcomer's walkthrough found in the dashboard: the page declares an icon (no favicon 404),
// a failed job shows its errors' details and its stderr first, a missing job or sweep offers no actions, and the
// API client reads the answers of its changes to the end (Chromium logs an unread one as net::ERR_ABORTED).
import * as fs from 'fs';
import * as path from 'path';
import { jobRow } from '../../dashboard/src/model/jobRow';
import { defaultLogFile } from '../../dashboard/src/model/logTail';
import type { ApiErrorInfo } from '../../dashboard/src/model/cloudErrorText';

// dashboard/src/ui/ uses DOM types the node tsconfig (which type-checks the tests) lacks: load it untyped, with
// the part of its shape used here.
interface ApiModule {
  ApiClient: new (
    token: () => Promise<string | undefined>,
    root: string,
  ) => { change(method: string, path: string, body?: unknown): Promise<void> };
  ApiError: new (info: ApiErrorInfo) => Error;
  isNotFound(error: unknown): boolean;
}
const { ApiClient, ApiError, isNotFound } = jest.requireActual<ApiModule>('../../dashboard/src/ui/apiClient');

test('index.html declares an inline icon, so the browser asks no /favicon.ico', () => {
  const html = fs.readFileSync(path.join(__dirname, '..', '..', 'dashboard', 'static', 'index.html'), 'utf8');
  expect(html).toMatch(/<link rel="icon" href="data:,"\s*\/?>/);
});

test("a failed job's row carries its errors' details (the stderr excerpt)", () => {
  const row = jobRow({
    name: 'j',
    properties: {
      executionState: 'failed',
      executionInfo: {
        exitCode: 1,
        errors: [
          {
            code: 'JobFailed',
            message: 'The job exited with code 1.',
            details: [
              { name: 'stderr', value: 'Traceback (most recent call last):\nValueError: bad lr' },
              { name: 'empty', value: '' },
            ],
          },
          { code: 'Other', message: 'no details' },
        ],
      },
    },
  });
  expect(row.errors).toEqual(['JobFailed: The job exited with code 1.', 'Other: no details']);
  expect(row.errorDetails).toEqual([
    { name: 'stderr', value: 'Traceback (most recent call last):\nValueError: bad lr' },
  ]);
  expect(jobRow({ properties: {} }).errorDetails).toEqual([]);
});

test('the log viewer opens on stderr when the job failed, on stdout otherwise', () => {
  const names = ['stderr-wk-0.txt', 'stdout-wk-0.txt'];
  expect(defaultLogFile(names, 'failed')).toBe('stderr-wk-0.txt');
  expect(defaultLogFile(names, 'running')).toBe('stdout-wk-0.txt');
  expect(defaultLogFile(names, 'succeeded')).toBe('stdout-wk-0.txt');
  expect(defaultLogFile(['stdout.txt'], 'failed')).toBe('stdout.txt');
  expect(defaultLogFile([], 'failed')).toBe('');
});

test('isNotFound tells a 404 ApiError (a deleted job or sweep) from other errors', () => {
  expect(isNotFound(new ApiError({ status: 404, code: 'NotFound', message: 'gone', details: [] }))).toBe(
    true,
  );
  expect(isNotFound(new ApiError({ status: 409, code: 'Conflict', message: 'busy', details: [] }))).toBe(
    false,
  );
  expect(isNotFound(new Error('404'))).toBe(false);
});

describe('ApiClient.change', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  test.each([
    [200, { name: 'j' }],
    [202, undefined],
  ])('reads the body of a %i answer to a PUT/POST to its end', async (status, body) => {
    const responses: Response[] = [];
    globalThis.fetch = (async () => {
      const response = new Response(JSON.stringify(body ?? { accepted: true }), { status });
      responses.push(response);
      return response;
    }) as typeof fetch;
    const api = new ApiClient(async () => undefined, 'http://x.test/api');
    await api.change(
      'PUT',
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/w',
      {},
    );
    expect(responses).toHaveLength(1);
    expect(responses[0].bodyUsed).toBe(true);
  });
});
