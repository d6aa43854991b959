// Unit tests of the sweep domain: search space (grid, seeded random), body validation, parameter substitution,
// metric lines, early-termination policies, best-trial selection and the round planner.
import { ValidationError } from '../../shared/domain/errors';
import { bestTrialIndex } from '../../shared/domain/sweeps/bestTrial';
import { trialsToStop, type TrialProgress } from '../../shared/domain/sweeps/earlyTermination';
import {
  completeLinesLength,
  parseMetricLine,
  parseMetricText,
  takeLines,
} from '../../shared/domain/sweeps/metricLine';
import { addReports, bestUpTo, emptySeries, numberReports } from '../../shared/domain/sweeps/objectiveSeries';
import { trialParameters } from '../../shared/domain/sweeps/searchSpace';
import { validateSweepBody, type SweepDefinition } from '../../shared/domain/sweeps/sweepDefinition';
import {
  applyCreated,
  applyObservations,
  initialRunState,
  isFinished,
  planRound,
  sweepStatus,
} from '../../shared/domain/sweeps/sweepProgress';
import { trialJobBody } from '../../shared/domain/sweeps/trialJobBody';
import { targetOf } from '../support/refusals';

const clusterId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws/clusters/c';
const template = {
  cluster: { id: clusterId },
  nodeCount: 1,
  stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/afs',
  customToolkitSettings: { commandLine: 'python train.py --lr {parameters.lr} --layers {{layers}}' },
};

function body(properties: Record<string, unknown>): unknown {
  return {
    properties: {
      jobTemplate: template,
      parameters: { lr: { type: 'choice', values: [0.1, 0.01] }, layers: { type: 'int', min: 1, max: 3 } },
      sampling: 'grid',
      maxConcurrentTrials: 2,
      objective: { metric: 'accuracy', goal: 'maximize' },
      ...properties,
    },
  };
}

function series(points: [number, number][], goal: 'maximize' | 'minimize' = 'maximize') {
  return addReports(
    emptySeries(),
    points.map(([step, value]) => ({ step, value })),
    goal,
  );
}

describe('search space', () => {
  test('grid enumerates every combination once, the last parameter varying fastest', () => {
    const { definition } = validateSweepBody(body({}), 1);
    expect(definition.maxTrials).toBe(6);
    const points = Array.from({ length: 6 }, (_, i) => trialParameters(definition, i));
    expect(points).toEqual([
      { lr: 0.1, layers: 1 },
      { lr: 0.1, layers: 2 },
      { lr: 0.1, layers: 3 },
      { lr: 0.01, layers: 1 },
      { lr: 0.01, layers: 2 },
      { lr: 0.01, layers: 3 },
    ]);
  });

  test('random sampling is reproducible from the seed and stays within each range', () => {
    const space = {
      sampling: 'random' as const,
      seed: 42,
      parameters: {
        lr: { type: 'loguniform' as const, min: 1e-5, max: 1e-1 },
        dropout: { type: 'uniform' as const, min: 0.1, max: 0.5 },
        batch: { type: 'int' as const, min: 16, max: 64 },
        optimizer: { type: 'choice' as const, values: ['adam', 'sgd'] },
      },
    };
    const first = Array.from({ length: 50 }, (_, i) => trialParameters(space, i));
    const again = Array.from({ length: 50 }, (_, i) => trialParameters(space, i));
    expect(again).toEqual(first);
    expect(trialParameters(space, 7)).toEqual(first[7]); // no need to draw the earlier trials
    expect(trialParameters({ ...space, seed: 43 }, 0)).not.toEqual(first[0]);
    for (const p of first) {
      expect(p.lr).toBeGreaterThanOrEqual(1e-5);
      expect(p.lr).toBeLessThanOrEqual(1e-1);
      expect(p.dropout).toBeGreaterThanOrEqual(0.1);
      expect(p.dropout).toBeLessThanOrEqual(0.5);
      expect(Number.isInteger(p.batch)).toBe(true);
      expect(p.batch).toBeGreaterThanOrEqual(16);
      expect(p.batch).toBeLessThanOrEqual(64);
      expect(['adam', 'sgd']).toContain(p.optimizer);
    }
    expect(new Set(first.map((p) => p.optimizer)).size).toBe(2);
    expect(new Set(first.map((p) => p.batch)).size).toBeGreaterThan(10);
  });
});

