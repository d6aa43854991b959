// A page token comes back from the caller ($skiptoken): one the store refuses (malformed, tampered with, from
// another kind of list) is the caller's error, a 400 naming it, never a 500. Errors without a status (the SDK could
// not even send it) count as refusals too; a store that is down still answers as it does.
import { ValidationError } from '../domain/errors';

export async function withContinuationToken<T>(
  token: string | undefined,
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read();
  } catch (error: unknown) {
    if (token === undefined || !refusesToken(error)) throw error;
    throw new ValidationError(
      '$skiptoken',
      'The $skiptoken is not valid; use the nextLink of the previous page.',
      'InvalidQueryParameterValue',
    );
  }
}

function refusesToken(error: unknown): boolean {
  const { statusCode, code } = (error ?? {}) as { statusCode?: number; code?: unknown };
  const status = statusCode ?? (typeof code === 'number' ? code : undefined);
  return status === undefined || status === 400;
}
