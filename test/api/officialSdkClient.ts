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

/** Waits (up to 60 s) until the cluster has `count` idle nodes, as the SDK reads it. */
export async function waitForIdleClusterNodes(
  client: BatchAIManagementClient,
  resourceGroup: string,
  workspace: string,
  cluster: string,
  count: number,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await client.clusters.get(resourceGroup, workspace, cluster);
    if (got.nodeStateCounts?.idleNodeCount === count) return;
    if (Date.now() > deadline) throw new Error(`cluster ${cluster}: ${JSON.stringify(got.nodeStateCounts)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