describe('sweep body validation', () => {
  test('grid refuses continuous parameters, naming the parameter', () => {
    expect(
      targetOf(() => validateSweepBody(body({ parameters: { lr: { type: 'uniform', min: 0, max: 1 } } }), 1)),
    ).toBe('properties.parameters.lr.type');
  });

  test('required and bounded fields are named', () => {
    expect(targetOf(() => validateSweepBody(body({ objective: undefined }), 1))).toBe('properties.objective');
    expect(targetOf(() => validateSweepBody(body({ maxConcurrentTrials: 0 }), 1))).toBe(
      'properties.maxConcurrentTrials',
    );
    expect(targetOf(() => validateSweepBody(body({ sampling: 'random', maxTrials: 5000 }), 1))).toBe(
      'properties.maxTrials',
    );
    expect(targetOf(() => validateSweepBody(body({ sampling: 'random' }), 1))).toBe('properties.maxTrials');
    expect(
      targetOf(() =>
        validateSweepBody(body({ earlyTermination: { policy: 'bandit', evaluationInterval: 5 } }), 1),
      ),
    ).toBe('properties.earlyTermination.slackFactor');
    expect(
      targetOf(() =>
        validateSweepBody(
          body({
            parameters: { lr: { type: 'loguniform', min: 0, max: 1 } },
            sampling: 'random',
            maxTrials: 2,
          }),
          1,
        ),
      ),
    ).toBe('properties.parameters.lr.min');
  });

  test("the objective 'step' is refused: a metric line's step= numbers the report and is never a metric", () => {
    expect(parseMetricLine('##batchai[metric] step=3')).toEqual([]);
    expect(
      targetOf(() => validateSweepBody(body({ objective: { metric: 'step', goal: 'maximize' } }), 1)),
    ).toBe('properties.objective.metric');
    // Other names that merely contain it are metrics like any other.
    expect(
      targetOf(() => validateSweepBody(body({ objective: { metric: 'steps', goal: 'maximize' } }), 1)),
    ).toBeUndefined();
  });

  test('a continuous range whose width is not a finite number is refused, naming its max', () => {
    const random = (spec: Record<string, unknown>) =>
      body({
        parameters: { lr: spec, layers: { type: 'int', min: 1, max: 3 } },
        sampling: 'random',
        maxTrials: 2,
      });
    for (const type of ['uniform', 'loguniform']) {
      const min = type === 'uniform' ? -1.7e308 : 1e-300;
      expect(targetOf(() => validateSweepBody(random({ type, min, max: 1.7e308 }), 1))).toBe(
        type === 'uniform' ? 'properties.parameters.lr.max' : undefined,
      );
    }
    // The widest range that is still finite samples inside it, not at a bound every time.
    const { definition } = validateSweepBody(random({ type: 'uniform', min: -8e307, max: 8e307 }), 1);
    const samples = [0, 1, 2, 3].map((i) => trialParameters(definition, i).lr);
    expect(new Set(samples).size).toBe(4);
  });

  test('a placeholder naming no parameter and a bad job template are reported under jobTemplate', () => {
    const unknown = {
      ...template,
      customToolkitSettings: { commandLine: 'python train.py --momentum {parameters.momentum}' },
    };
    expect(targetOf(() => validateSweepBody(body({ jobTemplate: unknown }), 1))).toBe(
      'properties.jobTemplate.customToolkitSettings.commandLine',
    );
    const { cluster: _cluster, ...withoutCluster } = template;
    expect(targetOf(() => validateSweepBody(body({ jobTemplate: withoutCluster }), 1))).toBe(
      'properties.jobTemplate.cluster',
    );
  });

  test('the seed defaults to the one given by the caller and the template secrets are kept apart', () => {
    const withSecret = { ...template, secrets: [{ name: 'TOKEN', value: 's3cret' }] };
    const { definition, secrets } = validateSweepBody(body({ jobTemplate: withSecret }), 1234);
    expect(definition.seed).toBe(1234);
    expect(JSON.stringify(definition)).not.toContain('s3cret');
    expect(secrets).toEqual({ 'properties.secrets[0].value': 's3cret' });
  });
});

