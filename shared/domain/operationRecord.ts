// A long-running operation as ARM reports it (Azure-AsyncOperation status): created by PUT, DELETE and terminate.
import type { ResourceRef } from './resourceId';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
export type OperationAction = 'create' | 'delete' | 'terminate';

export interface OperationRecord {
  /** GUID; also the last segment of the operation URLs. */
  id: string;
  subscriptionId: string;
  location: string;
  action: OperationAction;
  resource: ResourceRef;
  resourceId: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  error?: { code: string; message: string };
}
