// A sweep PUT answers bad input with a 400 naming the field, found at creation, never a 500 or a failure of every
// trial later: a deeply nested job template, and a template naming a cluster or file server that does not exist.
import { ValidationError } from '../../shared/domain/errors';
import { validateSweepBody } from '../../shared/domain/sweeps/sweepDefinition';
import { placeholderNames, substituteParameters } from '../../shared/domain/sweeps/trialJobBody';
import type { JsonObject } from '../../shared/domain/specValidator';

const clusterId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/c';
const template = {
  cluster: { id: clusterId },
  nodeCount: 1,
  stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs',
  customToolkitSettings: { commandLine: 'python train.py --lr {parameters.lr}' },
};

function body(jobTemplate: unknown): unknown {
  return {
    properties: {
      jobTemplate,
      parameters: { lr: { type: 'choice', values: [0.1, 0.01] } },
      sampling: 'grid',
      objective: { metric: 'accuracy', goal: 'maximize' },
    },
  };
}

/** `{ a: { a: ... 'x' } }` `levels` deep, built without recursion. */
function nested(levels: number): JsonObject {
  let value: JsonObject = { a: '{parameters.lr}' };
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error: unknown) {
    return error;
  }
  return undefined;
}

describe('a deeply nested job template', () => {
  test('is validated before it is scanned: what the job schema does not know is dropped, no stack overflow', () => {
    const deep = { ...template, extra: nested(20_000) };
    const { definition } = validateSweepBody(body(deep), 1);
    expect(definition.jobTemplate).not.toHaveProperty('extra');
  });

  test('where the schema expects a string it is a 400 naming the field', () => {
    const deep = { ...template, customToolkitSettings: { commandLine: nested(20_000) } };
    const error = errorOf(() => validateSweepBody(body(deep), 1));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).target).toBe(
      'properties.jobTemplate.customToolkitSettings.commandLine',
    );
  });

  test('the walkers refuse it with a 400 naming where it is too deep, whatever they are given', () => {
    const scan = errorOf(() => placeholderNames(nested(20_000), 'properties'));
    expect(scan).toBeInstanceOf(ValidationError);
    expect((scan as ValidationError).target).toMatch(/^properties\.a\.a\.a/);
    const substitute = errorOf(() => substituteParameters(nested(20_000), { lr: 1 }));
    expect(substitute).toBeInstanceOf(ValidationError);
    // A template of ordinary depth is walked as before.
    expect(placeholderNames(nested(10), 'p')).toHaveLength(1);
    expect(JSON.stringify(substituteParameters(nested(10), { lr: 1 }))).toContain('"a":"1"');
  });
});
