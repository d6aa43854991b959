// Conversions between JSON texts kept in history and the RpcTypedData values the host's invoke() exchanges.
import type { RpcTypedData } from '../host/plugin';

/** A function's return value as the JSON text a history event stores ("null" when it returned nothing). */
export function rpcToJsonText(data: RpcTypedData | undefined): string {
  if (data === undefined || data === null) return 'null';
  if ('json' in data) return data.json;
  if ('string' in data) return JSON.stringify(data.string);
  if ('int' in data) return JSON.stringify(Number(data.int));
  if ('double' in data) return JSON.stringify(Number(data.double));
  if ('bytes' in data) return JSON.stringify(Buffer.from(data.bytes).toString('base64'));
  return JSON.stringify(data.http);
}

export function rpcToValue(data: RpcTypedData | undefined): unknown {
  return JSON.parse(rpcToJsonText(data)) as unknown;
}
