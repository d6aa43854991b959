// The repository's real entry file (package.json main, dist/functions/index.js) loads in the local host with the
// injected @azure/functions-core: every registration is kept, none skipped in "test mode".
import { repoRoot, startTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

describe('the real app entry file', () => {
  let env: TestEnvironment | undefined;
  afterAll(async () => {
    await env?.stop();
  });

  it('loads in the local host with no test-mode warning', async () => {
    env = await startTestEnvironment({ appRoot: repoRoot });
    const output = env.hostOutput();
    expect(output).toContain('Functions host listening on');
    expect(output).not.toMatch(/test mode/i);
    expect(output).not.toContain('Skipping call to register function');
    // At least one function registered through the real library.
    expect(output).toMatch(/Functions:\n\n\t\S+: /);
  });
});