describe('trial job body', () => {
  test('placeholders are replaced, parameters become AZ_BATCHAI_PARAM_ variables and secrets come back', () => {
    const withSecret = { ...template, secrets: [{ name: 'TOKEN', value: 's3cret' }] };
    const { definition, secrets } = validateSweepBody(body({ jobTemplate: withSecret }), 1);
    const trial = trialJobBody(definition.jobTemplate, { lr: 0.01, layers: 3 }, secrets);
    expect(trial.properties.customToolkitSettings).toEqual({
      commandLine: 'python train.py --lr 0.01 --layers 3',
    });
    expect(trial.properties.environmentVariables).toEqual([
      { name: 'AZ_BATCHAI_PARAM_LR', value: '0.01' },
      { name: 'AZ_BATCHAI_PARAM_LAYERS', value: '3' },
    ]);
    expect(trial.properties.secrets).toEqual([{ name: 'TOKEN', value: 's3cret' }]);
    expect(JSON.stringify(definition.jobTemplate)).toContain('{parameters.lr}'); // the template is unchanged
  });
});

describe('metric lines', () => {
  test('a metric line gives each name=value pair with the step', () => {
    expect(parseMetricLine('##batchai[metric] accuracy=0.91 loss=0.2 step=3')).toEqual([
      { name: 'accuracy', value: 0.91, step: 3 },
      { name: 'loss', value: 0.2, step: 3 },
    ]);
    expect(parseMetricLine('  ##batchai[metric] loss=1e-3\r')).toEqual([{ name: 'loss', value: 0.001 }]);
  });

  test('other lines and malformed values are ignored', () => {
    expect(parseMetricLine('epoch 3 accuracy=0.9')).toEqual([]);
    expect(parseMetricLine('##batchai[metric] accuracy=abc loss=NaN step=x')).toEqual([]);
    expect(parseMetricText('hello\n##batchai[metric] a=1\n##batchai[metric] a=2 step=7\n')).toEqual([
      { name: 'a', value: 1 },
      { name: 'a', value: 2, step: 7 },
    ]);
  });

  test('only complete lines are consumed while the log grows; everything once it is final', () => {
    const chunk = Buffer.from('##batchai[metric] a=1\n##batchai[metric] a=');
    expect(completeLinesLength(chunk, false)).toBe(22);
    expect(completeLinesLength(chunk, true)).toBe(chunk.length);
    expect(completeLinesLength(Buffer.from('partial'), false)).toBe(0);
  });

  test('every full read moves on: a line longer than a read is dropped up to its end, never half parsed', () => {
    const b = (text: string) => Buffer.from(text);
    // A full read from a line start that ends no line: all of it is dropped.
    expect(takeLines(b('xxxxxxxx'), false, true, false)).toEqual({ skipped: 8, length: 0 });
    // The read after it (inside that line): the rest of the line is skipped, the next lines are taken.
    expect(takeLines(b('xx a=1\nok\npart'), true, true, false)).toEqual({ skipped: 7, length: 3 });
    expect(takeLines(b('still the long line'), true, false, false)).toEqual({ skipped: 19, length: 0 });
    // A read that is not full waits for the end of its last line, unless the log is final.
    expect(takeLines(b('ok\npart'), false, false, false)).toEqual({ skipped: 0, length: 3 });
    expect(takeLines(b('ok\npart'), false, false, true)).toEqual({ skipped: 0, length: 7 });
    expect(completeLinesLength(b('10%\r20%\r30'), false)).toBe(8);
  });

  test('reports without a step are numbered after the ones already seen', () => {
    const reports = parseMetricText('##batchai[metric] a=1\n##batchai[metric] b=5\n##batchai[metric] a=2\n');
    expect(numberReports(reports, 'a', 4)).toEqual([
      { step: 4, value: 1 },
      { step: 5, value: 2 },
    ]);
  });
});

