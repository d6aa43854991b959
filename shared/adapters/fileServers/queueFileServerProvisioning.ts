// The resource API's FileServerProvisioning seam: a command on the file-server-commands queue, which starts or
// wakes the file server's monitor orchestration.
import type { QueueClient } from '@azure/storage-queue';
import { fileServerCommandSchema, type FileServerCommand } from '../../contracts/fileServerCommand';
import { encodeQueueMessage } from '../../contracts/wireEncoding';
import { keyOf } from '../../domain/resourceId';
import type { ResourceRecord } from '../../domain/resourceRecord';
import type { FileServerProvisioning } from '../../ports/fileServerProvisioning';

export class QueueFileServerProvisioning implements FileServerProvisioning {
  constructor(private readonly commands: QueueClient) {}

  async fileServerChanged(fileServer: ResourceRecord): Promise<void> {
    const { subscriptionId, resourceGroup, workspace, name } = fileServer.ref;
    const command: FileServerCommand = {
      schema: fileServerCommandSchema,
      version: 1,
      fileServerKey: keyOf(fileServer.ref),
      fileServer: { subscriptionId, resourceGroup, workspace, name },
    };
    await this.commands.sendMessage(encodeQueueMessage(command));
  }
}
