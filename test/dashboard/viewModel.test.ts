// Unit tests of the dashboard's pure view-model logic (no DOM): states, node bars, paging, times, job.json
// submission, cluster forms, job rows, the log tail and routes.
import { parseArmId } from '../../dashboard/src/model/armResourceId';
import {
  buildClusterBody,
  buildResizeBody,
  describeCapacity,
  describeScaleSettings,
  isManuallyScaled,
} from '../../dashboard/src/model/clusterSummary';
import { describeApiError, parseCloudError } from '../../dashboard/src/model/cloudErrorText';
import { parseRoute, routeHash, type DashboardRoute } from '../../dashboard/src/model/dashboardRoute';
import { jobRow, sortJobsNewestFirst, waitReasonText } from '../../dashboard/src/model/jobRow';
import {
  buildJobSubmission,
  checkResourceName,
  jobSubmissionWarnings,
} from '../../dashboard/src/model/jobSubmission';
import spec from '../../shared/domain/spec/batchAi-2018-05-01.json';
import { appendChunk, emptyTail, isReset, nextRange } from '../../dashboard/src/model/logTail';
import { nodeCountBar } from '../../dashboard/src/model/nodeCountBar';
import { accumulatePages, type ArmPage } from '../../dashboard/src/model/pageAccumulator';
import {
  allocationStateView,
  canTerminate,
  executionStateView,
  isActive,
  provisioningStateView,
} from '../../dashboard/src/model/resourceStates';
import {
  formatBytes,
  formatDuration,
  formatTimestamp,
  runDuration,
} from '../../dashboard/src/model/timeFormat';

