// What a CLI command is: its words (`job file list`), its flags, and a run function that talks to the service and
// returns what to print; printing, errors and exit codes are the runner's business.
import type { BatchAiClient } from '../shared/client/batchAiClient';
import type { FetchFunction } from '../shared/client/restPipeline';
import type { OptionSpec } from './argumentParser';
import type { CommandOptions } from './commandOptions';
import type { OutputView } from './outputFormatter';

/** The process around the CLI, injectable so tests run commands in-process. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Replaces the global fetch (tests). */
  fetch?: FetchFunction;
  /** Replaces timers in wait loops (tests). */
  sleep?: (ms: number) => Promise<void>;
}

export interface CommandContext {
  client: BatchAiClient;
  options: CommandOptions;
  io: CommandIo;
  subscriptionId: string;
  sleep(ms: number): Promise<void>;
}

export interface CommandResult {
  /** Printed in the chosen output format; undefined prints nothing (e.g. --no-wait, delete). */
  value?: unknown;
  /** Which table columns to use for `-o table`. */
  view?: OutputView;
  /** Non-zero to fail the process (job wait: the job's exit code). */
  exitCode?: number;
}

export interface CommandSpec {
  /** The words after `batchai`, e.g. ['cluster', 'node', 'list']. */
  path: readonly string[];
  summary: string;
  options: readonly OptionSpec[];
  examples?: readonly string[];
  run(context: CommandContext): Promise<CommandResult>;
}
