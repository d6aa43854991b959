import { defaultQuotas, readQuotas } from './quotaConfig';

test('quotas come from the app settings, with defaults; a bad value names its setting', () => {
  expect(readQuotas({})).toEqual(defaultQuotas);
  expect(
    readQuotas({
      BATCHAI_QUOTA_CLUSTERS: '50',
      BATCHAI_QUOTA_DEDICATED_CORES: '4000',
      BATCHAI_QUOTA_LOW_PRIORITY_CORES: '0',
    }),
  ).toEqual({ clustersPerLocation: 50, dedicatedCoresPerLocation: 4000, lowPriorityCoresPerLocation: 0 });
  expect(() => readQuotas({ BATCHAI_QUOTA_DEDICATED_CORES: 'lots' })).toThrow(
    "App setting BATCHAI_QUOTA_DEDICATED_CORES must be an integer from 0 to 10000000; it is 'lots'.",
  );
});
