// A task's preparation made by the agent on the host, and the same steps as the container's shell runs them.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { preparationShell, prepareOnHost } from './taskPreparation';

let root: string;
beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'prepare-'))));
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function preparation(base: string) {
  return {
    directories: [path.join(base, 'tmp'), path.join(base, "out dir/it's/deep")],
    files: [{ path: path.join(base, 'tmp', 'hostfile'), content: "node-0 slots=1\nnode-1 slots=1 # it's\n" }],
  };
}

function snapshot(base: string): Record<string, string | null> {
  const found: Record<string, string | null> = {};
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        found[path.relative(base, full) + '/'] = null;
        walk(full);
      } else found[path.relative(base, full)] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(base);
  return found;
}

test('the agent makes the directories and files, again without harm, and the shell does exactly the same', () => {
  const host = path.join(root, 'host');
  prepareOnHost(preparation(host));
  prepareOnHost(preparation(host)); // a redelivered task
  const shell = path.join(root, 'shell');
  execFileSync('/bin/sh', ['-c', preparationShell(preparation(shell))]);
  expect(snapshot(host)).toEqual(snapshot(shell));
  expect(snapshot(host)).toMatchObject({ 'tmp/hostfile': "node-0 slots=1\nnode-1 slots=1 # it's\n" });
  expect(Object.keys(snapshot(host))).toContain("out dir/it's/deep/");
});

test('a step that cannot be made names its path', () => {
  const blocker = path.join(root, 'file');
  fs.writeFileSync(blocker, '');
  expect(() => prepareOnHost({ directories: [path.join(blocker, 'sub')], files: [] })).toThrow(
    `cannot create directory '${path.join(blocker, 'sub')}'`,
  );
  expect(() =>
    prepareOnHost({ directories: [], files: [{ path: path.join(root, 'missing', 'f'), content: 'x' }] }),
  ).toThrow(`cannot write '${path.join(root, 'missing', 'f')}'`);
  expect(preparationShell({ directories: [], files: [] })).toBe('true');
});
