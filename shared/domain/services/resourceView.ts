// The wire form of a stored resource (what GET returns): id, name, type, location and tags for workspaces,
// properties = validated input + read-only status. Secrets are not in the record's spec, so they cannot leak here.
import { kindInfo } from '../resourceId';
import type { ResourceRecord } from '../resourceRecord';
import type { JsonObject } from '../specValidator';

export function toWire(record: ResourceRecord): JsonObject {
  const wire: JsonObject = { id: record.armId, name: record.ref.name, type: kindInfo[record.kind].type };
  if (record.kind === 'workspace') {
    wire.location = record.location;
    if (record.tags && Object.keys(record.tags).length > 0) wire.tags = record.tags;
  }
  wire.properties = { ...record.spec, ...record.status };
  return wire;
}
