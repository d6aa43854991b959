// The OpenAPI (swagger 2.0) description of this service's extensions of Batch AI 2018-05-01: sweeps, scoring rules,
// job schedules, role assignments, the operation status/result URLs, the job's queueInfo/attempts properties and a
// failed file server's errors.
// Kept apart from the untouched Batch AI spec and merged into it at serve time (servedOpenApi.ts).

type Json = Record<string, unknown>;

export const EXTENSION_TAG = 'Extensions';
const ref = (name: string): Json => ({ $ref: `#/definitions/${name}` });
const param = (name: string): Json => ({ $ref: `#/parameters/${name}` });
const pathName = (name: string, description: string): Json => ({
  name,
  in: 'path',
  required: true,
  type: 'string',
  description,
});

const RG = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.BatchAI';
const WS = `${RG}/workspaces/{workspaceName}`;
const EXP = `${WS}/experiments/{experimentName}`;
const LOCATION = '/subscriptions/{subscriptionId}/providers/Microsoft.BatchAI/locations/{location}';

const workspaceScope = [
  param('SubscriptionIdParameter'),
  param('ResourceGroupNameParameter'),
  param('WorkspaceNameParameter'),
];
const experimentScope = [...workspaceScope, param('ExperimentNameParameter')];
const apiVersion = param('ApiVersionParameter');
const cloudError = {
  description: 'Error response describing why the operation failed.',
  schema: ref('CloudError'),
};

interface OperationInput {
  operationId: string;
  description: string;
  parameters: Json[];
  responses: Record<string, Json>;
  longRunning?: boolean;
  pageable?: boolean;
  body?: string;
}

function operation(input: OperationInput): Json {
  const parameters = [...input.parameters, apiVersion];
  if (input.body)
    parameters.push({ name: 'parameters', in: 'body', required: true, schema: ref(input.body) });
  return {
    tags: [EXTENSION_TAG],
    operationId: input.operationId,
    description: input.description,
    'x-batchai-extension': true,
    parameters,
    responses: { ...input.responses, default: cloudError },
    ...(input.longRunning ? { 'x-ms-long-running-operation': true } : {}),
    ...(input.pageable ? { 'x-ms-pageable': { nextLinkName: 'nextLink' } } : {}),
  };
}

const ok = (description: string, definition?: string): Json => ({
  description,
  ...(definition ? { schema: ref(definition) } : {}),
});

/** GET list + GET/PUT/DELETE item of a synchronous child resource of a workspace or experiment. */
function crudPaths(options: {
  base: string;
  scope: Json[];
  segment: string;
  nameParameter: string;
  group: string;
  definition: string;
  what: string;
}): Record<string, Json> {
  const { base, scope, segment, nameParameter, group, definition, what } = options;
  const name = pathName(nameParameter, `The name of the ${what}.`);
  return {
    [`${base}/${segment}`]: {
      get: operation({
        operationId: `${group}_List`,
        description: `Lists the ${what}s (pages of maxresults, continued by nextLink).`,
        parameters: [...scope, param('MaxResultsParameter')],
        responses: { 200: ok(`The ${what}s.`, `${definition}ListResult`) },
        pageable: true,
      }),
    },
    [`${base}/${segment}/{${nameParameter}}`]: {
      get: operation({
        operationId: `${group}_Get`,
        description: `Gets a ${what}.`,
        parameters: [...scope, name],
        responses: { 200: ok(`The ${what}.`, definition) },
      }),
      put: operation({
        operationId: `${group}_CreateOrUpdate`,
        description: `Creates (201) or replaces (200) a ${what}.`,
        parameters: [...scope, name],
        body: definition,
        responses: { 200: ok('Replaced.', definition), 201: ok('Created.', definition) },
      }),
      delete: operation({
        operationId: `${group}_Delete`,
        description: `Deletes a ${what}.`,
        parameters: [...scope, name],
        responses: { 200: ok('Deleted.'), 204: ok('It did not exist.') },
      }),
    },
  };
}

