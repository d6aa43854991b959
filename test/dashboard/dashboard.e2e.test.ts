// End to end: the real app on the local stack, resources made through the API, the dashboard driven in headless
// Chromium (Debian's /usr/bin/chromium through playwright-core): lists, job submission from the form, an API
// error, terminate with confirmation. Needs `npm run build` first (the app and the dashboard run from dist/).
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import {
  describeWithChromium,
  launchHeadlessChromium,
  type HeadlessBrowser,
} from '../support/headlessChromium';
import { repoRoot, startTestEnvironment, waitFor, type TestEnvironment } from '../support/testEnvironment';

const describeInBrowser = describeWithChromium('dashboard e2e');

const subscription = '00000000-0000-0000-0000-000000000000';
const provider = `/subscriptions/${subscription}/resourceGroups/rg/providers/Microsoft.BatchAI`;
const v = 'api-version=2018-05-01';

describeInBrowser('dashboard in a browser', () => {
  let env: TestEnvironment | undefined;
  let browser: HeadlessBrowser | undefined;
  let page: Page;

  async function api(method: string, resourcePath: string, body?: unknown): Promise<Response> {
    const response = await fetch(`${env!.baseUrl}/api${resourcePath}?${v}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status >= 400)
      throw new Error(`${method} ${resourcePath}: ${response.status} ${await response.text()}`);
    const operation = response.headers.get('azure-asyncoperation');
    if (response.status === 202 && operation) {
      await waitFor(`operation of ${method} ${resourcePath}`, async () => {
        const status = (await (await fetch(operation)).json()) as { status?: string };
        if (status.status === 'Failed')
          throw new Error(`${method} ${resourcePath} failed: ${JSON.stringify(status)}`);
        return status.status === 'Succeeded' ? true : undefined;
      });
    }
    return response;
  }

  beforeAll(async () => {
    for (const built of ['dist/web/dashboard/src/main.js', 'dist/functions/dashboard/dashboardFunction.js']) {
      if (!fs.existsSync(path.join(repoRoot, built)))
        throw new Error(`${built} is missing: run \`npm run build\` first.`);
    }
    env = await startTestEnvironment({
      settings: { SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
    });
    await api('PUT', `${provider}/workspaces/ws`, { location: 'eastus' });
    await api('PUT', `${provider}/workspaces/ws/clusters/cpu`, {
      properties: {
        vmSize: 'STANDARD_D2_V2',
        scaleSettings: { manual: { targetNodeCount: 0 } },
        userAccountSettings: { adminUserName: 'me', adminUserSshPublicKey: 'ssh-rsa AAAAB3NzaC1yc2E test' },
      },
    });
    await api('PUT', `${provider}/workspaces/ws/fileServers/share`, {
      properties: {
        vmSize: 'STANDARD_D2_V2',
        sshConfiguration: { userAccountSettings: { adminUserName: 'me', adminUserPassword: 'Fs-Passw0rd!' } },
        dataDisks: { diskSizeInGB: 64, diskCount: 2, storageAccountType: 'Standard_LRS' },
      },
    });
    await api('PUT', `${provider}/workspaces/ws/experiments/exp`);
    await api('PUT', `${provider}/workspaces/ws/experiments/exp/jobs/job-api`, {
      properties: {
        cluster: { id: `${provider}/workspaces/ws/clusters/cpu` },
        nodeCount: 1,
        schedulingPriority: 'high',
        stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs',
        customToolkitSettings: { commandLine: 'echo hi' },
        environmentVariables: [{ name: 'LEARNING_RATE', value: '0.1' }],
      },
    });
    browser = await launchHeadlessChromium('dashboard-chromium');
    page = browser.page;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await env?.stop();
  });

  const dashboard = (hash: string) => `${env!.baseUrl}/api/dashboard/${hash}`;

  it('lists the workspace and opens its jobs with state, priority and cluster', async () => {
    await page.goto(dashboard('#/'));
    await page.getByRole('link', { name: 'ws', exact: true }).click();
    const row = page.getByRole('row', { name: /job-api/ });
    await row.waitFor();
    await expectText(row, /Queued/);
    await expectText(row, /high/);
    await expectText(row, /cpu/);
    expect(await page.locator('#workspace-picker').inputValue()).toBe('rg/ws');
  });

  it('shows the cluster with its VM size, scale settings and node bar', async () => {
    await page.getByRole('link', { name: 'Clusters', exact: true }).first().click();
    const row = page.getByRole('row', { name: /cpu/ });
    await row.waitFor();
    await expectText(row, /STANDARD_D2_V2/);
    await expectText(row, /Manual 0/);
    await expectText(row, /No nodes/);
    await expectText(row, /Steady/);
    expect(await row.getByRole('button', { name: 'Resize cpu' }).isVisible()).toBe(true);
  });

  it('lists the file servers with their disks and where nodes mount them from, deletes one and creates one', async () => {
    const row = page.getByRole('row', { name: /share/ });
    await row.waitFor();
    await expectText(row, /2 × 64 GB Standard_LRS, RAID 0/);
    await expectText(row, /127\.0\.0\.1:\/mnt\/data/);
    await expectText(row, /Succeeded/);
    await row.getByRole('button', { name: 'Delete share' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expectText(page.locator('#file-servers-title + .live'), /No file servers in this workspace/);
    // One made from the form.
    await page.getByLabel('File server name').fill('formfs');
    await page.getByLabel('Data disks').fill('1');
    await page.getByRole('button', { name: 'Create file server' }).click();
    const created = page.getByRole('row', { name: /formfs/ });
    await created.waitFor();
    await expectText(created, /1 × 128 GB Standard_LRS/);
    await expectText(created, /Succeeded/);
  });

  it('submits a pasted job.json from the form and lists the job', async () => {
    await page.goto(dashboard('#/workspaces/rg/ws/submit/exp'));
    await page.getByLabel('Job name').fill('job-form');
    await waitFor('the cluster picker', async () =>
      (await page.locator('#sub-cluster option').count()) > 1 ? true : undefined,
    );
    // A misspelt property is said under the job.json while it is edited (from the service's OpenAPI document),
    // whatever cluster is chosen ("As named in job.json" here, and this paste names none).
    const jobJson = page.getByLabel('job.json', { exact: true });
    const warnings = page.locator('form [role="status"] .form-warning');
    await page.locator('#sub-cluster').selectOption('');
    await jobJson.fill(
      '{"properties":{"schedulingPriorty":"high","customToolkitSettings":{"commandLine":"echo from the form"}}}',
    );
    await warnings.waitFor({ state: 'visible' });
    await expectText(
      warnings,
      /'properties\.schedulingPriorty' in 'job\.json' is not a property of JobCreateParameters: the service ignores it\. Did you mean 'schedulingPriority'\?/,
    );
    await jobJson.fill(
      JSON.stringify({
        $schema: 'https://raw.githubusercontent.com/Azure/BatchAI/master/schemas/2018-05-01/job.json',
        properties: { nodeCount: 1, customToolkitSettings: { commandLine: 'echo from the form' } },
      }),
    );
    await warnings.waitFor({ state: 'hidden' });
    await page.locator('#sub-cluster').selectOption({ index: 1 });
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.getByRole('row', { name: /job-form/ }).waitFor({ timeout: 30_000 });
    expect(page.url()).toContain('#/workspaces/rg/ws/experiments/exp');
    await page.screenshot({ path: '/tmp/dashboard.png', fullPage: true });
  });

  it('shows the API error (CloudError message and target) of a rejected job', async () => {
    await page.goto(dashboard('#/workspaces/rg/ws/submit/exp'));
    await page.getByLabel('Job name').fill('job-bad');
    await waitFor('the cluster picker', async () =>
      (await page.locator('#sub-cluster option').count()) > 1 ? true : undefined,
    );
    await page
      .getByLabel('job.json', { exact: true })
      .fill('{"properties":{"nodeCount":0,"customToolkitSettings":{"commandLine":"x"}}}');
    await page.getByRole('button', { name: 'Submit job' }).click();
    const error = page.locator('form .form-error');
    await error.waitFor({ state: 'visible' });
    await expectText(error, /nodeCount/);
    await expectText(error, /target: properties\.nodeCount/);
  });

  it('shows an API error for a workspace that does not exist', async () => {
    await page.goto(dashboard('#/workspaces/rg/missing-ws/jobs'));
    const alert = page.locator('#api-error');
    await alert.waitFor({ state: 'visible' });
    await expectText(alert, /missing-ws/);
  });

  it('shows a job with its variable names and terminates it after confirmation', async () => {
    await page.goto(dashboard('#/workspaces/rg/ws/experiments/exp/jobs/job-api'));
    await page.getByRole('heading', { name: /job-api/ }).waitFor();
    await expectText(page.locator('.props').first(), /cpu/);
    await page.getByText('LEARNING_RATE').waitFor();
    expect(await page.getByText('0.1', { exact: true }).count()).toBe(0);
    await page.screenshot({ path: '/tmp/dashboard-job.png', fullPage: true });
    await page.getByRole('button', { name: 'Terminate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Terminate' }).click();
    await expectText(page.getByRole('heading', { name: /job-api/ }), /Failed/);
  });
});

/** Polls an element's text until it matches (the page refreshes on its own). */
async function expectText(
  locator: { textContent(): Promise<string | null> },
  pattern: RegExp,
): Promise<void> {
  await waitFor(
    `text ${pattern}`,
    async () => (pattern.test((await locator.textContent()) ?? '') ? true : undefined),
    30_000,
  ).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}; text was: ${(await locator.textContent()) ?? ''}`);
  });
}
