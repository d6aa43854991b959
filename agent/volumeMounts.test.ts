// Local mounts: an Azure file share or blob container is a link to its one directory under the storage root, which
// every mount of it shares (files a cluster's mount root held from before become the share's); a file server's is
// a link to its export; names that are not one directory are refused.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { AgentMount } from '../shared/contracts/agentConfig';
import { localStorageDirectory, prepareLocalMount } from './volumeMounts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-mounts-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const share: AgentMount = {
  kind: 'azureFileShare',
  relativeMountPath: 'afs',
  accountName: 'acct',
  azureFileUrl: 'https://acct.file.core.windows.net/scripts',
};

test('two mounts of one share are links to its one directory under the storage root', () => {
  const storage = path.join(dir, 'storage');
  prepareLocalMount(share, path.join(dir, 'a', 'afs'), storage);
  prepareLocalMount(share, path.join(dir, 'b', 'afs'), storage);
  fs.writeFileSync(path.join(dir, 'a', 'afs', 'x.txt'), 'x');
  expect(fs.readFileSync(path.join(dir, 'b', 'afs', 'x.txt'), 'utf8')).toBe('x');
  expect(fs.readFileSync(path.join(storage, 'files', 'acct', 'scripts', 'x.txt'), 'utf8')).toBe('x');
  expect(
    localStorageDirectory(
      { kind: 'azureBlob', relativeMountPath: 'b', accountName: 'acct', containerName: 'data' },
      storage,
    ),
  ).toBe(path.join(storage, 'blobs', 'acct', 'data'));
  // Without a storage root (an agent configured before), a directory of its own.
  prepareLocalMount(share, path.join(dir, 'c', 'afs'));
  expect(fs.lstatSync(path.join(dir, 'c', 'afs')).isDirectory()).toBe(true);
});

test("a share's files from before (a directory in the mount's place) become the share's", () => {
  const storage = path.join(dir, 'storage');
  const target = path.join(dir, 'mounts', 'afs');
  fs.mkdirSync(target, { recursive: true });
  fs.writeFileSync(path.join(target, 'kept.txt'), 'kept');
  prepareLocalMount(share, target, storage);
  expect(fs.lstatSync(target).isSymbolicLink()).toBe(true);
  expect(fs.readFileSync(path.join(storage, 'files', 'acct', 'scripts', 'kept.txt'), 'utf8')).toBe('kept');
});

test('a name that is not one directory is refused', () => {
  const storage = path.join(dir, 'storage');
  expect(() =>
    prepareLocalMount({ ...share, azureFileUrl: 'https://acct.file.core.windows.net/a%2F..' }, dir, storage),
  ).toThrow("The file share 'a/..' is not a valid name.");
  expect(() => prepareLocalMount({ ...share, accountName: '../x' }, dir, storage)).toThrow(
    "The storage account '../x' is not a valid name.",
  );
});
