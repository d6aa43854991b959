// Unit tests of the pure event-source rules: job naming, blob event parsing (both schemas), rule validation and
// matching, template instantiation, schedule validation and due-time arithmetic, submission message validation,
// the blob batch retention setting.
import { parseBlobCreatedEvent } from '../../shared/domain/eventSources/blobCreatedEvent';
import {
  blobBatchJobName,
  blobEventJobName,
  scheduledJobName,
  submissionJobName,
} from '../../shared/domain/eventSources/eventJobName';
import { dueRun, parseSchedule, validateJobScheduleBody } from '../../shared/domain/eventSources/jobSchedule';
import { instantiateJobTemplate, validateJobTemplate } from '../../shared/domain/eventSources/jobTemplate';
import { ruleMatches, validateScoringRuleBody } from '../../shared/domain/eventSources/scoringRule';
import { ValidationError } from '../../shared/domain/errors';
import { parseJobSubmission, redactSubmission } from '../../shared/contracts/jobSubmission';
import { ContractError } from '../../shared/contracts/contractError';
import { readBatchRetentionMs } from '../../shared/config/scoringBatchConfig';

const clusterId =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/c';
const template = {
  properties: {
    nodeCount: 1,
    cluster: { id: clusterId },
    stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs',
    customToolkitSettings: { commandLine: 'python score.py --input {blobUrl} --name {blobName} {unknown}' },
  },
};

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof ValidationError) return error.target;
    if (error instanceof ContractError) return error.field;
    throw error;
  }
  return undefined;
}

const gridEvent = {
  id: 'evt-1',
  topic: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1',
  subject: '/blobServices/default/containers/incoming/blobs/images/cat 1.JPG',
  eventType: 'Microsoft.Storage.BlobCreated',
  eventTime: '2024-03-10T10:00:05Z',
  dataVersion: '',
  data: {
    api: 'PutBlob',
    url: 'https://acct1.blob.core.windows.net/incoming/images/cat%201.JPG',
    contentLength: 7,
  },
};

describe('event job names', () => {
  it('derives the same valid name from the same key and different names from different keys', () => {
    expect(submissionJobName('order-42')).toBe(submissionJobName('order-42'));
    expect(submissionJobName('order-42')).not.toBe(submissionJobName('order-43'));
    expect(submissionJobName('order-42')).toMatch(/^submission-[0-9a-f]{24}$/);
    expect(blobEventJobName('rule', 'e1')).toMatch(/^rule-[0-9a-f]{16}$/);
    expect(scheduledJobName('nightly', new Date('2024-03-10T02:00:00Z'))).toBe('nightly-20240310T020000');
    expect(blobBatchJobName('r', new Date('2024-03-10T02:00:30Z'), 2)).toBe('r-b20240310T020030-2');
  });

  it('keeps names within 64 characters and long prefixes apart', () => {
    const a = scheduledJobName('x'.repeat(64), new Date('2024-03-10T02:00:00Z'));
    const b = scheduledJobName(`${'x'.repeat(63)}y`, new Date('2024-03-10T02:00:00Z'));
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).toMatch(/^[-\w]+$/);
    expect(a).not.toBe(b);
  });
});

describe('blob created events', () => {
  it('reads the Event Grid schema', () => {
    const blob = parseBlobCreatedEvent(gridEvent);
    expect(blob).toMatchObject({
      eventId: 'evt-1',
      storageAccount: 'acct1',
      container: 'incoming',
      blobName: 'images/cat 1.JPG',
      url: gridEvent.data.url,
      contentLength: 7,
    });
    expect(blob.eventTime.toISOString()).toBe('2024-03-10T10:00:05.000Z');
  });

  it('reads CloudEvents 1.0 and takes the account from an Azurite URL when the source lacks it', () => {
    const blob = parseBlobCreatedEvent({
      specversion: '1.0',
      id: 'evt-2',
      source: '/local',
      type: 'Microsoft.Storage.BlobCreated',
      time: '2024-03-10T10:00:05Z',
      subject: '/blobServices/default/containers/incoming/blobs/a.csv',
      data: { url: 'http://127.0.0.1:10000/devstoreaccount1/incoming/a.csv' },
    });
    expect(blob).toMatchObject({ eventId: 'evt-2', storageAccount: 'devstoreaccount1', blobName: 'a.csv' });
  });

  it('names the faulty field of a malformed event', () => {
    expect(fieldOf(() => parseBlobCreatedEvent({ ...gridEvent, subject: '/nope' }))).toBe('event.subject');
    expect(fieldOf(() => parseBlobCreatedEvent({ ...gridEvent, data: {} }))).toBe('event.data.url');
    expect(fieldOf(() => parseBlobCreatedEvent({ ...gridEvent, eventType: 'Other' }))).toBe(
      'event.eventType',
    );
  });
});

