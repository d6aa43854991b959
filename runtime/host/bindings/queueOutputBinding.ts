// `queue` output binding: writes the value to a Storage queue (an array writes one message per element, as in
// Azure), encoded per host.json extensions.queues.messageEncoding; the queue is created when missing.
import type { QueueServiceClient } from '@azure/storage-queue';
import { resolveBindingExpression } from '../bindingExpression';
import type {
  BindingMetadata,
  OutputBindingContext,
  OutputBindingHandler,
  RegisteredFunction,
  RpcTypedData,
} from '../plugin';
import { queueServiceFor } from '../storageConnection';

/** Message texts of an output value: strings as-is, objects as JSON, bytes as UTF-8. */
export function messagesOf(value: RpcTypedData): string[] {
  if ('string' in value) return [value.string];
  if ('bytes' in value) return [Buffer.from(value.bytes).toString('utf8')];
  if ('int' in value) return [String(value.int)];
  if ('double' in value) return [String(value.double)];
  if ('json' in value) {
    const parsed: unknown = JSON.parse(value.json);
    if (Array.isArray(parsed)) return parsed.map((m) => (typeof m === 'string' ? m : JSON.stringify(m)));
    return [typeof parsed === 'string' ? parsed : value.json];
  }
  throw new Error('A queue output binding value must be a string, a JSON value, bytes or an array of them.');
}

export class QueueOutputBinding implements OutputBindingHandler {
  readonly bindingType = 'queue';
  private readonly clients = new Map<string, QueueServiceClient>();
  private readonly created = new Set<string>();

  constructor(
    private readonly settings: Readonly<Record<string, string | undefined>>,
    private readonly encoding: 'base64' | 'none',
  ) {}

  async write(
    fn: RegisteredFunction,
    bindingName: string,
    binding: BindingMetadata,
    value: RpcTypedData,
    context?: OutputBindingContext,
  ): Promise<void> {
    const where = `Function "${fn.name}", output binding "${bindingName}"`;
    if (typeof binding.queueName !== 'string' || binding.queueName === '') {
      throw new Error(`${where}: "queueName" must be a non-empty string.`);
    }
    const queueName = resolveBindingExpression(
      binding.queueName,
      this.settings,
      context?.triggerMetadata ?? {},
      where,
    ).toLowerCase();
    const key = String(binding.connection ?? 'AzureWebJobsStorage');
    let service = this.clients.get(key);
    if (!service) {
      service = queueServiceFor(this.settings, binding.connection, where);
      this.clients.set(key, service);
    }
    const queue = service.getQueueClient(queueName);
    if (!this.created.has(`${key}/${queueName}`)) {
      await queue.createIfNotExists();
      this.created.add(`${key}/${queueName}`);
    }
    for (const text of messagesOf(value)) {
      await queue.sendMessage(
        this.encoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text,
      );
    }
  }
}
