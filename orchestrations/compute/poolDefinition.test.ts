// A scale set's agents get a contact lease of half the control plane's lost-after time: a VM cut off from the
// control plane stops its tasks before it is taken for lost and its jobs run again elsewhere (agent/nodeAgent.ts).
import type { ResourceRecord } from '../../shared/domain/resourceRecord';
import { contactLeaseOf, poolDefinitionOf } from './poolDefinition';

test('the contact lease is half the lost-after time, and none when it would hold fewer than three heartbeats', () => {
  expect(contactLeaseOf({ nodeLostAfterMs: 90_000, heartbeatMs: 15_000 })).toBe(45_000); // VM defaults
  expect(contactLeaseOf({ nodeLostAfterMs: 120_000, heartbeatMs: 15_000 })).toBe(60_000);
  expect(contactLeaseOf({ nodeLostAfterMs: 60_000, heartbeatMs: 15_000 })).toBeUndefined();
  const cluster = {
    spec: { vmSize: 'STANDARD_D1_V2', userAccountSettings: { adminUserName: 'me' } },
  } as unknown as ResourceRecord;
  const timings = {
    heartbeatMs: 15_000,
    nodeLostAfterMs: 90_000,
    registerWithinMs: 900_000,
    monitorIntervalMs: 30_000,
    autoscaleIdleMs: 300_000,
  };
  expect(poolDefinitionOf('sub/rg/ws/clusters/c', cluster, timings).agent.contactLeaseMs).toBe(45_000);
});
