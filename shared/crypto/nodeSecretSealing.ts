// Secrets on their way to nodes: sealed with the cluster's node data key (AES-256-GCM), each bound to where it
// belongs (a task id, the cluster's setup task, one mount), so what rides on queues and in custom data is ciphertext.
import { randomBytes } from 'crypto';
import { AesGcmSecretProtector } from './aesGcmSecretProtector';

/** A sealed value that does not open: tampered with, copied from elsewhere, or sealed with another key. */
export class SealedValueError extends Error {
  constructor(readonly what: string) {
    super(
      `The sealed ${what} could not be opened: it was altered, belongs to another task or cluster, or the node ` +
        'has a different node data key.',
    );
    this.name = 'SealedValueError';
  }
}

export const nodeDataKeyBytes = 32;

export function generateNodeDataKey(): Buffer {
  return randomBytes(nodeDataKeyBytes);
}

/** Where the sealed node data key is bound on the cluster record (sealed with SECRETS_ENCRYPTION_KEY). */
export function nodeDataKeyContext(clusterArmId: string): string {
  return `${clusterArmId.toLowerCase()}#nodeDataKey`;
}

export function taskSealContext(taskId: string): string {
  return `task:${taskId}`;
}

export function setupSealContext(clusterKey: string): string {
  return `setup:${clusterKey.toLowerCase()}`;
}

export function mountSealContext(clusterKey: string, relativeMountPath: string): string {
  return `mount:${clusterKey.toLowerCase()}:${relativeMountPath}`;
}

/** The instrumentation key of a cluster's performance counters, in its nodes' configuration. */
export function performanceCountersSealContext(clusterKey: string): string {
  return `perfcounters:${clusterKey.toLowerCase()}`;
}

/** A private registry's password in one task's message: it opens only for that task. */
export function registrySealContext(taskId: string): string {
  return `registry:${taskId}`;
}

/** A job-level mount's credentials in one task's message: they open only for that task and that mount. */
export function jobMountSealContext(taskId: string, relativeMountPath: string): string {
  return `jobmount:${taskId}:${relativeMountPath}`;
}

/** Parses a base64 node data key, refusing anything but 32 bytes. */
export function decodeNodeDataKey(base64: string, field: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== nodeDataKeyBytes || key.toString('base64') !== base64.trim()) {
    throw new Error(`${field} must be base64 of ${nodeDataKeyBytes} bytes.`);
  }
  return key;
}

/** Seals a map of names to secret values as one value bound to `context`. */
export function sealValues(key: Buffer, values: Record<string, string>, context: string): string {
  return new AesGcmSecretProtector(key).seal(JSON.stringify(values), context);
}

/** Opens what sealValues sealed; throws SealedValueError (naming `what`) when it does not open. */
export function openValues(
  key: Buffer,
  sealed: string,
  context: string,
  what: string,
): Record<string, string> {
  let text: string;
  try {
    text = new AesGcmSecretProtector(key).open(sealed, context);
  } catch {
    throw new SealedValueError(what);
  }
  const parsed = JSON.parse(text) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new SealedValueError(what);
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new SealedValueError(what);
    values[name] = value;
  }
  return values;
}