describe('early termination', () => {
  const median = { policy: 'median' as const, evaluationInterval: 10, delayEvaluation: 2 };

  test('median stopping stops a running trial worse than the median of finished trials at its step', () => {
    const trials: TrialProgress[] = [
      {
        name: 'done1',
        status: 'finished',
        series: series([
          [1, 0.5],
          [3, 0.8],
          [9, 0.95],
        ]),
      },
      {
        name: 'done2',
        status: 'finished',
        series: series([
          [1, 0.6],
          [3, 0.7],
          [9, 0.9],
        ]),
      },
      {
        name: 'good',
        status: 'running',
        series: series([
          [1, 0.5],
          [3, 0.76],
        ]),
      },
      {
        name: 'bad',
        status: 'running',
        series: series([
          [1, 0.1],
          [3, 0.2],
        ]),
      },
    ];
    const stop = trialsToStop(median, 'maximize', trials);
    expect(stop.map((s) => s.name)).toEqual(['bad']);
    expect(stop[0].reason).toContain('median 0.75');
  });

  test('a stop reason shows its figures as a person reads them, not as binary fractions', () => {
    const trials: TrialProgress[] = [
      { name: 'a', status: 'finished', series: series([[3, 0.6111125000000001]]) },
      { name: 'b', status: 'finished', series: series([[3, 0.6111125000000001]]) },
      { name: 'bad', status: 'running', series: series([[3, 0.1 + 0.2]]) },
    ];
    const [stop] = trialsToStop(median, 'maximize', trials);
    expect(stop.reason).toContain('best value 0.3 is worse than the median 0.611113 of 2');
  });

  test('median stopping waits for delayEvaluation and for a finished trial', () => {
    const early: TrialProgress[] = [
      { name: 'done', status: 'finished', series: series([[0, 0.9]]) },
      { name: 'bad', status: 'running', series: series([[1, 0.1]]) },
    ];
    expect(trialsToStop(median, 'maximize', early)).toEqual([]);
    const noneFinished: TrialProgress[] = [
      { name: 'a', status: 'running', series: series([[5, 0.9]]) },
      { name: 'bad', status: 'running', series: series([[5, 0.1]]) },
    ];
    expect(trialsToStop(median, 'maximize', noneFinished)).toEqual([]);
  });

  const bandit = {
    policy: 'bandit' as const,
    evaluationInterval: 10,
    delayEvaluation: 0,
    slackFactor: 0.2,
  };

  test('bandit stops trials outside the slack of the best one, for either goal', () => {
    const maximize: TrialProgress[] = [
      { name: 'best', status: 'running', series: series([[2, 0.9]]) },
      { name: 'close', status: 'running', series: series([[2, 0.8]]) }, // 0.9 / 1.2 = 0.75
      { name: 'far', status: 'running', series: series([[2, 0.7]]) },
    ];
    expect(trialsToStop(bandit, 'maximize', maximize).map((s) => s.name)).toEqual(['far']);
    const minimize: TrialProgress[] = [
      { name: 'best', status: 'finished', series: series([[2, 1.0]], 'minimize') },
      { name: 'close', status: 'running', series: series([[2, 1.1]], 'minimize') }, // 1.0 * 1.2 = 1.2
      { name: 'far', status: 'running', series: series([[2, 1.5]], 'minimize') },
    ];
    expect(trialsToStop(bandit, 'minimize', minimize).map((s) => s.name)).toEqual(['far']);
  });

  test('bandit never stops the best trial when the metric is negative (neg_mse, log-likelihood)', () => {
    // The slack on the best value's magnitude: maximize, -0.5 - 0.5 * 0.2 / 1.2 = -0.5833.
    const maximize: TrialProgress[] = [
      { name: 'best', status: 'running', series: series([[2, -0.5]]) },
      { name: 'close', status: 'running', series: series([[2, -0.55]]) },
      { name: 'far', status: 'running', series: series([[2, -0.6]]) },
    ];
    expect(trialsToStop(bandit, 'maximize', maximize).map((s) => s.name)).toEqual(['far']);
    // Minimize: -2 + 2 * 0.2 = -1.6.
    const minimize: TrialProgress[] = [
      { name: 'best', status: 'running', series: series([[2, -2.0]], 'minimize') },
      { name: 'close', status: 'running', series: series([[2, -1.7]], 'minimize') },
      { name: 'far', status: 'running', series: series([[2, -1.5]], 'minimize') },
    ];
    expect(trialsToStop(bandit, 'minimize', minimize).map((s) => s.name)).toEqual(['far']);
  });

  test('best value up to a step ignores later reports', () => {
    const s = series([
      [1, 0.2],
      [2, 0.5],
      [5, 0.9],
    ]);
    expect(bestUpTo(s, 3, 'maximize')).toBe(0.5);
    expect(bestUpTo(s, 0, 'maximize')).toBeUndefined();
  });
});

describe('best trial', () => {
  test('the best final value among succeeded trials wins, ties to the earlier trial', () => {
    const trials = [
      { index: 0, succeeded: true, final: 0.8 },
      { index: 1, succeeded: false, final: 0.99 },
      { index: 2, succeeded: true, final: 0.9 },
      { index: 3, succeeded: true, final: 0.9 },
      { index: 4, succeeded: true },
    ];
    expect(bestTrialIndex(trials, 'maximize')).toBe(2);
    expect(bestTrialIndex(trials, 'minimize')).toBe(0);
    expect(bestTrialIndex([{ index: 0, succeeded: false, final: 1 }], 'maximize')).toBeUndefined();
  });
});

