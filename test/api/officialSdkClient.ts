// Microsoft's generated Batch AI SDK pointed at a local host's API: locally AUTH_MODE=none, so the token is sent and
// not checked; long-running operations are polled every 100 ms instead of the SDK's 30 s.
import { BatchAIManagementClient } from '@azure/arm-batchai';
import { TokenCredentials } from '@azure/ms-rest-js';
import { SUB } from './apiClient';

export function officialSdkClient(hostBaseUrl: string): BatchAIManagementClient {
  return new BatchAIManagementClient(new TokenCredentials('local'), SUB, {
    baseUri: `${hostBaseUrl}/api`,
    longRunningOperationRetryTimeout: 0.1,
  });
}