const sweepName = pathName('sweepName', 'The name of the sweep (at most 58 characters).');
const operationId = pathName('operationId', 'The id of the long-running operation.');
const location = pathName('location', 'The region.');

export const extensionPaths: Record<string, Json> = {
  [`${LOCATION}/operationstatuses/{operationId}`]: {
    get: operation({
      operationId: 'OperationStatuses_Get',
      description: 'The Azure-AsyncOperation URL of a long-running operation: its status.',
      parameters: [param('SubscriptionIdParameter'), location, operationId],
      responses: { 200: ok('The status.', 'AsyncOperationStatus') },
    }),
  },
  [`${LOCATION}/operationresults/{operationId}`]: {
    get: operation({
      operationId: 'OperationResults_Get',
      description:
        'The Location URL of a long-running operation: 202 while it runs, then the created resource (200), ' +
        '200 without body for an action, 204 for a delete.',
      parameters: [param('SubscriptionIdParameter'), location, operationId],
      responses: { 200: ok('Done.'), 202: ok('Still running.'), 204: ok('Deleted.') },
    }),
  },
  [`${EXP}/sweeps`]: {
    get: operation({
      operationId: 'Sweeps_ListByExperiment',
      description: 'Lists the parameter sweeps of an experiment.',
      parameters: [...experimentScope, param('MaxResultsParameter')],
      responses: { 200: ok('The sweeps.', 'SweepListResult') },
      pageable: true,
    }),
  },
  [`${EXP}/sweeps/{sweepName}`]: {
    get: operation({
      operationId: 'Sweeps_Get',
      description: 'Gets a sweep with its status, trial counts, best trial and trials.',
      parameters: [...experimentScope, sweepName],
      responses: { 200: ok('The sweep.', 'Sweep') },
    }),
    put: operation({
      operationId: 'Sweeps_Create',
      description:
        'Creates a sweep and starts it (201); the same body again answers 200; a different one 409.',
      parameters: [...experimentScope, sweepName],
      body: 'SweepCreateParameters',
      responses: { 200: ok('It already exists with this body.', 'Sweep'), 201: ok('Created.', 'Sweep') },
    }),
    delete: operation({
      operationId: 'Sweeps_Delete',
      description:
        'Deletes a sweep (its trial jobs stay). A running sweep is cancelled first: 202, the record goes once ' +
        'its trials stopped.',
      parameters: [...experimentScope, sweepName],
      responses: { 200: ok('Deleted.'), 202: ok('Cancelling, then deleted.'), 204: ok('It did not exist.') },
      longRunning: true,
    }),
  },
  [`${EXP}/sweeps/{sweepName}/cancel`]: {
    post: operation({
      operationId: 'Sweeps_Cancel',
      description: 'Terminates the running trials and creates no more; the sweep ends cancelled.',
      parameters: [...experimentScope, sweepName],
      responses: { 200: ok('The sweep.', 'Sweep') },
    }),
  },
  ...crudPaths({
    base: WS,
    scope: workspaceScope,
    segment: 'scoringRules',
    nameParameter: 'scoringRuleName',
    group: 'ScoringRules',
    definition: 'ScoringRule',
    what: 'scoring rule',
  }),
  ...crudPaths({
    base: WS,
    scope: workspaceScope,
    segment: 'jobSchedules',
    nameParameter: 'jobScheduleName',
    group: 'JobSchedules',
    definition: 'JobSchedule',
    what: 'job schedule',
  }),
  ...crudPaths({
    base: WS,
    scope: workspaceScope,
    segment: 'roleAssignments',
    nameParameter: 'principalId',
    group: 'RoleAssignments',
    definition: 'RoleAssignment',
    what: 'role assignment',
  }),
};

const str = (description: string, extra: Json = {}): Json => ({ type: 'string', description, ...extra });
const int = (description: string, extra: Json = {}): Json => ({
  type: 'integer',
  format: 'int32',
  description,
  ...extra,
});
const num = (description: string): Json => ({ type: 'number', format: 'double', description });
const readOnly = (schema: Json): Json => ({ ...schema, readOnly: true });
const time = (description: string): Json => readOnly(str(description, { format: 'date-time' }));

