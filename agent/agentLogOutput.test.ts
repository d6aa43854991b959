// A local node's agent log: one JSON line per event in the file `--log-file` names, rotated so it stays bounded.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { agentLogOutput } from './agentLogOutput';

test('lines go to the file, which becomes agent.log.1 past its size (one older file kept)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-log-'));
  try {
    const file = path.join(dir, 'agent.log');
    const output = agentLogOutput(file, 1_000);
    for (let i = 0; i < 30; i++) output.log('info', `line ${i} ${'x'.repeat(40)}`);
    await output.close();
    const current = fs.readFileSync(file, 'utf8').trim().split('\n');
    const older = fs.readFileSync(`${file}.1`, 'utf8').trim().split('\n');
    for (const text of [...older, ...current]) {
      expect(JSON.parse(text)).toMatchObject({
        level: 'info',
        message: expect.stringMatching(/^line \d+ x+$/),
      });
    }
    expect(current.at(-1)).toContain('line 29 ');
    // Bounded: the files hold at most twice the size (and a line), the earliest lines are gone.
    expect(fs.statSync(file).size + fs.statSync(`${file}.1`).size).toBeLessThan(2_200);
    expect(older.some((text) => text.includes('"line 0 '))).toBe(false);
    expect(fs.readdirSync(dir).sort()).toEqual(['agent.log', 'agent.log.1']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
