// `batchai job create|show|list|delete|terminate|wait`, `job file list|stream` and `job node list`.
import { warnUnknownProperties } from '../unknownPropertyWarnings';
import type { Job } from '../../shared/client/batchAiTypes';
import type { OptionSpec } from '../argumentParser';
import type { CommandContext, CommandSpec } from '../commandSpec';
import {
  experimentOption,
  collectResults,
  maxResultsOption,
  pageOptions,
  nameOption,
  noWaitOption,
  resourceGroupOption,
  workspaceOption,
  yesOption,
} from '../commonOptions';
import { jobConfigFile, jobCreateParameters } from '../jobParameters';
import { streamOutputFile } from '../outputFileStreamer';
import { mountOptions } from '../storageMounts';
import { finish, finishDelete } from './longRunning';

const jobName = nameOption('job');
const jobOption: OptionSpec = {
  name: 'job',
  short: 'j',
  type: 'string',
  required: true,
  description: 'Name of job.',
};
const scope = [resourceGroupOption, workspaceOption, experimentOption];
const outputDirectoryOption: OptionSpec = {
  name: 'output-directory-id',
  short: 'd',
  type: 'string',
  default: 'stdouterr',
  description: "Id of the job's output directory (an outputDirectories id, or stdouterr).",
};
const pathOption: OptionSpec = {
  name: 'path',
  short: 'p',
  type: 'string',
  default: '.',
  description: 'Relative path in the output directory.',
};

function intervalOption(defaultSeconds: number): OptionSpec {
  return {
    name: 'interval',
    type: 'number',
    minimum: 0,
    default: defaultSeconds,
    description: `Seconds between checks. Default ${defaultSeconds}.`,
  };
}

/** The (resource group, workspace, experiment, job) of a command, the job named by `flag`. */
function jobRef(context: CommandContext, flag: 'name' | 'job'): [string, string, string, string] {
  const { options } = context;
  return [
    options.requiredText('resource-group'),
    options.requiredText('workspace'),
    options.requiredText('experiment'),
    options.requiredText(flag),
  ];
}

const FINISHED = new Set(['succeeded', 'failed']);

/**
 * az sets the process exit code to the job's: its exitCode, else 0 for succeeded and 1 for failed. A process exit
 * code is 0 to 255: a job's code outside it, or one the shell would read as 0 (256, 512), exits 1 when non-zero.
 */
export function jobExitCode(job: Job): number {
  const exitCode = job.properties?.executionInfo?.exitCode;
  const code =
    job.properties?.executionState === 'failed'
      ? typeof exitCode === 'number' && exitCode !== 0
        ? exitCode
        : 1
      : typeof exitCode === 'number'
        ? exitCode
        : 0;
  return code >= 0 && code <= 255 ? code : 1;
}

/**
 * The line `job wait` prints: `Job j: succeeded, exit code 0.`, or for a job that ended without an exit code of its
 * own (terminated, failed to start) its errors instead of an invented code: `Job j: failed (JobTerminated: ...).`
 */
export function jobOutcome(name: string, job: Job): string {
  const state = job.properties?.executionState ?? 'unknown';
  const info = job.properties?.executionInfo;
  if (typeof info?.exitCode === 'number') return `Job ${name}: ${state}, exit code ${info.exitCode}.`;
  const errors = (info?.errors ?? [])
    .map((e) => [e.code, e.message].filter((t) => t !== undefined && t !== '').join(': '))
    .filter((t) => t !== '');
  if (errors.length > 0) return `Job ${name}: ${state}, no exit code (${errors.join('; ')}).`;
  return state === 'failed' ? `Job ${name}: failed, no exit code.` : `Job ${name}: ${state}.`;
}

/** Stderr note for an empty node list: only nodes with an SSH endpoint are listed, and local nodes have none. */
export const NO_REMOTE_LOGIN_NOTE =
  'No node offers a remote login (SSH endpoint): only such nodes are listed. Local nodes (npm start) never do; ' +
  "see the dashboard or 'batchai cluster show' for the node counts.\n";

