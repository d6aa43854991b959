// A task's output sink for agent tests: what the task wrote, as text, and whether the agent closed it.
import type { OutputSink } from '../../../agent/taskProcess';

export class Collected implements OutputSink {
  text = '';
  closed = false;
  write(chunk: Buffer): void {
    this.text += chunk.toString('utf8');
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