describe('resource states', () => {
  it('gives each execution state its own label and tone', () => {
    expect(executionStateView('queued')).toEqual({ label: 'Queued', tone: 'info' });
    expect(executionStateView('running')).toEqual({ label: 'Running', tone: 'progress' });
    expect(executionStateView('terminating')).toEqual({ label: 'Terminating', tone: 'warning' });
    expect(executionStateView('succeeded')).toEqual({ label: 'Succeeded', tone: 'success' });
    expect(executionStateView('failed')).toEqual({ label: 'Failed', tone: 'danger' });
  });
  it('reads states case-insensitively and shows unknown ones as given', () => {
    expect(executionStateView('Running').tone).toBe('progress');
    expect(executionStateView('paused')).toEqual({ label: 'paused', tone: 'neutral' });
    expect(executionStateView(undefined)).toEqual({ label: 'Unknown', tone: 'neutral' });
    expect(provisioningStateView('creating').tone).toBe('progress');
    expect(allocationStateView('resizing')).toEqual({ label: 'Resizing', tone: 'progress' });
  });
  it('allows terminate only while queued or running and keeps refreshing while active', () => {
    expect(['queued', 'running', 'terminating', 'succeeded', 'failed'].map(canTerminate)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(['queued', 'running', 'terminating', 'succeeded', 'failed'].map(isActive)).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('node count bar', () => {
  it('turns node state counts into proportional segments and a summary', () => {
    const bar = nodeCountBar({
      idleNodeCount: 1,
      runningNodeCount: 2,
      preparingNodeCount: 1,
      unusableNodeCount: 0,
    });
    expect(bar.total).toBe(4);
    expect(bar.segments).toEqual([
      { state: 'running', count: 2, percent: 50 },
      { state: 'idle', count: 1, percent: 25 },
      { state: 'preparing', count: 1, percent: 25 },
    ]);
    expect(bar.summary).toBe('2 running, 1 idle, 1 preparing of 4');
  });
  it('shows no segment for an empty or missing count and ignores garbage', () => {
    expect(nodeCountBar(undefined)).toEqual({ total: 0, segments: [], summary: 'No nodes' });
    expect(nodeCountBar({ idleNodeCount: -3, runningNodeCount: 'x', leavingNodeCount: 3 }).summary).toBe(
      '3 leaving of 3',
    );
  });
  it('rounds percents to one decimal', () => {
    expect(nodeCountBar({ idleNodeCount: 1, runningNodeCount: 2 }).segments.map((s) => s.percent)).toEqual([
      66.7, 33.3,
    ]);
  });
});

describe('page accumulation', () => {
  const pages: Record<string, ArmPage<number>> = {
    a: { value: [1, 2], nextLink: 'b' },
    b: { value: [3], nextLink: 'c' },
    c: { value: [4, 5] },
  };
  it('follows nextLink to the last page', async () => {
    const visited: string[] = [];
    const list = await accumulatePages<number>('a', async (url) => (visited.push(url), pages[url]));
    expect(list).toEqual({ items: [1, 2, 3, 4, 5], truncated: false, pages: 3 });
    expect(visited).toEqual(['a', 'b', 'c']);
  });
  it('stops at the cap and says the list was cut', async () => {
    const list = await accumulatePages<number>('a', async (url) => pages[url], 3);
    expect(list.items).toEqual([1, 2, 3]);
    expect(list.truncated).toBe(true);
  });
  it('refuses a paging loop and a value that is not an array', async () => {
    await expect(accumulatePages<number>('x', async () => ({ value: [1], nextLink: 'x' }))).rejects.toThrow(
      /repeats itself at x/,
    );
    await expect(
      accumulatePages<number>('x', async () => ({ value: 3 as unknown as number[] })),
    ).rejects.toThrow(/'value' that is not an array/);
  });
  it('treats a missing value as an empty page', async () => {
    expect((await accumulatePages<number>('x', async () => ({}))).items).toEqual([]);
  });
});

describe('time formatting', () => {
  it('formats durations', () => {
    expect(formatDuration(3_400)).toBe('3s');
    expect(formatDuration(245_000)).toBe('4m 05s');
    expect(formatDuration(7_384_000)).toBe('2h 03m 04s');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d 04h');
    expect(formatDuration(-1)).toBe('');
  });
  it('measures a run to its end, or to now while it runs', () => {
    const now = new Date('2024-01-01T00:10:00Z');
    expect(runDuration('2024-01-01T00:00:00Z', '2024-01-01T00:01:30Z', now)).toBe('1m 30s');
    expect(runDuration('2024-01-01T00:00:00Z', undefined, now)).toBe('10m 00s');
    expect(runDuration(undefined, undefined, now)).toBe('');
  });
  it('formats timestamps and bytes, leaving bad input readable', () => {
    expect(formatTimestamp('2024-03-05T14:07:09Z', 'en-GB')).toMatch(/05 Mar 2024/);
    expect(formatTimestamp('not a date')).toBe('not a date');
    expect(formatTimestamp(undefined)).toBe('');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(undefined)).toBe('');
  });
});

describe('job.json submission', () => {
  const clusterId =
    '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/c1';
  it('accepts a Batch AI job.json with $schema and properties, and sets the chosen cluster', () => {
    const text = JSON.stringify({
      $schema: 'https://example/job.json',
      properties: {
        nodeCount: 2,
        customToolkitSettings: { commandLine: 'echo hi' },
        stdOutErrPathPrefix: '/x',
      },
    });
    expect(buildJobSubmission(text, clusterId)).toEqual({
      ok: true,
      body: {
        properties: {
          nodeCount: 2,
          customToolkitSettings: { commandLine: 'echo hi' },
          stdOutErrPathPrefix: '/x',
          cluster: { id: clusterId },
        },
      },
    });
  });
  it('accepts bare properties and fills nodeCount and stdOutErrPathPrefix', () => {
    const result = buildJobSubmission('{"customToolkitSettings":{"commandLine":"ls"}}', clusterId);
    expect(result.ok && result.body.properties).toMatchObject({
      nodeCount: 1,
      stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs',
    });
  });
  it('keeps the cluster of job.json when none is chosen, and names the field when there is none', () => {
    const own = buildJobSubmission(
      JSON.stringify({ properties: { cluster: { id: 'x' }, nodeCount: 1 } }),
      undefined,
    );
    expect(own.ok && own.body.properties.cluster).toEqual({ id: 'x' });
    expect(buildJobSubmission('{"properties":{}}', undefined)).toMatchObject({
      ok: false,
      field: 'properties.cluster.id',
    });
  });
  it('names the problem for empty, malformed or non-object input', () => {
    expect(buildJobSubmission('  ', clusterId)).toMatchObject({ ok: false, field: 'job.json' });
    expect(buildJobSubmission('{oops', clusterId)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/not valid JSON/),
    });
    expect(buildJobSubmission('[1]', clusterId)).toMatchObject({
      ok: false,
      message: 'job.json must be a JSON object.',
    });
    expect(buildJobSubmission('{"properties":3}', clusterId)).toMatchObject({
      ok: false,
      field: 'properties',
    });
  });
  it('checks names as the API does', () => {
    expect(checkResourceName('Job name', 'train-01_a')).toBeUndefined();
    expect(checkResourceName('Job name', '')).toBe('Job name is required.');
    expect(checkResourceName('Job name', 'a b')).toMatch(/letters, digits/);
  });
  it('lists what the service would ignore in the paste, with the closest known name', () => {
    const wrapped = JSON.stringify({
      $schema: 'https://raw.githubusercontent.com/Azure/BatchAI/master/schemas/2018-05-01/job.json',
      properties: {
        schedulingPriorty: 'high',
        customToolkitSettings: { commandLine: 'ls' },
        environmentVariables: [{ name: 'A', value: '1', secret: true }],
        zzz: 1,
      },
      nodeCount: 2,
    });
    const ignored = 'is not a property of JobCreateParameters: the service ignores it.';
    expect(jobSubmissionWarnings(spec, wrapped)).toEqual([
      `'properties.schedulingPriorty' in 'job.json' ${ignored} Did you mean 'schedulingPriority'?`,
      `'properties.environmentVariables[0].secret' in 'job.json' ${ignored}`,
      `'properties.zzz' in 'job.json' ${ignored}`,
      // Beside `properties`, not in it: the dashboard drops it, and so would the service.
      `'nodeCount' in 'job.json' ${ignored}`,
    ]);
    // Bare properties are named as pasted, whatever cluster is chosen (none is needed to check).
    expect(
      jobSubmissionWarnings(spec, '{"schedulingPriorty":"high","customToolkitSettings":{"comandLine":"ls"}}'),
    ).toEqual([
      "'schedulingPriorty' in 'job.json' is not a property of JobBaseProperties: the service ignores it. Did you mean 'schedulingPriority'?",
      "'customToolkitSettings.comandLine' in 'job.json' is not a property of JobBaseProperties: the service ignores it. Did you mean 'commandLine'?",
    ]);
    // A correct job, a paste that is not a job's object, and no document to check against: nothing to say.
    expect(
      jobSubmissionWarnings(spec, '{"properties":{"customToolkitSettings":{"commandLine":"ls"}}}'),
    ).toEqual([]);
    expect(jobSubmissionWarnings(spec, '{oops')).toEqual([]);
    expect(jobSubmissionWarnings(spec, '{"properties":3}')).toEqual([]);
    expect(jobSubmissionWarnings(undefined, wrapped)).toEqual([]);
  });
});

describe('cluster forms', () => {
  const form = {
    vmSize: 'STANDARD_D2_V2',
    vmPriority: 'dedicated',
    scaleMode: 'manual',
    targetNodeCount: '0',
    minimumNodeCount: '0',
    maximumNodeCount: '4',
    adminUserName: 'me',
    adminUserSshPublicKey: '',
  };
  it('builds a manual cluster body', () => {
    expect(buildClusterBody(form)).toEqual({
      ok: true,
      body: {
        properties: {
          vmSize: 'STANDARD_D2_V2',
          vmPriority: 'dedicated',
          scaleSettings: { manual: { targetNodeCount: 0, nodeDeallocationOption: 'requeue' } },
          userAccountSettings: { adminUserName: 'me' },
        },
      },
    });
  });
  it('builds an autoscale body and checks min <= max', () => {
    const auto = buildClusterBody({ ...form, scaleMode: 'auto', adminUserSshPublicKey: 'ssh-rsa AAA' });
    expect(auto.ok && auto.body.properties.scaleSettings).toEqual({
      autoScale: { minimumNodeCount: 0, maximumNodeCount: 4, initialNodeCount: 0 },
    });
    expect(buildClusterBody({ ...form, scaleMode: 'auto', minimumNodeCount: '5' })).toMatchObject({
      ok: false,
      field: 'maximumNodeCount',
    });
  });
  it('names the bad field', () => {
    expect(buildClusterBody({ ...form, vmSize: 'big' })).toMatchObject({ ok: false, field: 'vmSize' });
    expect(buildClusterBody({ ...form, targetNodeCount: '1.5' })).toMatchObject({
      ok: false,
      field: 'targetNodeCount',
    });
    expect(buildClusterBody({ ...form, adminUserName: ' ' })).toMatchObject({
      ok: false,
      field: 'adminUserName',
    });
    expect(buildClusterBody({ ...form, jobSlotsPerNode: '0' })).toMatchObject({
      ok: false,
      field: 'jobSlotsPerNode',
    });
  });
  it('sends job slots per node when a node is to run several jobs, and shows them', () => {
    const packed = buildClusterBody({ ...form, jobSlotsPerNode: '4' });
    expect(packed.ok && packed.body.properties.jobSlotsPerNode).toBe(4);
    const single = buildClusterBody({ ...form, jobSlotsPerNode: '1' });
    expect(single.ok && single.body.properties).not.toHaveProperty('jobSlotsPerNode');
    const scale = { manual: { targetNodeCount: 2 } };
    expect(describeCapacity(scale, 4)).toBe('Manual 2, 4 jobs per node');
    expect(describeCapacity(scale, undefined)).toBe(describeScaleSettings(scale));
  });
  it('builds the resize PATCH body and refuses bad input', () => {
    expect(buildResizeBody('3', 'terminate')).toEqual({
      ok: true,
      body: {
        properties: {
          scaleSettings: { manual: { targetNodeCount: 3, nodeDeallocationOption: 'terminate' } },
        },
      },
    });
    expect(buildResizeBody('-1', 'requeue')).toMatchObject({ ok: false, field: 'targetNodeCount' });
    expect(buildResizeBody('1', 'never')).toMatchObject({ ok: false, field: 'nodeDeallocationOption' });
  });
  it('describes scale settings', () => {
    expect(describeScaleSettings({ manual: { targetNodeCount: 2, nodeDeallocationOption: 'requeue' } })).toBe(
      'Manual 2 (requeue)',
    );
    expect(
      describeScaleSettings({ autoScale: { minimumNodeCount: 0, maximumNodeCount: 8, initialNodeCount: 1 } }),
    ).toBe('Auto 0-8, initial 1');
    expect(describeScaleSettings(undefined)).toBe('Not set');
    expect(isManuallyScaled({ manual: { targetNodeCount: 1 } })).toBe(true);
    expect(isManuallyScaled({ autoScale: { minimumNodeCount: 0, maximumNodeCount: 1 } })).toBe(false);
  });
});

describe('job rows', () => {
  const base = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws';
  it('flattens a job for the table, with the wait reason of a queued job', () => {
    const row = jobRow({
      id: `${base}/experiments/exp1/jobs/j1`,
      name: 'j1',
      properties: {
        executionState: 'queued',
        schedulingPriority: 'high',
        cluster: { id: `${base}/clusters/gpu` },
        nodeCount: 2,
        toolType: 'custom',
        creationTime: '2024-01-01T00:00:00Z',
        queueInfo: { position: 3, reason: 'WaitingForRunningJobs', message: 'Waiting for 2 nodes' },
      },
    });
    expect(row).toMatchObject({
      name: 'j1',
      experiment: 'exp1',
      executionState: 'queued',
      priority: 'high',
      cluster: 'gpu',
      nodeCount: '2',
      waitReason: 'Waiting for 2 nodes',
      exitCode: '',
    });
  });
  it('shows times, exit code and errors of a finished job, and no wait reason', () => {
    const row = jobRow({
      id: `${base}/experiments/e/jobs/j2`,
      properties: {
        executionState: 'failed',
        queueInfo: { message: 'stale' },
        executionInfo: {
          startTime: '2024-01-01T00:00:00Z',
          endTime: '2024-01-01T00:01:00Z',
          exitCode: 1,
          errors: [{ code: 'JobFailed', message: 'exit 1' }],
        },
      },
    });
    expect(row).toMatchObject({
      name: 'j2',
      priority: 'normal',
      exitCode: '1',
      waitReason: '',
      errors: ['JobFailed: exit 1'],
      startTime: '2024-01-01T00:00:00Z',
    });
    expect(waitReasonText(undefined)).toBe('');
    expect(waitReasonText({ position: 2, reason: 'WaitingForScaleUp' })).toBe(
      '#2 in queue: WaitingForScaleUp',
    );
  });
  it('sorts newest first, then by name', () => {
    const rows = [
      jobRow({ name: 'b', properties: { creationTime: '2024-01-01T00:00:00Z' } }),
      jobRow({ name: 'c', properties: { creationTime: '2024-02-01T00:00:00Z' } }),
      jobRow({ name: 'a', properties: { creationTime: '2024-01-01T00:00:00Z' } }),
    ];
    expect(sortJobsNewestFirst(rows).map((r) => r.name)).toEqual(['c', 'a', 'b']);
  });
});

describe('log tail', () => {
  it('reads from the start, then only what is new', () => {
    let tail = emptyTail('stdout.txt');
    expect(nextRange(tail, 0)).toBeUndefined();
    expect(nextRange(tail, 10)).toBe('bytes=0-');
    tail = appendChunk(tail, 0, 'hello\n', 6);
    expect(tail).toEqual({ source: 'stdout.txt', offset: 6, text: 'hello\n', clipped: false });
    expect(nextRange(tail, 6)).toBeUndefined();
    expect(nextRange(tail, 12)).toBe('bytes=6-');
    tail = appendChunk(tail, 6, 'world\n', 6);
    expect(tail.text).toBe('hello\nworld\n');
    expect(tail.offset).toBe(12);
  });
  it('starts near the end of a large log and keeps only the last characters, cut at a line', () => {
    const tail = emptyTail('stdout.txt');
    expect(nextRange(tail, 1000, 100)).toBe('bytes=900-');
    const read = appendChunk(tail, 900, 'x'.repeat(50) + '\n' + 'y'.repeat(60), 111, 100);
    expect(read.clipped).toBe(true);
    expect(read.text).toBe('y'.repeat(60));
    expect(read.offset).toBe(1011);
  });
  it('starts over when the server answers the whole blob or the blob shrank', () => {
    const tail = appendChunk(emptyTail('f'), 0, 'abc', 3);
    expect(appendChunk(tail, 0, 'new', 3).text).toBe('new');
    expect(isReset(tail, 2)).toBe(true);
    expect(isReset(tail, 3)).toBe(false);
  });
});

describe('routes', () => {
  const routes: DashboardRoute[] = [
    { view: 'home' },
    { view: 'clusters', resourceGroup: 'rg', workspace: 'ws' },
    { view: 'jobs', resourceGroup: 'rg', workspace: 'ws' },
    { view: 'jobs', resourceGroup: 'rg', workspace: 'ws', experiment: 'e-1' },
    { view: 'submit', resourceGroup: 'rg', workspace: 'ws', experiment: 'e' },
    { view: 'job', resourceGroup: 'rg', workspace: 'ws', experiment: 'e', job: 'j_1' },
  ];
  it('round-trips every view through the hash', () => {
    for (const route of routes) expect(parseRoute(routeHash(route))).toEqual(route);
  });
  it('falls back to home for unknown hashes', () => {
    expect(parseRoute('')).toEqual({ view: 'home' });
    expect(parseRoute('#/nothing/here')).toEqual({ view: 'home' });
    expect(parseRoute('#/workspaces/rg/ws/%E0%A4%A')).toEqual({
      view: 'jobs',
      resourceGroup: 'rg',
      workspace: 'ws',
    });
  });
});

describe('API errors and ids', () => {
  it('reads the CloudError code, message, target and details', () => {
    const info = parseCloudError(400, 'Bad Request', {
      error: {
        code: 'InvalidRequestContent',
        message: 'nodeCount must be >= 1',
        target: 'properties.nodeCount',
        details: [{ code: 'Range', message: 'too small' }],
      },
    });
    expect(describeApiError(info)).toBe(
      'InvalidRequestContent: nodeCount must be >= 1 (target: properties.nodeCount)',
    );
    expect(info.details).toEqual([{ code: 'Range', message: 'too small', target: undefined }]);
  });
  it('falls back to the HTTP status when the body is not a CloudError', () => {
    expect(describeApiError(parseCloudError(502, 'Bad Gateway', 'oops'))).toBe(
      'Http502: The server answered 502 Bad Gateway.',
    );
  });
  it('reads names out of ARM ids', () => {
    expect(
      parseArmId(
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/experiments/e/jobs/j',
      ),
    ).toEqual({ subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', experiment: 'e', job: 'j' });
    expect(parseArmId(undefined)).toEqual({});
  });
});
