// Commands from the resource API to the file server monitor, carried by the file-server-commands queue: a file
// server was created or is being deleted, and the monitor should bring its host in line with its record.
import { ContractError } from './contractError';
import { checkSchemaHeader } from './schemaVersion';
import { requireObject, requireString } from './wireFields';
import type { ClusterRefWire } from './clusterCommand';

export const fileServerCommandSchema = 'batchai.fileServerCommand';

export interface FileServerCommand {
  schema: typeof fileServerCommandSchema;
  version: 1;
  fileServerKey: string;
  /** subscriptionId, resourceGroup, workspace, name of the file server. */
  fileServer: ClusterRefWire;
}

export function parseFileServerCommand(value: unknown): FileServerCommand {
  const obj = checkSchemaHeader(value, fileServerCommandSchema, [1]);
  const ref = requireObject(obj.fileServer, 'message.fileServer');
  const fileServer: ClusterRefWire = {
    subscriptionId: requireString(ref, 'subscriptionId', 'message.fileServer', 64),
    resourceGroup: requireString(ref, 'resourceGroup', 'message.fileServer', 90),
    workspace: requireString(ref, 'workspace', 'message.fileServer', 64),
    name: requireString(ref, 'name', 'message.fileServer', 64),
  };
  const fileServerKey = requireString(obj, 'fileServerKey', 'message', 1024);
  if (!fileServerKey.endsWith(`/fileservers/${fileServer.name.toLowerCase()}`)) {
    throw new ContractError('message.fileServerKey', 'does not match message.fileServer.');
  }
  return { schema: fileServerCommandSchema, version: 1, fileServerKey, fileServer };
}
