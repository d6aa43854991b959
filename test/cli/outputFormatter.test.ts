// Unit tests of output rendering (az's flattening, json/table/tsv) and of the --query subset.
import { flattenResource, formatOutput, parseOutputFormat } from '../../cli/outputFormatter';
import { applyQuery } from '../../cli/queryPath';
import { UsageError } from '../../cli/usageError';

const clusterId =
  '/subscriptions/s/resourceGroups/rg1/providers/Microsoft.BatchAI/workspaces/ws1/clusters/c1';
const cluster = {
  id: clusterId,
  name: 'c1',
  type: 'Microsoft.BatchAI/workspaces/clusters',
  properties: { vmSize: 'STANDARD_NC6', allocationState: 'steady', nodeStateCounts: { idleNodeCount: 2 } },
};

test('resources are flattened like the Azure SDK models az prints, with resourceGroup from the id', () => {
  expect(flattenResource([cluster])).toEqual([
    {
      id: clusterId,
      name: 'c1',
      type: 'Microsoft.BatchAI/workspaces/clusters',
      vmSize: 'STANDARD_NC6',
      allocationState: 'steady',
      nodeStateCounts: { idleNodeCount: 2 },
      resourceGroup: 'rg1',
    },
  ]);
  expect(flattenResource({ nodeId: 'n1', port: 50000 })).toEqual({ nodeId: 'n1', port: 50000 });
});

test('json is indented; nothing is printed for an undefined result', () => {
  expect(formatOutput({ a: 1 }, 'json')).toBe('{\n  "a": 1\n}\n');
  expect(formatOutput(undefined, 'json')).toBe('');
});

test('table uses the per-resource columns, aligned, with empty cells for missing values', () => {
  const text = formatOutput(flattenResource([cluster]), 'table', 'cluster');
  expect(text.split('\n')).toEqual([
    'Name  Resource Group  Workspace  VM Size       State   Target  Idle  Running  Preparing  Leaving  Unusable  Errors',
    '----  --------------  ---------  ------------  ------  ------  ----  -------  ---------  -------  --------  ------',
    'c1    rg1             ws1        STANDARD_NC6  steady          2',
    '',
  ]);
  // A cluster's errors by their codes (its `show` has the messages).
  const held = flattenResource([
    {
      ...cluster,
      properties: {
        ...cluster.properties,
        errors: [
          { code: 'CoreQuotaReached', message: "The location's dedicated core quota ..." },
          { code: 'NodeSetupTaskFailed', message: 'The node setup task failed ...' },
        ],
      },
    },
  ]);
  expect(formatOutput(held, 'table', 'cluster').split('\n')[2]).toMatch(
    /steady {10}2 .* CoreQuotaReached, NodeSetupTaskFailed$/,
  );
  expect(formatOutput([], 'table', 'cluster')).toBe('');
});

test('table without a view shows the scalar fields; tsv prints scalar fields tab-separated', () => {
  expect(formatOutput([{ a: 1, b: 'x', nested: { c: 1 } }], 'table')).toBe('a  b\n-  -\n1  x\n');
  expect(
    formatOutput(
      [
        { a: 1, b: 'x', nested: { c: 1 } },
        { a: 2, b: null },
      ],
      'tsv',
    ),
  ).toBe('1\tx\n2\t\n');
  expect(formatOutput('plain', 'tsv')).toBe('plain\n');
});

test('--query picks fields, indexes and projections; missing fields are null', () => {
  const flat = flattenResource([cluster, { ...cluster, name: 'c2' }]);
  expect(applyQuery(flat, '[].name')).toEqual(['c1', 'c2']);
  expect(applyQuery(flat, '[*].nodeStateCounts.idleNodeCount')).toEqual([2, 2]);
  expect(applyQuery(flat, '[1].name')).toBe('c2');
  expect(applyQuery(flat, '[-1].name')).toBe('c2');
  expect(applyQuery(flattenResource(cluster), 'vmSize')).toBe('STANDARD_NC6');
  expect(applyQuery(flattenResource(cluster), 'nope.deeper')).toBeNull();
  expect(() => applyQuery(flat, 'length(@)')).toThrow(UsageError);
});

test('output files show size and modification time once flattened', () => {
  const file = {
    name: 'stdout.txt',
    fileType: 'file',
    downloadUrl: 'u',
    properties: { contentLength: 12, lastModified: 't' },
  };
  expect(formatOutput(flattenResource([file]), 'table', 'file')).toBe(
    'Name        Type  Size  Modified\n----------  ----  ----  --------\nstdout.txt  file  12    t\n',
  );
});

test('file server disks read in GB', () => {
  const text = formatOutput(
    flattenResource([{ name: 'nfs', properties: { dataDisks: { diskCount: 2, diskSizeInGB: 64 } } }]),
    'table',
    'fileServer',
  );
  expect(text).toContain('2 x 64 GB');
  expect(text).not.toContain('Gb');
});

test('-o none prints nothing, whatever the value', () => {
  expect(parseOutputFormat('none')).toBe('none');
  expect(formatOutput([{ a: 1 }], 'none', 'cluster')).toBe('');
});

test("a sweep's Trials column counts the trials created: it does not shrink when the sweep is cancelled", () => {
  const sweep = (executionState: string, trialCounts: Record<string, number>) =>
    flattenResource([{ name: 's', properties: { executionState, trialCounts } }]);
  const trialsOf = (text: string): string => {
    const [header, , row] = text.split('\n');
    const start = header.indexOf('Trials');
    return row.slice(start, header.indexOf('Not started')).trim();
  };
  const zero = { queued: 0, succeeded: 0, failed: 0, earlyTerminated: 0, cancelled: 0 };
  // maxTrials 3: two created and running, one still to come; then cancelled.
  const running = formatOutput(sweep('running', { ...zero, notStarted: 1, running: 2 }), 'table', 'sweep');
  const cancelled = formatOutput(
    sweep('cancelled', { ...zero, notStarted: 0, running: 0, cancelled: 2 }),
    'table',
    'sweep',
  );
  expect(trialsOf(running)).toBe('2');
  expect(trialsOf(cancelled)).toBe('2');
  expect(running.split('\n')[0]).toMatch(/Trials\s+Not started\s+Running/);
});