function resource(properties: string, description: string): Json {
  return {
    description,
    allOf: [ref('ProxyResource')],
    properties: { properties: { ...ref(properties), 'x-ms-client-flatten': true } },
  };
}

const listResult = (item: string): Json => ({
  description: `A page of ${item}s.`,
  properties: {
    value: readOnly({ type: 'array', items: ref(item) }),
    nextLink: readOnly(str('The URL of the next page.')),
  },
});

const jobTemplate: Json = {
  description: 'A job body (JobCreateParameters) with placeholders replaced per job.',
  ...ref('JobCreateParameters'),
};

export const extensionDefinitions: Record<string, Json> = {
  AsyncOperationStatus: {
    description: 'The status of a long-running operation.',
    properties: {
      id: str('The operation id.'),
      name: str('The operation id.'),
      status: str('InProgress, Succeeded, Failed or Canceled.'),
      startTime: str('When it started.', { format: 'date-time' }),
      endTime: str('When it ended.', { format: 'date-time' }),
      error: ref('CloudErrorBody'),
    },
  },
  SweepParameter: {
    description: 'One parameter of the search space.',
    required: ['type'],
    properties: {
      type: str('The distribution.', { enum: ['choice', 'int', 'uniform', 'loguniform'] }),
      values: { type: 'array', items: {}, description: 'The values of a choice.' },
      min: num('Lower bound (int, uniform, loguniform).'),
      max: num('Upper bound (int, uniform, loguniform).'),
    },
  },
  SweepObjective: {
    description: 'The metric the sweep optimizes, as the trials print it (##batchai[metric] name=value).',
    required: ['metric', 'goal'],
    properties: { metric: str('Metric name.'), goal: str('Direction.', { enum: ['maximize', 'minimize'] }) },
  },
  SweepEarlyTermination: {
    description: 'Stops clearly poor trials early.',
    properties: {
      policy: str('The policy.', { enum: ['bandit', 'median'] }),
      evaluationInterval: int('Seconds between evaluations.'),
      delayEvaluation: int('A trial is not judged before it reported this step.'),
      slackFactor: num('Bandit slack (ratio).'),
    },
  },
  SweepTrialCounts: {
    description: 'Trials per state.',
    properties: Object.fromEntries(
      ['notStarted', 'queued', 'running', 'succeeded', 'failed', 'earlyTerminated', 'cancelled'].map((s) => [
        s,
        readOnly(int(`Trials ${s}.`)),
      ]),
    ),
  },
  SweepTrial: {
    description: 'One trial: a job of the experiment named <sweep>-t<index>.',
    properties: {
      name: readOnly(str('The trial job name.')),
      parameters: readOnly({
        type: 'object',
        additionalProperties: {},
        description: 'Its parameter values.',
      }),
      state: readOnly(str('The trial state.')),
      metric: readOnly(num('The last value of the objective it printed.')),
      step: readOnly(int('The step of that value.')),
      reason: readOnly(str('Why it stopped or failed.')),
    },
  },
  SweepBestTrial: {
    description: 'The best trial so far.',
    properties: {
      name: readOnly(str('The trial job name.')),
      parameters: readOnly({
        type: 'object',
        additionalProperties: {},
        description: 'Its parameter values.',
      }),
      metric: readOnly(num('Its metric.')),
    },
  },
  SweepProperties: {
    description: 'A parameter sweep: its definition and read-only status.',
    required: ['jobTemplate', 'parameters'],
    properties: {
      jobTemplate: {
        description: 'The properties of a job (JobCreateParameters.properties) with {parameters.<name>}.',
        ...ref('JobBaseProperties'),
      },
      parameters: {
        type: 'object',
        additionalProperties: ref('SweepParameter'),
        description: 'Search space.',
      },
      sampling: str('grid (default) or random.', { enum: ['grid', 'random'] }),
      maxTrials: int('Number of trials (at most 1000).'),
      maxConcurrentTrials: int('Trials at once (at most 200).'),
      seed: int('Random seed (the service picks and stores one by default).'),
      objective: ref('SweepObjective'),
      earlyTermination: ref('SweepEarlyTermination'),
      creationTime: time('When it was created.'),
      provisioningState: readOnly(str('succeeded or deleting.')),
      cancelRequested: readOnly({ type: 'boolean', description: 'A cancel is in progress.' }),
      executionState: readOnly(str('running, succeeded, failed or cancelled.')),
      executionStateTransitionTime: time('When the execution state last changed.'),
      trialCounts: readOnly(ref('SweepTrialCounts')),
      bestTrial: readOnly(ref('SweepBestTrial')),
      trials: readOnly({ type: 'array', items: ref('SweepTrial'), description: 'The trials.' }),
      error: readOnly(ref('BatchAIError')),
    },
  },
  SweepCreateParameters: {
    description: 'The body of Sweeps_Create.',
    required: ['properties'],
    properties: { properties: ref('SweepProperties') },
  },
  Sweep: resource('SweepProperties', 'A parameter sweep under an experiment.'),
  SweepListResult: listResult('Sweep'),
  ScoringRuleProperties: {
    description: 'When a blob lands in the source, run the job template over it (or over a batch).',
    required: ['source', 'experimentName', 'jobTemplate'],
    properties: {
      source: {
        description: 'Which blobs trigger it.',
        properties: {
          storageAccount: str('Storage account (any by default).'),
          container: str('Container.'),
          blobPrefix: str('Blob name prefix.'),
          blobSuffix: str('Blob name suffix.'),
          caseSensitive: { type: 'boolean', description: 'Default false.' },
        },
      },
      experimentName: str('The experiment the jobs go to.'),
      jobTemplate,
      batching: {
        description: 'One job per window of blobs.',
        properties: { windowSeconds: int('Window length.'), maxBlobs: int('At most 200 blobs a job.') },
      },
      enabled: { type: 'boolean', description: 'Default true.' },
      provisioningState: readOnly(str('succeeded.')),
      creationTime: time('When it was created.'),
      lastModifiedTime: time('When it last changed.'),
    },
  },
  ScoringRule: resource('ScoringRuleProperties', 'A scoring rule under a workspace.'),
  ScoringRuleListResult: listResult('ScoringRule'),
  JobScheduleProperties: {
    description: 'Creates a job from the template at each NCRONTAB occurrence.',
    required: ['schedule', 'experimentName', 'jobTemplate'],
    properties: {
      schedule: str('Six-field NCRONTAB in UTC, at most once a minute.'),
      experimentName: str('The experiment the jobs go to.'),
      jobTemplate,
      overlapPolicy: str('skip (default) or allow.', { enum: ['skip', 'allow'] }),
      startTime: str('Occurrences before it are never due.', { format: 'date-time' }),
      enabled: { type: 'boolean', description: 'Default true.' },
      provisioningState: readOnly(str('succeeded.')),
      creationTime: time('When it was created.'),
      lastModifiedTime: time('When it last changed.'),
      nextRunTime: time('The next due time.'),
      lastJobName: readOnly(str('The last job created.')),
      lastRun: readOnly({
        description: 'The last due time handled.',
        properties: {
          dueTime: str('Due time.', { format: 'date-time' }),
          result: str('created, existing (its job was there already), skipped or failed.'),
          jobName: str('The job.'),
          message: str('Why it was skipped or failed.'),
          missed: int('Due times collapsed into this one.'),
        },
      }),
    },
  },
  JobSchedule: resource('JobScheduleProperties', 'A job schedule under a workspace.'),
  JobScheduleListResult: listResult('JobSchedule'),
  RoleAssignmentProperties: {
    description: "A principal's role on the workspace.",
    required: ['role'],
    properties: {
      role: str('The role.', { enum: ['reader', 'contributor', 'owner'] }),
      principalType: str('Default User.', { enum: ['User', 'Group', 'ServicePrincipal'] }),
      principalId: readOnly(str('Entra object id.')),
      scope: readOnly(str('The workspace id.')),
      createdOn: time('When it was created.'),
      updatedOn: time('When it last changed.'),
      createdBy: readOnly(str('Who created it.')),
    },
  },
  RoleAssignment: resource('RoleAssignmentProperties', 'A role assignment on a workspace.'),
  RoleAssignmentListResult: listResult('RoleAssignment'),
  JobQueueInfo: {
    description: 'Why a queued job waits (removed when it starts).',
    properties: {
      position: readOnly(int('Position in the cluster queue (1 = next).')),
      reason: readOnly(
        str(
          'WaitReason code, e.g. WaitingForRunningJobs, InsufficientFreeNodes; NotYetConsidered while no scheduling pass has reached the job (a pass looks at the head of the queue).',
        ),
      ),
      message: readOnly(str('Human-readable explanation.')),
      nodesNeeded: readOnly(int('Nodes the job needs.')),
      nodesFree: readOnly(int('Nodes free now.')),
      blockedByJobId: readOnly(str('The job holding a reservation ahead of it.')),
      expectedStartTime: time('Estimated start.'),
      updatedTime: time(
        'When the scheduler computed this: a new reason is written at once, moved figures (position, free nodes) at most every 15 s.',
      ),
    },
  },
  JobAttempt: {
    description: 'One run of the job (a preempted job runs again).',
    properties: {
      attempt: readOnly(int('1, 2, ...')),
      nodeIds: readOnly({ type: 'array', items: { type: 'string' }, description: 'Its nodes.' }),
      startTime: time('Start.'),
      endTime: time('End.'),
      exitCode: readOnly(int('Exit code.')),
      outcome: readOnly(str('succeeded, failed, terminated, wallClockExceeded or preempted.')),
      reason: readOnly(
        str(
          'For a preempted attempt, what happened to its nodes: an eviction, a lost node, a node agent restarted.',
        ),
      ),
    },
  },
};

