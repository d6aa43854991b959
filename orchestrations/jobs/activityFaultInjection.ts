// Test-only fault injection for the job lifecycle's activities: `JOB_TEST_FAIL_ACTIVITY=<activity name>` makes that
// activity throw on every call, so tests can watch the lifecycle give up and clean up. Honoured only with local
// compute (COMPUTE_BACKEND local, the test and `npm start` setup); with scale sets the setting is refused, so a
// deployment cannot turn it on.
import { ConfigurationError } from '../../shared/config/appConfig';
import { readComputeConfig } from '../../shared/config/computeConfig';

export const faultSetting = 'JOB_TEST_FAIL_ACTIVITY';

let failing: string | undefined | null = null;

function failingActivity(): string | undefined {
  if (failing !== null) return failing;
  const name = process.env[faultSetting]?.trim() || undefined;
  if (name && readComputeConfig(process.env).pool.kind !== 'local') {
    throw new ConfigurationError(faultSetting, 'is a test setting: it is honoured only with local compute.');
  }
  failing = name;
  return failing;
}

/** Throws when the tests asked this activity to fail. */
export function failIfInjected(activityName: string): void {
  if (failingActivity() === activityName) {
    throw new Error(`${activityName} failed: fault injected by ${faultSetting} (test setting).`);
  }
}