describe('round planner', () => {
  const { definition } = validateSweepBody(body({ maxTrials: 4 }), 1) as { definition: SweepDefinition };

  test('never more than maxConcurrentTrials active, the next trial created as one finishes', () => {
    let state = initialRunState(0);
    let plan = planRound(definition, state, 0, false);
    expect(plan.create).toEqual([0, 1]);
    state = applyCreated(plan.state, [
      { index: 0, name: 'sw-t0' },
      { index: 1, name: 'sw-t1' },
    ]);
    expect(planRound(definition, state, 1000, false).create).toEqual([]);
    state = applyObservations(definition, state, [
      { name: 'sw-t0', state: 'succeeded', attempt: 1, offset: 10, points: [{ step: 0, value: 0.7 }] },
      { name: 'sw-t1', state: 'running', attempt: 1, offset: 5, points: [] },
    ]);
    plan = planRound(definition, state, 2000, false);
    expect(plan.create).toEqual([2]);
    const status = sweepStatus(definition, plan.state, false);
    expect(status.trialCounts).toMatchObject({ notStarted: 2, succeeded: 1, running: 1 });
    expect(status.bestTrial).toEqual({ name: 'sw-t0', parameters: { lr: 0.1, layers: 1 }, metric: 0.7 });
  });

  test('cancellation stops every active trial, creates none and ends as cancelled', () => {
    let state = applyCreated(initialRunState(0), [
      { index: 0, name: 'sw-t0' },
      { index: 1, name: 'sw-t1' },
    ]);
    const plan = planRound(definition, state, 0, true);
    expect(plan.create).toEqual([]);
    expect(plan.stop.map((s) => s.name)).toEqual(['sw-t0', 'sw-t1']);
    state = applyObservations(definition, plan.state, [
      { name: 'sw-t0', state: 'failed', attempt: 1, offset: 0, points: [] },
      { name: 'sw-t1', state: 'succeeded', attempt: 1, offset: 0, points: [] },
    ]);
    expect(isFinished(definition, state)).toBe(true);
    const status = sweepStatus(definition, state, true);
    expect(status.executionState).toBe('cancelled');
    expect(status.trialCounts).toMatchObject({ cancelled: 1, succeeded: 1, notStarted: 0 });
  });

  test('early termination is evaluated once per interval and a stopped trial counts as early-terminated', () => {
    const withPolicy: SweepDefinition = {
      ...definition,
      earlyTermination: { policy: 'bandit', evaluationInterval: 10, delayEvaluation: 0, slackFactor: 0.1 },
    };
    let state = applyCreated(initialRunState(0), [
      { index: 0, name: 'sw-t0' },
      { index: 1, name: 'sw-t1' },
    ]);
    state = applyObservations(withPolicy, state, [
      { name: 'sw-t0', state: 'running', attempt: 1, offset: 1, points: [{ step: 1, value: 0.9 }] },
      { name: 'sw-t1', state: 'running', attempt: 1, offset: 1, points: [{ step: 1, value: 0.1 }] },
    ]);
    expect(planRound(withPolicy, state, 9_000, false).stop).toEqual([]);
    const plan = planRound(withPolicy, state, 10_000, false);
    expect(plan.stop.map((s) => s.name)).toEqual(['sw-t1']);
    expect(planRound(withPolicy, plan.state, 12_000, false).stop).toEqual([]); // next evaluation at 20 s
    state = applyObservations(withPolicy, plan.state, [
      { name: 'sw-t1', state: 'failed', attempt: 1, offset: 1, points: [], error: 'JobTerminated' },
    ]);
    expect(sweepStatus(withPolicy, state, false).trialCounts.earlyTerminated).toBe(1);
  });
});

describe('names of Object.prototype', () => {
  const withCommandLine = (commandLine: string) => ({ ...template, customToolkitSettings: { commandLine } });

  test('a placeholder naming an Object.prototype member is an unknown parameter, named in the 400', () => {
    for (const commandLine of ['python train.py {{constructor}}', 'python train.py {parameters.toString}']) {
      expect(targetOf(() => validateSweepBody(body({ jobTemplate: withCommandLine(commandLine) }), 1))).toBe(
        'properties.jobTemplate.customToolkitSettings.commandLine',
      );
    }
  });

  test('the parameter names __proto__, constructor and prototype are refused, naming the field', () => {
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      // JSON.parse, as the API reads bodies: '__proto__' is then an own key of the object.
      const parameters = JSON.parse(
        `{"lr":{"type":"choice","values":[0.1]},"${name}":{"type":"int","min":1,"max":2}}`,
      );
      let error: unknown;
      try {
        validateSweepBody(body({ parameters }), 1);
      } catch (caught: unknown) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).target).toBe(`properties.parameters.${name}`);
      expect((error as ValidationError).message).toContain(`'${name}' is reserved`);
    }
  });

  test('substitution replaces only the trial parameters, never inherited members', () => {
    const trial = trialJobBody(
      withCommandLine('run {{constructor}} {parameters.lr} {parameters.toString}'),
      { lr: 0.5 },
      {},
    );
    expect(trial.properties.customToolkitSettings).toEqual({
      commandLine: 'run {{constructor}} 0.5 {parameters.toString}',
    });
  });
});

