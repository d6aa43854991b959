import { ContractError } from './contractError';
import { parseJobCommand } from './jobCommand';

const valid = {
  schema: 'batchai.jobCommand',
  version: 1,
  kind: 'start',
  jobUuid: '0B1C2D3E-0000-4000-8000-000000000001',
  clusterKey: '/subscriptions/s/resourcegroups/rg/providers/microsoft.batchai/workspaces/ws/clusters/c',
  job: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws', experiment: 'exp', name: 'j1' },
};

test('a valid command parses with the GUID lower-cased', () => {
  expect(parseJobCommand(valid)).toMatchObject({
    kind: 'start',
    jobUuid: '0b1c2d3e-0000-4000-8000-000000000001',
  });
});

test.each([
  ['message.kind', { ...valid, kind: 'restart' }],
  ['message.jobUuid', { ...valid, jobUuid: 'not-a-guid' }],
  ['message.clusterKey', { ...valid, clusterKey: '/subscriptions/s/resourcegroups/rg' }],
  ['message.job.experiment', { ...valid, job: { ...valid.job, experiment: '' } }],
  ['message.version', { ...valid, version: 2 }],
])('a command with a bad %s is refused naming the field', (field, command) => {
  expect(() => parseJobCommand(command)).toThrow(ContractError);
  expect(() => parseJobCommand(command)).toThrow(expect.objectContaining({ field }));
});
