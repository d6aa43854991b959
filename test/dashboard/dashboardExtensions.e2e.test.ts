// The dashboard's extension pages in headless Chromium against the real app with local nodes: the Sweeps list of
// an experiment (state, trial progress, best trial), a sweep's page with its trials (parameters, state, metric)
// and its Cancel button, the job page's queue information and attempts, and a workspace's automation (scoring
// rules, job schedules with their last run). Needs `npm run build` first.
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import {
  customJob,
  experiment,
  startJobTestBed,
  workspace,
  type JobTestBed,
  queueInfoExplained,
} from '../jobs/support/jobTestBed';
import {
  describeWithChromium,
  launchHeadlessChromium,
  type HeadlessBrowser,
} from '../support/headlessChromium';
import { repoRoot, waitFor } from '../support/testEnvironment';

const describeInBrowser = describeWithChromium('dashboard extensions e2e');
const script = path.join(repoRoot, 'examples', 'sweep', 'train.js');
const node = process.execPath;

describeInBrowser('dashboard extension pages in a browser', () => {
  let bed: JobTestBed | undefined;
  let browser: HeadlessBrowser | undefined;
  let page: Page;

  async function putSweep(name: string, epochs: number, values: number[]): Promise<void> {
    const response = await bed!.api.send('PUT', `${experiment}/sweeps/${name}`, {
      properties: {
        jobTemplate: customJob(
          bed!,
          'cpu',
          `${node} ${script} --lr {parameters.lr} --epochs ${epochs} --epoch-seconds 0.3`,
        ),
        parameters: { lr: { type: 'choice', values } },
        sampling: 'grid',
        maxConcurrentTrials: 1,
        objective: { metric: 'accuracy', goal: 'maximize' },
      },
    });
    if (response.status !== 201) throw new Error(`PUT sweep ${name}: ${response.status} ${response.text}`);
  }

  beforeAll(async () => {
    for (const built of ['dist/web/dashboard/src/main.js', 'dist/web/dashboard/src/views/sweepsView.js']) {
      if (!fs.existsSync(path.join(repoRoot, built)))
        throw new Error(`${built} is missing: run \`npm run build\` first.`);
    }
    bed = await startJobTestBed({ SWEEP_POLL_SECONDS: '1', SWEEP_ROUNDS_PER_EPISODE: '5' });
    await bed.createCluster('cpu', 1);
    await bed.createCluster('empty', 0);
    browser = await launchHeadlessChromium('dashboard-ext-chromium');
    page = browser.page;
    // The workspace of the test bed is in resource group jobsrg.
    await page.goto(`${bed.env.baseUrl}/api/dashboard/#/`);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await bed?.stop();
  });

  const dashboard = (hash: string) => `${bed!.env.baseUrl}/api/dashboard/${hash}`;

  it('lists the sweeps of an experiment with state, trial progress and best trial', async () => {
    await putSweep('lrs', 2, [0.1, 0.01]);
    await page.goto(dashboard('#/workspaces/jobsrg/ws/jobs'));
    await page.getByRole('link', { name: 'Sweeps', exact: true }).click();
    await page.getByRole('heading', { name: /Sweeps/ }).waitFor();
    expect(page.url()).toContain('#/workspaces/jobsrg/ws/sweeps');
    const row = page.getByRole('row', { name: /lrs/ });
    await row.waitFor();
    await expectText(row, /Succeeded/, 120_000);
    await expectText(row, /2 of 2 done/);
    await expectText(row, /lrs-t1/);
    await expectText(row, /lr=0\.01/);
    await page.screenshot({ path: '/tmp/dashboard-sweeps.png', fullPage: true });
  }, 180_000);

  it('shows a sweep with its trials table (parameters, state, metric) and the best trial', async () => {
    await page.getByRole('link', { name: 'lrs', exact: true }).click();
    await page.getByRole('heading', { name: /lrs/ }).waitFor();
    const trials = page.getByRole('table', { name: 'Trials' });
    const first = trials.getByRole('row', { name: /lrs-t0/ });
    await expectText(first, /lr=0\.1/);
    await expectText(first, /Succeeded/);
    expect(await first.locator('td.num').first().textContent()).toMatch(/^0\.\d+$/);
    await expectText(page.locator('.props'), /Best triallrs-t1/);
    expect(await page.getByRole('button', { name: 'Cancel sweep' }).isDisabled()).toBe(true);
    await page.screenshot({ path: '/tmp/dashboard-sweep.png', fullPage: true });
  }, 60_000);

  it('cancels a running sweep from its page after confirmation', async () => {
    await putSweep('long', 200, [0.1, 0.01, 0.001]);
    await page.goto(dashboard('#/workspaces/jobsrg/ws/experiments/exp/sweeps/long'));
    const cancel = page.getByRole('button', { name: 'Cancel sweep' });
    await waitFor(
      'a running trial',
      async () =>
        /Running/.test(
          (await page
            .getByRole('table', { name: 'Trials' })
            .textContent()
            .catch(() => '')) ?? '',
        )
          ? true
          : undefined,
      90_000,
    );
    expect(await cancel.isEnabled()).toBe(true);
    await cancel.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel sweep' }).click();
    await expectText(page.getByRole('heading', { name: /long/ }), /Cancelled/, 90_000);
    await expectText(page.getByRole('table', { name: 'Trials' }), /Cancelled/);
  }, 180_000);

  it('shows why a queued job waits and the attempts of a job that ran', async () => {
    await bed!.putJob('stuck', customJob(bed!, 'empty', 'echo never'));
    const queued = await bed!.waitForJob('stuck', 'queueInfo', queueInfoExplained);
    const reason = (queued.queueInfo as { reason: string }).reason;
    await page.goto(dashboard('#/workspaces/jobsrg/ws/experiments/exp/jobs/stuck'));
    const queue = page.locator('.card', { has: page.getByRole('heading', { name: 'Why it waits' }) });
    await expectText(queue, new RegExp(`Wait reason${reason}`));
    await expectText(queue, /Nodes needed \/ free1 \/ 0/);
    await page.screenshot({ path: '/tmp/dashboard-queued-job.png', fullPage: true });

    await page.goto(dashboard('#/workspaces/jobsrg/ws/experiments/exp/jobs/lrs-t0'));
    const attempts = page.getByRole('table', { name: 'Attempts' });
    const first = attempts.getByRole('row', { name: /^1 / });
    await expectText(first, /succeeded/);
    expect(await page.getByRole('heading', { name: 'Why it waits' }).isVisible()).toBe(false);
    await page.screenshot({ path: '/tmp/dashboard-attempts.png', fullPage: true });
  }, 120_000);
});

