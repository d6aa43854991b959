// `blob` output binding: uploads the value to `path` (`container/blob/name`, binding expressions resolved), creating
// the container when missing. Bytes are written as-is, strings as UTF-8, JSON values as their JSON text.
import type { BlobServiceClient } from '@azure/storage-blob';
import { resolveBindingExpression } from '../bindingExpression';
import type {
  BindingMetadata,
  OutputBindingContext,
  OutputBindingHandler,
  RegisteredFunction,
  RpcTypedData,
} from '../plugin';
import { blobServiceFor } from '../storageConnection';

function contentOf(value: RpcTypedData): Buffer {
  if ('bytes' in value) return Buffer.from(value.bytes);
  if ('string' in value) return Buffer.from(value.string, 'utf8');
  if ('json' in value) return Buffer.from(value.json, 'utf8');
  if ('int' in value) return Buffer.from(String(value.int));
  if ('double' in value) return Buffer.from(String(value.double));
  throw new Error('A blob output binding value must be a string, bytes or a JSON value.');
}

export class BlobOutputBinding implements OutputBindingHandler {
  readonly bindingType = 'blob';
  private readonly clients = new Map<string, BlobServiceClient>();
  private readonly created = new Set<string>();

  constructor(private readonly settings: Readonly<Record<string, string | undefined>>) {}

  async write(
    fn: RegisteredFunction,
    bindingName: string,
    binding: BindingMetadata,
    value: RpcTypedData,
    context?: OutputBindingContext,
  ): Promise<void> {
    const where = `Function "${fn.name}", output binding "${bindingName}"`;
    if (typeof binding.path !== 'string' || !binding.path.includes('/')) {
      throw new Error(`${where}: "path" must be "container/blobName".`);
    }
    const resolved = resolveBindingExpression(
      binding.path,
      this.settings,
      context?.triggerMetadata ?? {},
      where,
    );
    const slash = resolved.indexOf('/');
    const containerName = resolved.slice(0, slash);
    const blobName = resolved.slice(slash + 1);
    if (!containerName || !blobName)
      throw new Error(`${where}: path "${resolved}" must be "container/blobName".`);
    const key = String(binding.connection ?? 'AzureWebJobsStorage');
    let service = this.clients.get(key);
    if (!service) {
      service = blobServiceFor(this.settings, binding.connection, where);
      this.clients.set(key, service);
    }
    const container = service.getContainerClient(containerName);
    if (!this.created.has(`${key}/${containerName}`)) {
      await container.createIfNotExists();
      this.created.add(`${key}/${containerName}`);
    }
    const content = contentOf(value);
    await container.getBlockBlobClient(blobName).upload(content, content.length);
  }
}