describe('random floats within their range', () => {
  test('a value rounded to 6 digits never passes the bounds of its range', () => {
    const space = {
      sampling: 'random' as const,
      seed: 3,
      parameters: {
        u: { type: 'uniform' as const, min: 0.999999, max: 0.9999999 },
        g: { type: 'loguniform' as const, min: 0.1234561, max: 0.1234569 },
      },
    };
    const values = Array.from({ length: 200 }, (_, i) => trialParameters(space, i));
    for (const { u, g } of values) {
      expect(u).toBeGreaterThanOrEqual(0.999999);
      expect(u).toBeLessThanOrEqual(0.9999999);
      expect(g).toBeGreaterThanOrEqual(0.1234561);
      expect(g).toBeLessThanOrEqual(0.1234569);
    }
    // Rounded values within the range stay as they were (6 significant digits), only the ones past it move.
    expect(values.map((v) => v.u)).toContain(0.9999999);
    expect(values.map((v) => v.u)).toContain(0.999999);
    // Instances older than 1.2 replay the unclamped values they computed.
    expect(Array.from({ length: 200 }, (_, i) => trialParameters(space, i, false).u)).toContain(1);
  });
});

describe('thinned metric history', () => {
  test('the first improvement is kept when the history is thinned, so the best value up to step 0 stays known', () => {
    // 300 improving reports from step 0: more than the 256 points kept, so the history is thinned.
    const s = series(Array.from({ length: 300 }, (_, i): [number, number] => [i, i / 1000]));
    expect(s.improvements.length).toBeLessThanOrEqual(257);
    expect(s.improvements[0]).toEqual([0, 0]);
    expect(bestUpTo(s, 0, 'maximize')).toBe(0);
    expect(bestUpTo(s, 299, 'maximize')).toBe(0.299);
    // Instances older than 1.2 replay the old thinning.
    const old = addReports(
      emptySeries(),
      Array.from({ length: 300 }, (_, i) => ({ step: i, value: i / 1000 })),
      'maximize',
      false,
    );
    expect(bestUpTo(old, 0, 'maximize')).toBeUndefined();
  });
});

describe('a trial that ends with stdout left to read', () => {
  const { definition } = validateSweepBody(body({ maxTrials: 4 }), 1) as { definition: SweepDefinition };

  test('it stays active until its stdout is read to the end, holding no slot and never stopped, then counts as ended', () => {
    let state = applyCreated(initialRunState(0), [
      { index: 0, name: 'sw-t0' },
      { index: 1, name: 'sw-t1' },
    ]);
    state = applyObservations(definition, state, [
      {
        name: 'sw-t0',
        state: 'succeeded',
        attempt: 1,
        offset: 4,
        points: [{ step: 0, value: 0.5 }],
        unread: true,
      },
      { name: 'sw-t1', state: 'running', attempt: 1, offset: 1, points: [] },
    ]);
    expect(state.trials[0]).toMatchObject({ phase: 'running', ended: 'succeeded' });
    expect(isFinished(definition, state)).toBe(false);
    const plan = planRound(definition, state, 1000, false);
    expect(plan.create).toEqual([2]); // its slot is free: only sw-t1 runs
    expect(planRound(definition, state, 1000, true).stop.map((s) => s.name)).toEqual(['sw-t1']);
    state = applyObservations(definition, plan.state, [
      { name: 'sw-t0', state: 'succeeded', attempt: 1, offset: 9, points: [{ step: 1, value: 0.93 }] },
    ]);
    expect(state.trials[0].phase).toBe('succeeded');
    expect(state.trials[0].ended).toBeUndefined();
    expect(sweepStatus(definition, state, false).bestTrial).toMatchObject({ name: 'sw-t0', metric: 0.93 });
  });
});
