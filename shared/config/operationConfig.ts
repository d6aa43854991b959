// How long a long-running operation is answered for after it ended (OPERATION_RETENTION_DAYS, default 7): the
// purge timer deletes stored ones older than that, and a completed operation's self-describing id expires then.
import { defaultOperationRetentionDays } from '../domain/services/operationService';
import { integerSetting } from './jobLifecycleConfig';

export function readOperationRetentionDays(env: Readonly<Record<string, string | undefined>>): number {
  return integerSetting(env, 'OPERATION_RETENTION_DAYS', defaultOperationRetentionDays, 3650, 0);
}