describeInBrowser('the automation and access pages in a browser', () => {
  let bed: JobTestBed | undefined;
  let browser: HeadlessBrowser | undefined;
  let page: Page;

  beforeAll(async () => {
    bed = await startJobTestBed();
    await bed.createCluster('cpu', 1);
    browser = await launchHeadlessChromium('dashboard-automation-chromium');
    page = browser.page;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await bed?.stop();
  });

  it('lists scoring rules and job schedules; a schedule shows its last run and links to its job', async () => {
    // A template holds no secret values (a rule is stored as written): no mount with an account key.
    const template = (commandLine: string): Record<string, unknown> => ({
      properties: {
        nodeCount: 1,
        cluster: { id: bed!.clusterId('cpu') },
        stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs',
        customToolkitSettings: { commandLine },
      },
    });
    const rule = await bed!.api.send('PUT', `${workspace}/scoringRules/score-csv`, {
      properties: {
        source: { container: 'incoming', blobPrefix: 'batch/', blobSuffix: '.csv' },
        experimentName: 'exp',
        jobTemplate: template('echo {blobCount}'),
        batching: { windowSeconds: 60, maxBlobs: 50 },
      },
    });
    expect(rule.status).toBe(201);
    const schedule = await bed!.api.send('PUT', `${workspace}/jobSchedules/hourly`, {
      properties: {
        schedule: '0 0 * * * *',
        experimentName: 'exp',
        jobTemplate: template('echo scored {scheduledTime}'),
        startTime: new Date(Date.now() - 2 * 3600_000).toISOString(),
      },
    });
    expect(schedule.status).toBe(201);
    // The schedule's timer, now (it runs every minute on its own).
    const tick = await bed!.env.invokeFunction('jobSchedulesTimer');
    expect(tick.status).toBe(202);

    await page.goto(`${bed!.env.baseUrl}/api/dashboard/#/workspaces/jobsrg/ws/jobs`);
    await page.getByRole('link', { name: 'Automation', exact: true }).click();
    await page.getByRole('heading', { name: /Automation/ }).waitFor();
    expect(page.url()).toContain('#/workspaces/jobsrg/ws/automation');
    const ruleRow = page
      .getByRole('table', { name: 'Scoring rules in ws' })
      .getByRole('row', { name: /score-csv/ });
    await expectText(ruleRow, /\(any account\)\/incoming\/batch\/\*\.csv/);
    await expectText(ruleRow, /a job per 60 s window, up to 50 blobs/);
    const scheduleRow = page
      .getByRole('table', { name: 'Job schedules in ws' })
      .getByRole('row', { name: /hourly/ });
    await expectText(scheduleRow, /0 0 \* \* \* \*/);
    await expectText(scheduleRow, /created/);
    const jobLink = scheduleRow.getByRole('link', { name: /^hourly-/ });
    const jobName = (await jobLink.textContent()) ?? '';
    await page.screenshot({ path: '/tmp/dashboard-automation.png', fullPage: true });
    await jobLink.click();
    await page.getByRole('heading', { name: new RegExp(jobName) }).waitFor();
    expect(page.url()).toContain(`#/workspaces/jobsrg/ws/experiments/exp/jobs/${jobName}`);
  }, 180_000);

  it('grants, refuses and removes access on the Access page', async () => {
    const owner = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const reader = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    await page.getByRole('link', { name: 'Access', exact: true }).click();
    await page.getByRole('heading', { name: /Access/ }).waitFor();
    expect(page.url()).toContain('#/workspaces/jobsrg/ws/access');
    await expectText(page.locator('.live'), /No role assignments yet/);

    const grant = async (principal: string, type: string, role: string): Promise<void> => {
      await page.getByLabel('Principal id').fill(principal);
      await page.getByLabel('Type').selectOption(type);
      await page.getByLabel('Role').selectOption(role);
      await page.getByRole('button', { name: 'Grant' }).click();
    };
    await grant('alice@contoso.com', 'User', 'owner');
    await expectText(page.locator('.form-error'), /Principal id: 'alice@contoso.com' is not an object id/);
    await grant(owner, 'User', 'owner');
    const table = page.getByRole('table', { name: 'Role assignments in ws' });
    await expectText(table.getByRole('row', { name: new RegExp(owner) }), /Userowner/);
    await grant(reader, 'Group', 'reader');
    await expectText(table.getByRole('row', { name: new RegExp(reader) }), /Groupreader/);
    expect(await page.locator('.form-error').isVisible()).toBe(false);
    await page.screenshot({ path: '/tmp/dashboard-access.png', fullPage: true });

    // The last owner cannot be removed: the API's 409 shows in the page's alert.
    await page.getByRole('button', { name: `Remove ${owner}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await expectText(page.getByRole('alert').first(), /LastOwnerCannotBeRemoved/);
    // The periodic refresh (every 3 s) does not wipe an action's failure before it is read.
    const status = page.locator('#refresh-status');
    const before = await status.textContent();
    await waitFor(
      'a refresh',
      async () => ((await status.textContent()) !== before ? true : undefined),
      30_000,
    );
    expect(await page.locator('#api-error').textContent()).toMatch(/LastOwnerCannotBeRemoved/);
    await page.getByRole('button', { name: `Remove ${reader}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await waitFor('the reader to be gone', async () =>
      (await table.getByRole('row', { name: new RegExp(reader) }).count()) === 0 ? true : undefined,
    );
    // The next action succeeded: the old failure is gone.
    await waitFor('the alert to go', async () =>
      (await page.locator('#api-error').isHidden()) ? true : undefined,
    );
    expect(await table.getByRole('row', { name: new RegExp(owner) }).count()).toBe(1);
  }, 120_000);
});

/** Polls an element's text until it matches (the page refreshes on its own). */
async function expectText(
  locator: { textContent(): Promise<string | null> },
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    `text ${pattern}`,
    async () => (pattern.test((await locator.textContent()) ?? '') ? true : undefined),
    timeoutMs,
  ).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}; text was: ${(await locator.textContent()) ?? ''}`);
  });
}
