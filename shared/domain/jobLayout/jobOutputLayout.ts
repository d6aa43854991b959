// Batch AI's on-storage layout of a job: stdout/stderr under `{stdOutErrPathPrefix}/{segment}/stdouterr/` and each
// output directory at `{pathPrefix}/{segment}/outputs/{pathSuffix}` (segment = jobOutputDirectoryPathSegment).
// Attempt 1 uses exactly that layout; a retry n >= 2 writes below `{segment}/attempt-{n}/` so the earlier attempt's
// files stay readable (AZ_BATCHAI_PREV_OUTPUT_<id>) and nothing a finished attempt wrote is ever moved.
import { ValidationError } from '../errors';
import type { JsonObject } from '../specValidator';
import { batchAiNodeFileSystem, jobNodePaths, jobPathVariables } from './nodeFileSystem';
import { joinPosix } from './posixPath';
import { expandVariables, referencedVariables } from './variableExpansion';

export const STDOUTERR_DIRECTORY_ID = 'stdouterr';
const outputsFolder = 'outputs';

/** File names in the stdouterr directory, as Batch AI named them. */
export const stdOutErrFileNames = {
  stdout: 'stdout.txt',
  stderr: 'stderr.txt',
  /** The execution log the lifecycle writes (launch plan, node events, exit codes). */
  executionLog: 'execution.log',
  /** Job preparation: node 0 keeps Batch AI's names; other nodes add their index so nodes never share a file. */
  jobPreparation(nodeIndex: number): { stdout: string; stderr: string } {
    const suffix = nodeIndex === 0 ? '' : `-${nodeIndex}`;
    return { stdout: `stdout-job_prep${suffix}.txt`, stderr: `stderr-job_prep${suffix}.txt` };
  },
  /**
   * A node of the gang that runs none of the toolkit's processes itself (MPI workers, a custom toolkit's other
   * nodes): what its holding task or container printed, e.g. an image that could not be pulled there.
   */
  nodeHost(nodeIndex: number): { stdout: string; stderr: string } {
    return { stdout: `stdout-job_node-${nodeIndex}.txt`, stderr: `stderr-job_node-${nodeIndex}.txt` };
  },
  /** Per-task files: TensorFlow `stdout-wk-<i>.txt` / `stdout-ps-<i>.txt`, per-rank `stdout-<i>.txt`. */
  task(kind: 'worker' | 'parameterServer' | 'rank', index: number): { stdout: string; stderr: string } {
    const tag = kind === 'worker' ? `wk-${index}` : kind === 'parameterServer' ? `ps-${index}` : `${index}`;
    return { stdout: `stdout-${tag}.txt`, stderr: `stderr-${tag}.txt` };
  },
};

/** A stdout file name the agent writes (the names above): its stderr is the same name with `stderr`. */
const processStdout = /^stdout((?:-job_prep(?:-\d+)?|-job_node-\d+|-wk-\d+|-ps-\d+|-\d+)?)\.txt$/;

/**
 * The stderr files of the stdouterr directory missing beside its processes' stdout files (`stdout-wk-0.txt` ->
 * `stderr-wk-0.txt`), given every name in it. A process's agent makes the stderr blob at its first byte, so a
 * process that wrote none has only its stdout; other files (a user's own) are not looked at.
 */
export function missingStderrs(names: readonly string[]): string[] {
  const present = new Set(names);
  return names
    .map((name) => processStdout.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => `stderr${match[1]}.txt`)
    .filter((name) => !present.has(name));
}

/** The folder an attempt adds under the job's segment: none for attempt 1 (Batch AI's layout), `attempt-<n>` after. */
export function attemptFolder(attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new ValidationError('attempt', `'attempt' must be an integer of at least 1; it is ${attempt}.`);
  }
  return attempt === 1 ? '' : `attempt-${attempt}`;
}

export function stdOutErrDirectory(stdOutErrPathPrefix: string, segment: string, attempt: number): string {
  return joinPosix(stdOutErrPathPrefix, segment, attemptFolder(attempt), STDOUTERR_DIRECTORY_ID);
}

export function outputDirectory(
  pathPrefix: string,
  segment: string,
  pathSuffix: string | undefined,
  attempt: number,
): string {
  return joinPosix(pathPrefix, segment, attemptFolder(attempt), outputsFolder, pathSuffix);
}

export interface JobDirectories {
  /** AZ_BATCHAI_STDOUTERR_DIR of this attempt. */
  stdOutErr: string;
  /** Output directory id -> absolute path of this attempt (AZ_BATCHAI_OUTPUT_<id>). */
  outputs: Record<string, string>;
  /** Output directory id -> the previous attempt's path ('' on attempt 1: Batch AI left the variable empty). */
  previousOutputs: Record<string, string>;
  /** Input directory id -> expanded path (AZ_BATCHAI_INPUT_<id>). */
  inputs: Record<string, string>;
}