describe('scoring rules', () => {
  const rule = (source: object, extra: object = {}) =>
    validateScoringRuleBody({
      properties: { source, experimentName: 'exp', jobTemplate: template, ...extra },
    });

  it('matches container, prefix and suffix, case-insensitively by default', () => {
    const blob = parseBlobCreatedEvent(gridEvent);
    expect(ruleMatches(rule({ container: 'incoming' }), blob)).toBe(true);
    expect(
      ruleMatches(rule({ container: 'incoming', blobPrefix: 'IMAGES/', blobSuffix: '.jpg' }), blob),
    ).toBe(true);
    expect(ruleMatches(rule({ container: 'other' }), blob)).toBe(false);
    expect(ruleMatches(rule({ container: 'incoming', blobPrefix: 'docs/' }), blob)).toBe(false);
    expect(ruleMatches(rule({ container: 'incoming', blobSuffix: '.jpg', caseSensitive: true }), blob)).toBe(
      false,
    );
    expect(ruleMatches(rule({ container: 'incoming', storageAccount: 'acct2' }), blob)).toBe(false);
    expect(ruleMatches(rule({ container: 'incoming' }, { enabled: false }), blob)).toBe(false);
  });

  it('refuses a placeholder its jobs would never get: one blob in a batch, a batch count per blob', () => {
    // The template names {blobUrl} and {blobName}: fine per blob, refused for a batching rule.
    expect(() => rule({ container: 'incoming' })).not.toThrow();
    expect(fieldOf(() => rule({ container: 'incoming' }, { batching: { windowSeconds: 60 } }))).toBe(
      'properties.jobTemplate.properties.customToolkitSettings.commandLine',
    );
    const counting = {
      properties: {
        ...template.properties,
        customToolkitSettings: { commandLine: 'score --count {blobCount}' },
      },
    };
    const withTemplate = (extra: object) =>
      validateScoringRuleBody({
        properties: {
          source: { container: 'incoming' },
          experimentName: 'exp',
          jobTemplate: counting,
          ...extra,
        },
      });
    expect(() => withTemplate({ batching: { windowSeconds: 60 } })).not.toThrow();
    expect(fieldOf(() => withTemplate({}))).toBe(
      'properties.jobTemplate.properties.customToolkitSettings.commandLine',
    );
  });

  it('names the faulty field of a bad rule', () => {
    expect(fieldOf(() => rule({}))).toBe('properties.source.container');
    expect(fieldOf(() => rule({ container: 'Bad_Name' }))).toBe('properties.source.container');
    expect(fieldOf(() => rule({ container: 'incoming' }, { batching: { windowSeconds: 0 } }))).toBe(
      'properties.batching.windowSeconds',
    );
    expect(
      fieldOf(() =>
        validateScoringRuleBody({ properties: { source: { container: 'incoming' }, jobTemplate: template } }),
      ),
    ).toBe('properties.experimentName');
    expect(
      fieldOf(() =>
        rule(
          { container: 'incoming' },
          { jobTemplate: { properties: { ...template.properties, nodeCount: 0 } } },
        ),
      ),
    ).toBe('properties.jobTemplate.properties.nodeCount');
  });
});

