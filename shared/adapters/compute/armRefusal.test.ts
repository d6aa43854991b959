import { armRefusalOf } from './armRefusal';

test('a refusal is recorded; a failure the same request can get past later is retried', () => {
  expect(
    armRefusalOf({ code: 'QuotaExceeded', statusCode: 409, message: 'Operation could not be completed' }),
  ).toEqual({ code: 'QuotaExceeded', message: 'Operation could not be completed' });
  expect(
    armRefusalOf(
      new Error('The long-running operation has failed. AllocationFailed. No capacity for NC24rs_v3.'),
    ),
  ).toEqual({ code: 'AllocationFailed', message: 'No capacity for NC24rs_v3.' });
  // Throttling, timeouts, server errors and the transient codes are not refusals.
  for (const error of [
    { code: 'TooManyRequests', statusCode: 429 },
    { code: 'RequestTimeout', statusCode: 408 },
    { code: 'InternalServerError', statusCode: 500 },
    { code: 'Conflict', statusCode: 409, message: 'Another operation is in progress on the scale set.' },
    { code: 'OperationPreempted', statusCode: 409 },
    new Error('The long-running operation has failed. OperationPreempted. Preempted by a newer operation.'),
    new Error('The long-running operation has failed. InternalExecutionError. An internal error occurred.'),
  ]) {
    expect(armRefusalOf(error)).toBeUndefined();
  }
});
