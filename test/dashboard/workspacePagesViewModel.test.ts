// Unit tests of the dashboard's automation, access and file server page models (no DOM): scoring rule and job
// schedule rows, role assignment rows and the principal id check, file server rows, and their routes.
import { jobScheduleRow, scoringRuleRow } from '../../dashboard/src/model/automationSummary';
import { parseRoute, routeHash } from '../../dashboard/src/model/dashboardRoute';
import { buildFileServerBody, fileServerRow } from '../../dashboard/src/model/fileServerSummary';
import { checkPrincipalId, roleAssignmentRows } from '../../dashboard/src/model/roleAssignments';

test('a scoring rule row: where it looks, for which experiment, and how blobs become jobs', () => {
  expect(
    scoringRuleRow({
      name: 'score-csv',
      properties: {
        source: { storageAccount: 'mydata', container: 'incoming', blobPrefix: 'batch/', blobSuffix: '.csv' },
        experimentName: 'exp',
        batching: { windowSeconds: 60, maxBlobs: 200 },
        creationTime: '2026-01-01T00:00:00.000Z',
      },
    }),
  ).toEqual({
    name: 'score-csv',
    source: 'mydata/incoming/batch/*.csv',
    experiment: 'exp',
    jobs: 'a job per 60 s window, up to 200 blobs',
    enabled: true,
    creationTime: '2026-01-01T00:00:00.000Z',
  });
  expect(
    scoringRuleRow({
      name: 'any',
      properties: { source: { container: 'in', caseSensitive: true }, experimentName: 'exp', enabled: false },
    }),
  ).toMatchObject({
    source: '(any account)/in/* (case-sensitive)',
    jobs: 'one job per blob',
    enabled: false,
  });
});

test('a job schedule row: next run, and what the last run did', () => {
  const base = { schedule: '0 0 2 * * *', experimentName: 'exp', nextRunTime: '2026-01-02T02:00:00.000Z' };
  expect(
    jobScheduleRow({
      name: 'nightly',
      properties: {
        ...base,
        lastRun: {
          dueTime: '2026-01-01T02:00:00.000Z',
          result: 'created',
          jobName: 'nightly-20260101T020000',
        },
      },
    }),
  ).toEqual({
    name: 'nightly',
    schedule: '0 0 2 * * *',
    experiment: 'exp',
    overlap: 'skip',
    enabled: true,
    nextRunTime: '2026-01-02T02:00:00.000Z',
    lastJob: 'nightly-20260101T020000',
    lastRun: 'created',
    lastRunFailed: false,
    lastDueTime: '2026-01-01T02:00:00.000Z',
  });
  expect(
    jobScheduleRow({
      name: 'n',
      properties: {
        ...base,
        lastRun: { dueTime: 'x', result: 'failed', message: 'The experiment was deleted.', missed: 3 },
      },
    }),
  ).toMatchObject({
    lastJob: '',
    lastRun: 'failed: The experiment was deleted. (3 missed due times collapsed into it)',
    lastRunFailed: true,
  });
  expect(
    jobScheduleRow({
      name: 'n',
      properties: {
        ...base,
        overlapPolicy: 'allow',
        lastRun: { result: 'skipped', message: 'the previous job still runs' },
      },
    }),
  ).toMatchObject({
    overlap: 'allow',
    lastRun: 'skipped: the previous job still runs',
    lastRunFailed: false,
  });
  expect(jobScheduleRow({ name: 'new', properties: base })).toMatchObject({
    lastRun: 'not run yet',
    lastJob: '',
  });
});

test('the automation and access routes', () => {
  const route = { view: 'automation', resourceGroup: 'rg', workspace: 'w_s' } as const;
  expect(routeHash(route)).toBe('#/workspaces/rg/w_s/automation');
  expect(parseRoute(routeHash(route))).toEqual(route);
  const access = { view: 'access', resourceGroup: 'rg', workspace: 'ws' } as const;
  expect(routeHash(access)).toBe('#/workspaces/rg/ws/access');
  expect(parseRoute(routeHash(access))).toEqual(access);
});