describe('job templates', () => {
  it('refuses plain secret values and reserved variable names', () => {
    const withSecret = {
      properties: { ...template.properties, secrets: [{ name: 'TOKEN', value: 's3cret' }] },
    };
    expect(fieldOf(() => validateJobTemplate('t', withSecret))).toBe('t.properties.secrets[0].value');
    const reserved = {
      properties: {
        ...template.properties,
        environmentVariables: [{ name: 'AZ_BATCHAI_INPUT_BLOB_URL', value: 'x' }],
      },
    };
    expect(fieldOf(() => validateJobTemplate('t', reserved))).toBe(
      't.properties.environmentVariables[0].name',
    );
  });

  it('substitutes placeholders, shell-quoting them outside environment variables, and appends variables', () => {
    const body = instantiateJobTemplate(
      validateJobTemplate('t', {
        properties: { ...template.properties, environmentVariables: [{ name: 'NAME', value: '{blobName}' }] },
      }),
      { blobUrl: 'https://a/b.csv', blobName: "it's; rm -rf /" },
      [{ name: 'AZ_BATCHAI_INPUT_BLOB_URL', value: 'https://a/b.csv' }],
    );
    const properties = body.properties as Record<string, unknown>;
    expect((properties.customToolkitSettings as { commandLine: string }).commandLine).toBe(
      `python score.py --input https://a/b.csv --name 'it'\\''s; rm -rf /' {unknown}`,
    );
    expect(properties.environmentVariables).toEqual([
      { name: 'NAME', value: "it's; rm -rf /" },
      { name: 'AZ_BATCHAI_INPUT_BLOB_URL', value: 'https://a/b.csv' },
    ]);
  });
});

