// What a refused call is refused with, for tests of boundaries: the error of the expected class (anything else is
// rethrown, and a call that succeeds fails the test), or a validation error's target.
import { ValidationError } from '../../shared/domain/errors';

/** The error `call` is refused with, which must be a `type`. */
export async function refusal<E extends Error>(
  call: Promise<unknown> | (() => Promise<unknown>),
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (error: unknown) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error('not refused');
}

/** The target of the ValidationError `run` throws; undefined when it does not throw. */
export function targetOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof ValidationError) return error.target;
    throw error;
  }
  return undefined;
}