test('role assignment rows: owners first, then contributors, then readers', () => {
  const a = (principalId: string, role: string, extra: Record<string, unknown> = {}) => ({
    name: principalId,
    properties: { principalId, role, principalType: 'User', createdOn: '2026-01-01T00:00:00Z', ...extra },
  });
  const rows = roleAssignmentRows([
    a('3', 'reader'),
    a('2', 'owner', { updatedOn: '2026-02-01T00:00:00Z', createdBy: 'x' }),
    a('1', 'contributor', { principalType: 'Group' }),
    a('0', 'owner'),
  ]);
  expect(rows.map((r) => `${r.role}:${r.principalId}`)).toEqual([
    'owner:0',
    'owner:2',
    'contributor:1',
    'reader:3',
  ]);
  expect(rows[1]).toEqual({
    principalId: '2',
    principalType: 'User',
    role: 'owner',
    createdOn: '2026-02-01T00:00:00Z',
    createdBy: 'x',
  });
  expect(rows[2].principalType).toBe('Group');
});

test('a principal id must be an object id (GUID)', () => {
  expect(checkPrincipalId(' 0f8fad5b-d9cb-469f-a165-70867728950e ')).toBeUndefined();
  expect(checkPrincipalId('')).toMatch(/^Principal id: enter/);
  expect(checkPrincipalId('alice@contoso.com')).toBe(
    "Principal id: 'alice@contoso.com' is not an object id (a GUID such as 00000000-0000-0000-0000-000000000000).",
  );
});

test('a file server row: its disks in words, where nodes mount it from, and why it failed', () => {
  expect(
    fileServerRow({
      name: 'nfs',
      properties: {
        vmSize: 'Standard_D4s_v3',
        dataDisks: {
          diskCount: 4,
          diskSizeInGB: 512,
          storageAccountType: 'Premium_LRS',
          cachingType: 'readonly',
        },
        mountSettings: { mountPoint: '/mnt/data', fileServerInternalIP: '10.0.0.4' },
        provisioningState: 'succeeded',
        creationTime: '2026-01-01T00:00:00.000Z',
      },
    }),
  ).toEqual({
    name: 'nfs',
    vmSize: 'Standard_D4s_v3',
    disks: '4 × 512 GB Premium_LRS, RAID 0, caching readonly',
    mount: '10.0.0.4:/mnt/data',
    provisioningState: 'succeeded',
    errors: '',
    creationTime: '2026-01-01T00:00:00.000Z',
  });
  expect(
    fileServerRow({
      name: 'bad',
      properties: {
        dataDisks: {
          diskCount: 1,
          diskSizeInGB: 10,
          storageAccountType: 'Standard_LRS',
          cachingType: 'none',
        },
        provisioningState: 'failed',
        errors: [{ code: 'SubnetRequired', message: 'A file server needs a subnet.' }],
      },
    }),
  ).toMatchObject({
    disks: '1 × 10 GB Standard_LRS',
    mount: '',
    errors: 'SubnetRequired: A file server needs a subnet.',
  });
});

test('the file server form builds the PUT body, or names the field that is wrong', () => {
  const form = {
    vmSize: ' STANDARD_D2S_V3 ',
    diskCount: '2',
    diskSizeInGB: '128',
    storageAccountType: 'Premium_LRS',
    adminUserName: 'admin',
    adminUserSshPublicKey: '',
    subnetId:
      '/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes',
  };
  expect(buildFileServerBody(form)).toEqual({
    ok: true,
    body: {
      properties: {
        vmSize: 'STANDARD_D2S_V3',
        dataDisks: { diskCount: 2, diskSizeInGB: 128, storageAccountType: 'Premium_LRS' },
        sshConfiguration: { userAccountSettings: { adminUserName: 'admin' } },
        subnet: { id: form.subnetId },
      },
    },
  });
  expect(buildFileServerBody({ ...form, subnetId: '' })).toMatchObject({ ok: true });
  expect(buildFileServerBody({ ...form, diskCount: '0' })).toMatchObject({ ok: false, field: 'diskCount' });
  expect(buildFileServerBody({ ...form, diskSizeInGB: 'big' })).toMatchObject({
    ok: false,
    field: 'diskSizeInGB',
  });
  expect(buildFileServerBody({ ...form, storageAccountType: 'Ultra' })).toMatchObject({
    ok: false,
    field: 'storageAccountType',
  });
  expect(buildFileServerBody({ ...form, subnetId: 'nodes' })).toMatchObject({ ok: false, field: 'subnet' });
  expect(buildFileServerBody({ ...form, vmSize: 'big' })).toMatchObject({ ok: false, field: 'vmSize' });
  expect(buildFileServerBody({ ...form, adminUserName: ' ' })).toMatchObject({
    ok: false,
    field: 'adminUserName',
  });
});
