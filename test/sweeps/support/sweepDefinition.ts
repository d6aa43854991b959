// The sweep the sweep tests run: a custom-toolkit trial on cluster c that takes the learning rate `lr`, maximizing
// `accuracy`; `lr` and the sampling settings vary by test.
import { validateSweepBody } from '../../../shared/domain/sweeps/sweepDefinition';

export function testSweepDefinition(
  lrValues: number[],
  settings: Record<string, unknown> = { sampling: 'grid' },
): ReturnType<typeof validateSweepBody>['definition'] {
  return validateSweepBody(
    {
      properties: {
        jobTemplate: {
          cluster: {
            id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/c',
          },
          nodeCount: 1,
          stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_TEMP',
          customToolkitSettings: { commandLine: 'python train.py --lr {parameters.lr}' },
        },
        parameters: { lr: { type: 'choice', values: lrValues } },
        ...settings,
        objective: { metric: 'accuracy', goal: 'maximize' },
      },
    },
    7,
  ).definition;
}
