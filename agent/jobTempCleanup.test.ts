import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readMountPoints, wipeJobTemps } from './jobTempCleanup';

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'jobtemp-'));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function jobDir(name: string): string {
  const directory = path.join(root, name);
  fs.mkdirSync(path.join(directory, 'work'), { recursive: true });
  fs.writeFileSync(path.join(directory, 'work', 'file'), 'x');
  return directory;
}

test('wipes every job directory but the kept ones, and leftovers of an earlier wipe', async () => {
  jobDir('old-1');
  jobDir('old-2');
  jobDir('running');
  jobDir('starting');
  jobDir('.wiped-older-1-2');
  const logs: string[] = [];
  const wipe = wipeJobTemps(root, new Set(['running', 'starting']), (m) => logs.push(m), []);
  // Renamed aside at once: a task of a wiped job starting now makes its directory anew.
  expect(fs.existsSync(path.join(root, 'old-1'))).toBe(false);
  expect(wipe.wiped).toHaveLength(3);
  await wipe.done;
  expect(fs.readdirSync(root).sort()).toEqual(['running', 'starting']);
  expect(fs.readFileSync(path.join(root, 'running', 'work', 'file'), 'utf8')).toBe('x');
  expect(logs).toEqual([]);
});

test('keeps a directory with a mount point under it, and says why', async () => {
  const mounted = jobDir('mounted');
  jobDir('old');
  const logs: string[] = [];
  const wipe = wipeJobTemps(root, new Set(), (m) => logs.push(m), [
    '/',
    path.join(mounted, 'mounts', 'share'),
  ]);
  await wipe.done;
  expect(fs.readdirSync(root)).toEqual(['mounted']);
  expect(wipe.keptMounted).toEqual([mounted]);
  expect(logs.join('\n')).toContain('a volume is still mounted under it');
});

test('a missing root wipes nothing', async () => {
  const wipe = wipeJobTemps(path.join(root, 'none'), new Set(), () => undefined, []);
  await wipe.done;
  expect(wipe.wiped).toEqual([]);
});

test("mount points are read from mountinfo's fifth field, octal escapes decoded", () => {
  const file = path.join(root, 'mountinfo');
  fs.writeFileSync(
    file,
    [
      '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      '40 22 0:50 / /mnt/batch/tasks/shared/LS_root/jobs/u-1/mounts/my\\040share rw - cifs //acct/share rw',
      '',
    ].join('\n'),
  );
  expect(readMountPoints(file)).toEqual(['/', '/mnt/batch/tasks/shared/LS_root/jobs/u-1/mounts/my share']);
  expect(readMountPoints(path.join(root, 'missing'))).toEqual([]);
  // This machine's own: at least its root.
  expect(readMountPoints()).toContain('/');
});
