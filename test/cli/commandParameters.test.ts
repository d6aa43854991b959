// Unit tests of the request bodies the CLI builds from flags and config files (cluster, job, file server), as az
// builds them: flags over the file, storage placeholders and credentials, admin account defaults.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseOptions, type OptionSpec } from '../../cli/argumentParser';
import { clusterCreateParameters, parseImage } from '../../cli/clusterParameters';
import { CommandOptions } from '../../cli/commandOptions';
import { clusterCommands } from '../../cli/commands/clusterCommands';
import { fileServerCommands, fileServerProperties } from '../../cli/commands/fileServerCommands';
import { jobCommands } from '../../cli/commands/jobCommands';
import { jobCreateParameters } from '../../cli/jobParameters';
import { UsageError } from '../../cli/usageError';

const fixtures = path.join(__dirname, 'fixtures');
const target = { subscriptionId: 'sub', resourceGroup: 'rg', workspace: 'ws', cwd: fixtures };
let emptyHome: string;

beforeAll(() => {
  emptyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'batchai-cli-unit-'));
});
afterAll(() => fs.rmSync(emptyHome, { recursive: true, force: true }));

function optionsOf(path: string, argv: string[], env: Record<string, string> = {}): CommandOptions {
  const command = [...clusterCommands, ...jobCommands, ...fileServerCommands].find(
    (c) => c.path.join(' ') === path,
  );
  if (!command) throw new Error(path);
  return new CommandOptions(parseOptions(argv, command.options as OptionSpec[], env));
}

const base = ['-g', 'rg', '-w', 'ws', '-n', 'x'];

describe('cluster create', () => {
  test('--min/--max make an auto-scale cluster starting at --target; -i takes aliases', () => {
    const options = optionsOf('cluster create', [
      ...base,
      '-s',
      'Standard_NC6',
      '--min',
      '1',
      '--max',
      '4',
      '-t',
      '2',
      '-i',
      'UbuntuDSVM',
      '-u',
      'me',
      '-p',
      'pw',
    ]);
    expect(clusterCreateParameters(options, target).properties).toEqual({
      vmSize: 'Standard_NC6',
      scaleSettings: { autoScale: { minimumNodeCount: 1, maximumNodeCount: 4, initialNodeCount: 2 } },
      virtualMachineConfiguration: { imageReference: parseImage('UbuntuDSVM') },
      userAccountSettings: { adminUserName: 'me', adminUserPassword: 'pw' },
    });
  });

  test('flags override the config file; --afs-name mounts a share with the account key', () => {
    const options = optionsOf('cluster create', [
      ...base,
      '-f',
      'autoscale.cluster.json',
      '-t',
      '3',
      '-k',
      'ssh-rsa AAA',
      '--afs-name',
      'data',
      '--storage-account-name',
      'acct',
      '--storage-account-key',
      'KEY',
    ]);
    const properties = clusterCreateParameters(options, target).properties;
    expect(properties.scaleSettings).toEqual({ manual: { targetNodeCount: 3 } });
    expect(properties.vmPriority).toBe('lowpriority');
    expect(properties.userAccountSettings).toEqual({
      adminUserName: 'batchai',
      adminUserSshPublicKey: 'ssh-rsa AAA',
    });
    expect(properties.nodeSetup?.mountVolumes?.azureFileShares).toEqual([
      {
        accountName: 'acct',
        azureFileUrl: 'https://acct.file.core.windows.net/data',
        credentials: { accountKey: 'KEY' },
        relativeMountPath: 'afs',
      },
    ]);
  });

  test('the admin account needs a key or password; the default key comes from ~/.ssh/id_rsa.pub', () => {
    const options = optionsOf('cluster create', [...base, '-s', 'Standard_NC6', '-u', 'me']);
    expect(() => clusterCreateParameters(options, { ...target, home: emptyHome })).toThrow(
      /needs --ssh-key\/-k or --password\/-p/,
    );
    fs.mkdirSync(path.join(emptyHome, '.ssh'));
    fs.writeFileSync(path.join(emptyHome, '.ssh', 'id_rsa.pub'), 'ssh-rsa DEFAULT me@host\n');
    try {
      expect(
        clusterCreateParameters(options, { ...target, home: emptyHome }).properties.userAccountSettings,
      ).toEqual({
        adminUserName: 'me',
        adminUserSshPublicKey: 'ssh-rsa DEFAULT me@host',
      });
    } finally {
      fs.rmSync(path.join(emptyHome, '.ssh'), { recursive: true });
    }
  });

  test('inconsistent flags are usage errors naming them', () => {
    const withFlags =
      (...flags: string[]) =>
      () =>
        clusterCreateParameters(optionsOf('cluster create', [...base, '-p', 'pw', ...flags]), target);
    expect(withFlags('-s', 'a', '--min', '1')).toThrow('--min and --max go together');
    expect(withFlags('-s', 'a', '--setup-task', 'true')).toThrow(
      '--setup-task and --setup-task-output go together',
    );
    expect(withFlags('-s', 'a', '-i', 'ubuntu')).toThrow("--image/-i: 'ubuntu' is neither an alias");
    expect(withFlags('-t', '1')).toThrow('--vm-size/-s');
    expect(withFlags('-s', 'a', '--bfs-name', 'c')).toThrow('--bfs-name needs --storage-account-name');
  });
});

