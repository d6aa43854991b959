// Unit tests of `job file stream`'s loop against a real HTTP server holding a growing file: ranges are read from
// where the last read stopped, the file may appear late, and streaming ends once the job has finished.
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { Job, OutputFile } from '../../shared/client/batchAiTypes';
import { findFile, streamOutputFile } from '../../cli/outputFileStreamer';

let server: http.Server;
let baseUrl: string;
let content = Buffer.alloc(0);
const ranges: (string | undefined)[] = [];
let honourRange = true;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    ranges.push(req.headers.range);
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (match && honourRange) {
      const start = Number(match[1]);
      if (start >= content.length) {
        res.writeHead(416, { 'content-range': `bytes */${content.length}` }).end();
        return;
      }
      res.writeHead(206, { 'content-range': `bytes ${start}-${content.length - 1}/${content.length}` });
      res.end(content.subarray(start));
      return;
    }
    res.writeHead(200).end(content);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  content = Buffer.alloc(0);
  ranges.length = 0;
  honourRange = true;
});

/** A job that goes through `states` one per round; `onRound` grows the file between rounds. */
function scenario(states: string[], fileFromRound: number, onRound: (round: number) => void) {
  let round = 0;
  const written: string[] = [];
  const source = {
    async getJob(): Promise<Job> {
      onRound(round);
      const state = states[Math.min(round, states.length - 1)];
      round++;
      return { properties: { executionState: state as never } };
    },
    async listFiles(): Promise<OutputFile[]> {
      if (round - 1 < fileFromRound) return [];
      return [
        { name: 'stderr.txt', fileType: 'file', downloadUrl: `${baseUrl}/stderr.txt?sig=x` },
        { name: 'stdout.txt', fileType: 'file', downloadUrl: `${baseUrl}/stdout.txt?sig=${round}` },
      ];
    },
  };
  const options = {
    fileName: 'stdout.txt',
    directory: '.',
    intervalMs: 0,
    fetch: (url: string, init?: RequestInit) => fetch(url, init),
    sleep: async () => undefined,
    write: (text: string) => written.push(text),
  };
  return { source, options, written };
}

test('prints the file as it grows, reading only new bytes, until the job has finished', async () => {
  const chunks = ['epoch 1\n', '', 'epoch 2 – ü\n', 'done\n'];
  const { source, options, written } = scenario(
    ['queued', 'running', 'running', 'running', 'succeeded'],
    1,
    (round) => {
      if (round >= 1 && round - 1 < chunks.length)
        content = Buffer.concat([content, Buffer.from(chunks[round - 1])]);
    },
  );
  const outcome = await streamOutputFile(source, options);
  expect(written.join('')).toBe('epoch 1\nepoch 2 – ü\ndone\n');
  expect(outcome).toEqual({
    bytes: content.length,
    found: true,
    executionState: 'succeeded',
    otherFiles: [],
  });
  // The first read has no Range; later ones start where the previous stopped (416 when nothing is new).
  expect(ranges[0]).toBeUndefined();
  expect(ranges.slice(1)).toEqual([
    'bytes=8-',
    'bytes=8-',
    `bytes=${Buffer.byteLength('epoch 1\nepoch 2 – ü\n')}-`,
  ]);
});

test('a multi-byte character split across reads is printed whole', async () => {
  const euro = Buffer.from('€');
  const parts = [euro.subarray(0, 1), euro.subarray(1)];
  const { source, options, written } = scenario(['running', 'running', 'failed'], 0, (round) => {
    if (round < parts.length) content = Buffer.concat([content, parts[round]]);
  });
  await streamOutputFile(source, options);
  expect(written.join('')).toBe('€');
});

test('a server that ignores Range still yields each byte once', async () => {
  honourRange = false;
  const { source, options, written } = scenario(['running', 'running', 'succeeded'], 0, (round) => {
    content = Buffer.concat([content, Buffer.from(`line ${round}\n`)]);
  });
  await streamOutputFile(source, options);
  expect(written.join('')).toBe('line 0\nline 1\nline 2\n');
});

test('a job ending without the file reports it as not found', async () => {
  const { source, options, written } = scenario(['running', 'failed'], 99, () => undefined);
  await expect(streamOutputFile(source, options)).resolves.toEqual({
    bytes: 0,
    found: false,
    executionState: 'failed',
    otherFiles: [],
  });
  expect(written).toEqual([]);
});

test('a running job whose directory has other files but not this one: one note naming them, then waiting', async () => {
  // A tensorFlowSettings job writes stdout-wk-0.txt/stderr-wk-0.txt, never stdout.txt.
  let round = 0;
  const states = ['queued', 'running', 'running', 'running', 'failed'];
  const notes: string[] = [];
  const written: string[] = [];
  const outcome = await streamOutputFile(
    {
      async getJob(): Promise<Job> {
        return { properties: { executionState: states[Math.min(round++, states.length - 1)] as never } };
      },
      async listFiles(): Promise<OutputFile[]> {
        if (round <= 1) return []; // queued: nothing yet, no note
        return [
          { name: 'stderr-wk-0.txt', fileType: 'file', downloadUrl: `${baseUrl}/e` },
          { name: 'stdout-wk-0.txt', fileType: 'file', downloadUrl: `${baseUrl}/o` },
          { name: 'logs', fileType: 'directory' },
        ];
      },
    },
    {
      fileName: 'stdout.txt',
      directory: '.',
      intervalMs: 0,
      fetch: (url, init) => fetch(url, init),
      sleep: async () => undefined,
      write: (text) => written.push(text),
      note: (text) => notes.push(text),
    },
  );
  expect(notes).toEqual([
    "Waiting for 'stdout.txt': the job is running and the directory has stderr-wk-0.txt, stdout-wk-0.txt but not it.\n",
  ]);
  expect(outcome).toEqual({
    bytes: 0,
    found: false,
    executionState: 'failed',
    otherFiles: ['stderr-wk-0.txt', 'stdout-wk-0.txt'],
  });
  expect(written).toEqual([]);
});

test('findFile matches the bare name or the path inside the output directory, never a directory', () => {
  const files: OutputFile[] = [
    { name: 'logs', fileType: 'directory' },
    { name: 'logs/log.txt', fileType: 'file', downloadUrl: 'u1' },
  ];
  expect(findFile(files, 'log.txt', 'logs')?.downloadUrl).toBe('u1');
  expect(findFile(files, 'log.txt', './logs/')?.downloadUrl).toBe('u1');
  expect(findFile(files, 'logs', '.')).toBeUndefined();
});