describe('job schedules', () => {
  const every15 = parseSchedule('s', '0 */15 * * * *');

  it('is due once for the latest occurrence in (cursor, now], collapsing missed ones', () => {
    expect(
      dueRun(every15, new Date('2024-03-10T10:00:00Z'), new Date('2024-03-10T10:14:59Z')),
    ).toBeUndefined();
    expect(dueRun(every15, new Date('2024-03-10T10:00:00Z'), new Date('2024-03-10T10:15:00Z'))).toEqual({
      dueTime: new Date('2024-03-10T10:15:00Z'),
      missed: 0,
    });
    expect(dueRun(every15, new Date('2024-03-10T10:00:00Z'), new Date('2024-03-10T11:20:00Z'))).toEqual({
      dueTime: new Date('2024-03-10T11:15:00Z'),
      missed: 4,
    });
    // The cursor is exclusive: a due time already handled is never due again.
    expect(
      dueRun(every15, new Date('2024-03-10T11:15:00Z'), new Date('2024-03-10T11:20:00Z')),
    ).toBeUndefined();
  });

  it('catches up at most a week after an outage', () => {
    const due = dueRun(every15, new Date('2020-01-01T00:00:00Z'), new Date('2024-03-10T11:20:00Z'));
    expect(due?.dueTime).toEqual(new Date('2024-03-10T11:15:00Z'));
    expect(due?.missed).toBe(7 * 24 * 4 - 1);
  });

  it('names the faulty field of a bad schedule', () => {
    const body = (p: object) => ({
      properties: { schedule: '0 0 2 * * *', experimentName: 'exp', jobTemplate: template, ...p },
    });
    expect(validateJobScheduleBody(body({})).overlapPolicy).toBe('skip');
    expect(fieldOf(() => validateJobScheduleBody(body({ schedule: '0 0 2 * *' })))).toBe(
      'properties.schedule',
    );
    expect(fieldOf(() => validateJobScheduleBody(body({ schedule: '* * * * * *' })))).toBe(
      'properties.schedule',
    );
    expect(fieldOf(() => validateJobScheduleBody(body({ overlapPolicy: 'queue' })))).toBe(
      'properties.overlapPolicy',
    );
    expect(fieldOf(() => validateJobScheduleBody(body({ startTime: 'soon' })))).toBe('properties.startTime');
  });

  it('reads day and month names only as their three letters or in full, not what merely starts with one', () => {
    const body = (schedule: string) => ({
      properties: { schedule, experimentName: 'exp', jobTemplate: template },
    });
    for (const schedule of [
      '0 0 2 * * MONKEY',
      '0 0 2 * * FRIDAYS',
      '0 0 2 * JANUARYX *',
      '0 0 2 * * MONTUE',
    ])
      expect(fieldOf(() => validateJobScheduleBody(body(schedule)))).toBe('properties.schedule');
    expect(() => validateJobScheduleBody(body('0 0 2 * * MONKEY'))).toThrow(
      /"MONKEY" is not a valid day-of-week/,
    );
    // Abbreviations and full names (as NCrontab takes them), in any case, also in ranges.
    expect([...parseSchedule('p', '0 0 2 * * Monday-fri').daysOfWeek]).toEqual([1, 2, 3, 4, 5]);
    expect([...parseSchedule('p', '0 0 2 * * sunday,SAT').daysOfWeek]).toEqual([0, 6]);
    expect([...parseSchedule('p', '0 0 2 * February-mar *').months]).toEqual([2, 3]);
    expect([...parseSchedule('p', '0 0 2 * DEC,may *').months]).toEqual([12, 5]);
  });

  it('takes a startTime only as an ISO 8601 date-time with a time zone', () => {
    const startOf = (startTime: string) =>
      validateJobScheduleBody({
        properties: { schedule: '0 0 2 * * *', experimentName: 'exp', jobTemplate: template, startTime },
      }).startTime;
    expect(startOf('2026-01-01T02:00:00Z')).toBe('2026-01-01T02:00:00.000Z');
    expect(startOf('2026-01-01T03:30:00+01:30')).toBe('2026-01-01T02:00:00.000Z');
    expect(startOf('2025-12-31T21:00-05:00')).toBe('2026-01-01T02:00:00.000Z');
    expect(startOf('2026-01-01t02:00:00.123456z')).toBe('2026-01-01T02:00:00.123Z');
    expect(startOf('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
    for (const bad of [
      '1',
      '0',
      'Jan 5',
      '2026-01-01', // a date alone
      '2026-01-01T02:00:00', // no zone: it would be read in the host's own time zone
      '2026-01-01 02:00:00Z',
      '2026-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T02:00:00+0100',
      '2026-01-01T02:00:00+25:00',
      '+002026-01-01T02:00:00Z',
      'Thu, 01 Jan 2026 02:00:00 GMT',
    ]) {
      let error: unknown;
      try {
        startOf(bad);
      } catch (e: unknown) {
        error = e;
      }
      expect([bad, (error as ValidationError | undefined)?.target]).toEqual([bad, 'properties.startTime']);
    }
  });
});

describe('job submission messages', () => {
  const message = {
    schema: 'batchai.jobSubmission',
    version: 1,
    submissionId: 'order-42',
    subscriptionId: 'sub',
    resourceGroup: 'rg',
    workspace: 'ws',
    experiment: 'exp',
    job: template,
  };

  it('accepts a valid message and names the faulty field of a bad one', () => {
    expect(parseJobSubmission(message).submissionId).toBe('order-42');
    expect(fieldOf(() => parseJobSubmission({ ...message, version: 2 }))).toBe('message.version');
    expect(fieldOf(() => parseJobSubmission({ ...message, workspace: undefined }))).toBe('message.workspace');
    expect(fieldOf(() => parseJobSubmission({ ...message, submissionId: 'a b' }))).toBe(
      'message.submissionId',
    );
    expect(fieldOf(() => parseJobSubmission({ ...message, job: 'x' }))).toBe('message.job');
    expect(fieldOf(() => parseJobSubmission({ ...message, replyTo: 'Bad_Queue' }))).toBe('message.replyTo');
  });

  it('redacts secret values from a rejected copy', () => {
    const secret = {
      ...message,
      job: {
        properties: {
          secrets: [{ name: 'T', value: 'hunter2' }],
          containerSettings: { imageSourceRegistry: { credentials: { username: 'u', password: 'pw' } } },
        },
      },
    };
    const text = JSON.stringify(redactSubmission(secret));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('"pw"');
    expect(text).toContain('"name":"T"');
  });
});

test('blob batch retention: 48 hours by default, never shorter than Event Grid redelivers plus a window', () => {
  expect(readBatchRetentionMs({})).toBe(48 * 3600_000);
  expect(readBatchRetentionMs({ SCORING_BATCH_RETENTION_HOURS: ' 168 ' })).toBe(168 * 3600_000);
  expect(readBatchRetentionMs({ SCORING_BATCH_RETENTION_HOURS: '25' })).toBe(25 * 3600_000);
  for (const bad of ['24', 'two days', '-1']) {
    expect(() => readBatchRetentionMs({ SCORING_BATCH_RETENTION_HOURS: bad })).toThrow(
      `SCORING_BATCH_RETENTION_HOURS must be a number of hours of at least 25, got '${bad}'.`,
    );
  }
});