describe('job create', () => {
  test('a recipe job.json gets the cluster id and its placeholders and credentials filled in', () => {
    const options = optionsOf(
      'job create',
      ['-g', 'rg', '-w', 'ws', '-e', 'e', '-n', 'j', '-c', 'nc6', '-f', 'tensorflow-gpu.job.json'],
      {
        AZURE_BATCHAI_STORAGE_ACCOUNT: 'acct',
        AZURE_BATCHAI_STORAGE_KEY: 'KEY',
      },
    );
    const properties = jobCreateParameters(options, target).properties;
    expect(properties.cluster).toEqual({
      id: '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/nc6',
    });
    expect(
      properties.mountVolumes?.azureFileShares?.map((s) => [s.accountName, s.azureFileUrl, s.credentials]),
    ).toEqual([
      ['acct', 'https://acct.file.core.windows.net/logs', { accountKey: 'KEY' }],
      ['acct', 'https://acct.file.core.windows.net/scripts', { accountKey: 'KEY' }],
    ]);
    expect(properties).not.toHaveProperty('$schema');
  });

  test('a placeholder without --storage-account-name, or a share without a key, is a clear error', () => {
    const argv = [
      '-g',
      'rg',
      '-w',
      'ws',
      '-e',
      'e',
      '-n',
      'j',
      '-c',
      '/subscriptions/s/x',
      '-f',
      'tensorflow-gpu.job.json',
    ];
    expect(() => jobCreateParameters(optionsOf('job create', argv), target)).toThrow(
      /uses <AZURE_BATCHAI_STORAGE_ACCOUNT>: give --storage-account-name/,
    );
    expect(() =>
      jobCreateParameters(optionsOf('job create', [...argv, '--storage-account-name', 'acct']), target),
    ).toThrow("properties.mountVolumes.azureFileShares[0].credentials: no key for storage account 'acct'");
  });

  test('a missing or malformed config file names the flag', () => {
    const argv = ['-g', 'rg', '-w', 'ws', '-e', 'e', '-n', 'j', '-c', 'c', '-f'];
    expect(() => jobCreateParameters(optionsOf('job create', [...argv, 'nope.json']), target)).toThrow(
      "--config-file: cannot read 'nope.json': no such file.",
    );
    expect(() => jobCreateParameters(optionsOf('job create', [...argv, 'README.md']), target)).toThrow(
      UsageError,
    );
  });
});

test('file-server create lays disk flags over defaults and requires the disk layout', () => {
  const options = optionsOf('file-server create', [
    ...base,
    '-s',
    'Standard_D14',
    '--disk-count',
    '4',
    '--disk-size',
    '512',
    '--caching-type',
    'READONLY',
    '-u',
    'me',
    '-k',
    'ssh-rsa K',
  ]);
  expect(fileServerProperties(options, fixtures)).toEqual({
    vmSize: 'Standard_D14',
    dataDisks: {
      diskCount: 4,
      diskSizeInGB: 512,
      cachingType: 'readonly',
      storageAccountType: 'Standard_LRS',
    },
    sshConfiguration: { userAccountSettings: { adminUserName: 'me', adminUserSshPublicKey: 'ssh-rsa K' } },
  });
  expect(() =>
    fileServerProperties(optionsOf('file-server create', [...base, '-s', 'S', '-p', 'x']), fixtures),
  ).toThrow('--disk-count');
});
