import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { removeTree } from './removeTree';

describe('removeTree', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'remove-tree-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('removes a small tree (a job temp directory: directories and a file)', async () => {
    const tree = path.join(root, 'job');
    fs.mkdirSync(path.join(tree, 'shared', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(tree, 'hostfile'), 'localhost slots=1\n');
    await removeTree(tree);
    expect(fs.existsSync(tree)).toBe(false);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('removes a tree larger than the synchronous budget, every file of it', async () => {
    const tree = path.join(root, 'outputs');
    for (let d = 0; d < 5; d++) {
      fs.mkdirSync(path.join(tree, `d${d}`), { recursive: true });
      for (let f = 0; f < 40; f++) fs.writeFileSync(path.join(tree, `d${d}`, `f${f}`), 'x');
    }
    await removeTree(tree);
    expect(fs.existsSync(tree)).toBe(false);
  });

  it('is done when the directory is not there', async () => {
    await expect(removeTree(path.join(root, 'missing'))).resolves.toBeUndefined();
  });

  it('removes a link to a directory, not what it points at', async () => {
    const kept = path.join(root, 'kept');
    fs.mkdirSync(kept);
    fs.writeFileSync(path.join(kept, 'model.bin'), 'weights');
    const tree = path.join(root, 'task');
    fs.mkdirSync(tree);
    fs.symlinkSync(kept, path.join(tree, 'afs'));
    await removeTree(tree);
    expect(fs.existsSync(tree)).toBe(false);
    expect(fs.readFileSync(path.join(kept, 'model.bin'), 'utf8')).toBe('weights');
  });

  it('removes a link given as the tree, not what it points at; a dangling link and a file too', async () => {
    const share = path.join(root, 'share');
    fs.mkdirSync(path.join(share, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(share, 'model.bin'), 'weights');
    fs.writeFileSync(path.join(share, 'sub', 'x'), 'x');
    const link = path.join(root, 'task');
    fs.symlinkSync(share, link);
    await removeTree(link);
    expect(fs.existsSync(link)).toBe(false);
    expect(fs.readFileSync(path.join(share, 'model.bin'), 'utf8')).toBe('weights');
    expect(fs.readFileSync(path.join(share, 'sub', 'x'), 'utf8')).toBe('x');
    const dangling = path.join(root, 'dangling');
    fs.symlinkSync(path.join(root, 'nowhere'), dangling);
    await removeTree(dangling);
    expect(() => fs.lstatSync(dangling)).toThrow(/ENOENT/);
    const file = path.join(root, 'file');
    fs.writeFileSync(file, 'x');
    await removeTree(file);
    expect(fs.existsSync(file)).toBe(false);
  });
});
