// Where the node agent's log lines go (one JSON object a line): stdout on a VM (systemd keeps it in the journal), or
// with `--log-file FILE` (local nodes: `<node dir>/agent.log`) a file that stays bounded, RotatingLogFile: a node
// that runs jobs for weeks keeps its last 10-20 MB of lines.
import { RotatingLogFile } from '../shared/logging/rotatingLogFile';
import type { AgentLog } from './nodeAgent';

/** A local node's log: rotated at this size (one older file kept). */
export const agentLogMaxBytes = 10 * 1024 * 1024;

export interface AgentLogOutput {
  log: AgentLog;
  /** Writes what is buffered (before the process exits). */
  close(): Promise<void>;
}

export function agentLogOutput(file: string | undefined, maxBytes = agentLogMaxBytes): AgentLogOutput {
  const line = (level: string, message: string): string =>
    JSON.stringify({ time: new Date().toISOString(), level, message });
  if (file === undefined) {
    return {
      log: (level, message) => void process.stdout.write(`${line(level, message)}\n`),
      close: async () => undefined,
    };
  }
  const out = new RotatingLogFile(file, maxBytes);
  return { log: (level, message) => out.write(line(level, message)), close: () => out.close() };
}
