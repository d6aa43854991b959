// Names of the per-node task queues: derived from cluster and node ids so both sides compute the same name,
// within Storage's queue-name rules (3-63 chars, lower-case letters, digits, single dashes).
import { createHash } from 'crypto';

export function nodeTaskQueueName(clusterKey: string, nodeId: string): string {
  const digest = createHash('sha256').update(`${clusterKey.toLowerCase()}|${nodeId}`).digest('hex');
  return `node-tasks-${digest.slice(0, 40)}`;
}

/** A short, stable, DNS-safe tag of a cluster (scale set names, local directories). */
export function clusterTag(clusterKey: string): string {
  const name = clusterKey.split('/').pop() ?? 'cluster';
  const safe = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 20);
  const digest = createHash('sha256').update(clusterKey.toLowerCase()).digest('hex').slice(0, 10);
  return `${safe}-${digest}`;
}