/**
 * Resolves a job's directories for one attempt. `variables` are the node variables the paths may reference
 * ($AZ_BATCHAI_MOUNT_ROOT, $AZ_BATCHAI_JOB_MOUNT_ROOT, ...). Prefixes must resolve to absolute paths: the
 * lifecycle creates them and lists their files, so an undefined reference is an error naming the field.
 */
export function jobDirectories(
  properties: JsonObject,
  segment: string,
  attempt: number,
  variables: Readonly<Record<string, string>>,
): JobDirectories {
  if (typeof segment !== 'string' || segment === '') {
    throw new ValidationError(
      'jobOutputDirectoryPathSegment',
      `'jobOutputDirectoryPathSegment' must be set.`,
    );
  }
  const stdOutErrPrefix = resolvePrefix(
    'properties.stdOutErrPathPrefix',
    properties.stdOutErrPathPrefix,
    variables,
  );
  // Maps by id without a prototype: an id is a key whatever its name (submissions refuse '__proto__' anyway).
  const outputs: Record<string, string> = Object.create(null) as Record<string, string>;
  const previousOutputs: Record<string, string> = Object.create(null) as Record<string, string>;
  listOf(properties.outputDirectories, 'properties.outputDirectories').forEach((directory, index) => {
    const field = `properties.outputDirectories[${index}]`;
    const id = requireText(`${field}.id`, directory.id);
    const prefix = resolvePrefix(`${field}.pathPrefix`, directory.pathPrefix, variables);
    const suffix =
      directory.pathSuffix === undefined
        ? undefined
        : withoutParentSegment(
            `${field}.pathSuffix`,
            expandVariables(requireText(`${field}.pathSuffix`, directory.pathSuffix), variables),
          );
    outputs[id] = outputDirectory(prefix, segment, suffix, attempt);
    previousOutputs[id] = attempt > 1 ? outputDirectory(prefix, segment, suffix, attempt - 1) : '';
  });
  const inputs: Record<string, string> = Object.create(null) as Record<string, string>;
  listOf(properties.inputDirectories, 'properties.inputDirectories').forEach((directory, index) => {
    const field = `properties.inputDirectories[${index}]`;
    inputs[requireText(`${field}.id`, directory.id)] = expandVariables(
      requireText(`${field}.path`, directory.path),
      variables,
    );
  });
  return {
    stdOutErr: stdOutErrDirectory(stdOutErrPrefix, segment, attempt),
    outputs,
    previousOutputs,
    inputs,
  };
}

/**
 * Resolves a job's directories at submission the way its launch will (Batch AI's node roots, a placeholder job
 * segment): a prefix that is relative, empty or refers to a variable the nodes do not define is a 400 naming the
 * field when the job is submitted, not a JobLaunchFailed later. The variable names are the same on every node
 * file system, and their values are always absolute, so what resolves here resolves on any node.
 */
export function checkJobDirectoryPaths(properties: JsonObject): void {
  const segment = 'segment';
  jobDirectories(properties, segment, 1, jobPathVariables(jobNodePaths(batchAiNodeFileSystem, segment)));
}

function resolvePrefix(field: string, value: unknown, variables: Readonly<Record<string, string>>): string {
  const expanded = expandVariables(requireText(field, value), variables);
  const unresolved = referencedVariables(expanded);
  if (unresolved.length > 0) {
    throw new ValidationError(
      field,
      `'${field}' refers to $${unresolved[0]}, which is not defined on the job's nodes.`,
    );
  }
  withoutParentSegment(field, expanded);
  if (!expanded.startsWith('/')) {
    throw new ValidationError(
      field,
      `'${field}' must be an absolute path (e.g. $AZ_BATCHAI_JOB_MOUNT_ROOT/logs); it is '${expanded}'.`,
    );
  }
  return expanded;
}

/**
 * A path that stays below where it is joined: no '..' segment (submissions are refused with one, `jobRules.ts`;
 * this also covers records written before that rule and values of variables).
 */
function withoutParentSegment(field: string, path: string): string {
  if (path.split('/').includes('..'))
    throw new ValidationError(field, `'${field}' must not contain a '..' segment; it is '${path}'.`);
  return path;
}

function requireText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw new ValidationError(field, `'${field}' must be a non-empty string.`);
  return value;
}

function listOf(value: unknown, field: string): JsonObject[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ValidationError(field, `'${field}' must be an array.`);
  return value.map((entry, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ValidationError(`${field}[${index}]`, `'${field}[${index}]' must be an object.`);
    }
    return entry as JsonObject;
  });
}