/** The most jobs a node can be given at once (`jobSlotsPerNode`). */
const maxJobSlotsPerNode = 64;

const jobSlotsPerNode: Json = {
  type: 'integer',
  format: 'int32',
  minimum: 1,
  maximum: maxJobSlotsPerNode,
  description:
    'How many jobs a node runs at once (default 1: a job has its nodes to itself, as in Batch AI). With more, the ' +
    "scheduler packs jobs onto the nodes' free slots; a gang job takes one slot on each of its nodes. Jobs sharing " +
    'a node share its CPUs and memory; each gets an equal part of its GPUs, at least one (CUDA_VISIBLE_DEVICES; a ' +
    'container sees only those devices), so more jobs than GPUs share them. Set when the cluster is created; it ' +
    'cannot change.',
  'x-batchai-extension': true,
};

/**
 * Writable extension properties of Batch AI request definitions (definition name -> properties): request validation
 * reads them as part of the definition (batchAiSpec.ts), and the served document shows them.
 */
export const requestExtensionProperties: Record<string, Record<string, Json>> = {
  ClusterBaseProperties: { jobSlotsPerNode },
};

/** Extension properties added to existing Batch AI definitions (definition name -> properties). */
export const extensionProperties: Record<string, Record<string, Json>> = {
  ...requestExtensionProperties,
  ClusterProperties: { jobSlotsPerNode },
  FileServerProperties: {
    errors: {
      ...readOnly({
        type: 'array',
        items: ref('BatchAIError'),
        description:
          'Why the file server failed to provision (provisioningState failed); its create operation reports the same.',
      }),
      'x-batchai-extension': true,
    },
  },
  JobProperties: {
    queueInfo: { ...readOnly(ref('JobQueueInfo')), 'x-batchai-extension': true },
    attempts: {
      ...readOnly({ type: 'array', items: ref('JobAttempt'), description: 'The attempts, oldest first.' }),
      'x-batchai-extension': true,
    },
  },
};
