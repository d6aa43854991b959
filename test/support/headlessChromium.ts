// Debian's Chromium (/usr/bin/chromium) driven by playwright-core for the dashboard's browser tests: one
// persistent, headless profile in a temp dir per suite, removed on close. CI installs it (apt-get install -y
// chromium); a machine without it skips those suites with a message.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/** `describe` when Chromium is installed, else `describe.skip` with a warning naming the suite. */
export function describeWithChromium(suite: string): jest.Describe {
  if (fs.existsSync(chromiumPath)) return describe;
  console.warn(`SKIPPED ${suite}: ${chromiumPath} is missing (apt-get install -y chromium).`);
  return describe.skip;
}

export interface HeadlessBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * `ignoreHttpsErrors`: accept the local fakes' self-signed loopback certificate (the Entra ID fake's sign-in pages
 * and token endpoint); never needed for the app itself, which is served over http on loopback.
 */
export async function launchHeadlessChromium(
  profilePrefix: string,
  options: { ignoreHttpsErrors?: boolean } = {},
): Promise<HeadlessBrowser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${profilePrefix}-`));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 900 },
      ignoreHTTPSErrors: options.ignoreHttpsErrors === true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return {
      context,
      page,
      async close() {
        await context.close();
        fs.rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