export const jobCommands: CommandSpec[] = [
  {
    path: ['job', 'create'],
    summary: 'Create (submit) a job.',
    options: [
      ...scope,
      jobName,
      {
        name: 'cluster',
        short: 'c',
        type: 'string',
        description: 'Name or ARM id of the cluster to run the job.',
      },
      {
        name: 'config-file',
        short: 'f',
        type: 'string',
        required: true,
        description: 'JSON file with JobCreateParameters (a Batch AI job.json).',
      },
      ...mountOptions,
      noWaitOption,
    ],
    examples: ['batchai job create -g rg -w ws -e exp -n job -c nc6 -f job.json --storage-account-name acct'],
    async run(context) {
      const { client, subscriptionId, io } = context;
      const [resourceGroup, workspace, experiment, job] = jobRef(context, 'name');
      const target = { subscriptionId, resourceGroup, workspace, cwd: io.cwd };
      const config = jobConfigFile(context.options, target);
      const parameters = jobCreateParameters(context.options, target, config);
      // The file as written, with what the flags completed: keys beside `properties` are not sent, and said so.
      await warnUnknownProperties(
        context,
        'JobCreateParameters',
        { ...config, ...parameters },
        context.options.requiredText('config-file'),
      );
      const poller = await client.jobs.beginCreate(resourceGroup, workspace, experiment, job, parameters);
      return { value: await finish(context, poller), view: 'job' };
    },
  },
  {
    path: ['job', 'show'],
    summary: 'Show a job.',
    options: [...scope, jobName],
    async run(context) {
      return { value: await context.client.jobs.get(...jobRef(context, 'name')), view: 'job' };
    },
  },
  {
    path: ['job', 'list'],
    summary: 'List the jobs of an experiment.',
    options: [...scope, maxResultsOption],
    async run({ client, options }) {
      const list = client.jobs.listByExperiment(
        options.requiredText('resource-group'),
        options.requiredText('workspace'),
        options.requiredText('experiment'),
        pageOptions(options),
      );
      return { value: await collectResults(list, options), view: 'job' };
    },
  },
  {
    path: ['job', 'terminate'],
    summary: 'Terminate a job.',
    options: [...scope, jobName, yesOption, noWaitOption],
    async run(context) {
      await finish(context, await context.client.jobs.beginTerminate(...jobRef(context, 'name')));
      return {};
    },
  },
  {
    path: ['job', 'delete'],
    summary: 'Delete a job.',
    options: [...scope, jobName, yesOption, noWaitOption],
    async run(context) {
      await finishDelete(context, await context.client.jobs.beginDelete(...jobRef(context, 'name')), 'job');
      return {};
    },
  },
  {
    path: ['job', 'wait'],
    summary: "Wait for a job to finish; the process exits with the job's exit code.",
    options: [...scope, jobName, intervalOption(15)],
    async run(context) {
      const ref = jobRef(context, 'name');
      const intervalMs = (context.options.number('interval') ?? 15) * 1000;
      for (;;) {
        const job = await context.client.jobs.get(...ref);
        const state = job.properties?.executionState;
        if (state && FINISHED.has(state)) {
          const exitCode = jobExitCode(job);
          context.io.stderr(`${jobOutcome(ref[3], job)}\n`);
          return { exitCode };
        }
        await context.sleep(intervalMs);
      }
    },
  },
  {
    path: ['job', 'file', 'list'],
    summary: "List a job's output files (with download links).",
    options: [
      ...scope,
      jobOption,
      outputDirectoryOption,
      pathOption,
      {
        name: 'expiry',
        type: 'integer',
        minimum: 5,
        maximum: 600,
        default: 60,
        description: 'Minutes the download links stay valid.',
      },
      maxResultsOption,
    ],
    examples: ['batchai job file list -g rg -w ws -e exp -j job -d stdouterr -o table'],
    async run(context) {
      const { options } = context;
      const list = context.client.jobs.listOutputFiles(...jobRef(context, 'job'), {
        outputDirectoryId: options.requiredText('output-directory-id'),
        directory: options.text('path'),
        linkExpiryInMinutes: options.integer('expiry'),
        ...pageOptions(options),
      });
      return { value: await collectResults(list, options), view: 'file' };
    },
  },
  {
    path: ['job', 'file', 'stream'],
    summary: "Print an output file as it grows (like 'tail -f') until the job ends.",
    options: [
      ...scope,
      jobOption,
      { name: 'file-name', short: 'f', type: 'string', required: true, description: 'The file to stream.' },
      outputDirectoryOption,
      pathOption,
      intervalOption(5),
    ],
    examples: ['batchai job file stream -g rg -w ws -e exp -j job -f stdout.txt'],
    async run(context) {
      const { client, options, io } = context;
      const ref = jobRef(context, 'job');
      const directory = options.text('path') ?? '.';
      const outcome = await streamOutputFile(
        {
          listFiles: () =>
            client.jobs
              .listOutputFiles(...ref, {
                outputDirectoryId: options.requiredText('output-directory-id'),
                directory,
              })
              .toArray(),
          getJob: () => client.jobs.get(...ref),
        },
        {
          fileName: options.requiredText('file-name'),
          directory,
          intervalMs: (options.number('interval') ?? 5) * 1000,
          fetch: io.fetch ?? ((input, init) => fetch(input, init)),
          sleep: (ms) => context.sleep(ms),
          write: (text) => io.stdout(text),
          note: (text) => io.stderr(text),
        },
      );
      if (!outcome.found) {
        io.stderr(
          `The job ended (${String(outcome.executionState)}) without creating '${options.text('file-name')}'` +
            `${outcome.otherFiles.length ? `; the directory has: ${outcome.otherFiles.join(', ')}` : ''}.\n`,
        );
        return { exitCode: 1 }; // nothing was streamed: a script must not take that for the file
      }
      return {};
    },
  },
  {
    path: ['job', 'node', 'list'],
    summary: 'List the nodes running the job with their SSH endpoints.',
    options: [...scope, jobOption],
    async run(context) {
      const list = await context.client.jobs.listRemoteLoginInformation(...jobRef(context, 'job')).toArray();
      if (list.length === 0) context.io.stderr(NO_REMOTE_LOGIN_NOTE);
      return { value: list, view: 'node' };
    },
  },
];
