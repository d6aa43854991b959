#!/usr/bin/env node
// Entry of the `batchai` CLI (dist/cli/main.js): az batchai's commands against this project's REST API.
import { runCli } from './cliRunner';

// A reader that stops early (`batchai job file stream ... | head`) closes the pipe: the next write fails with EPIPE,
// an 'error' event that would crash the CLI with a stack trace. The reader has all it wants: exit quietly, 0. (Notes
// to a closed stderr are dropped: the command goes on and its own exit code stands.)
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
process.stderr.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
