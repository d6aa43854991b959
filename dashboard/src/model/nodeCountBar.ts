// The node state bar of a cluster: Batch AI's nodeStateCounts turned into proportional segments and a text
// summary (the text is what screen readers get; the bar is decoration).

export type NodeState = 'idle' | 'running' | 'preparing' | 'unusable' | 'leaving';

export interface NodeCountSegment {
  state: NodeState;
  count: number;
  /** Width in percent of the bar, rounded to one decimal; segments with no node are left out. */
  percent: number;
}

export interface NodeCountBar {
  total: number;
  segments: NodeCountSegment[];
  summary: string;
}

const order: NodeState[] = ['running', 'idle', 'preparing', 'leaving', 'unusable'];

function countOf(counts: Record<string, unknown> | undefined, state: NodeState): number {
  const value = counts?.[`${state}NodeCount`];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export function nodeCountBar(counts: Record<string, unknown> | undefined): NodeCountBar {
  const all = order.map((state) => ({ state, count: countOf(counts, state) }));
  const total = all.reduce((sum, s) => sum + s.count, 0);
  const segments = all
    .filter((s) => s.count > 0)
    .map((s) => ({ ...s, percent: Math.round((s.count / total) * 1000) / 10 }));
  const summary =
    total === 0 ? 'No nodes' : segments.map((s) => `${s.count} ${s.state}`).join(', ') + ` of ${total}`;
  return { total, segments, summary };
}
