// The header every wire message carries: which schema and which version. A reader accepts only versions it
// understands and says so, so an agent and a control plane of different releases fail loudly, not subtly.
import { ContractError } from './contractError';
import { requireObject, requireString, type WireObject } from './wireFields';

export function checkSchemaHeader(
  value: unknown,
  schema: string,
  supportedVersions: readonly number[],
): WireObject {
  const obj = requireObject(value, 'message');
  const actual = requireString(obj, 'schema', 'message', 128);
  if (actual !== schema) throw new ContractError('message.schema', `must be '${schema}'; it is '${actual}'.`);
  const version = obj.version;
  if (typeof version !== 'number' || !supportedVersions.includes(version)) {
    throw new ContractError(
      'message.version',
      `${JSON.stringify(version)} is not supported (this reader understands ${supportedVersions.join(', ')}).`,
    );
  }
  return obj;
}
