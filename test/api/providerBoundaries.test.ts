// Boundaries of the provider-level endpoints and role assignments: an operation's status and result are found only
// under its own location (the URL names it), and a role assignment's role and principal type match
// case-insensitively, as the spec's enums do, and are stored in their canonical spelling.
import type { HttpRequest } from '@azure/functions';
import { NotFoundError } from '../../shared/domain/errors';
import type { OperationRecord } from '../../shared/domain/operationRecord';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { validateRoleAssignmentBody } from '../../shared/security/roleAssignment';
import { operationResult, operationStatus } from '../../functions/api/providerApi';

const sub = '00000000-0000-0000-0000-000000000001';
const operationId = '0b7e3c1a-2f4d-4e5f-8a9b-0c1d2e3f4a5b';
const operation: OperationRecord = {
  id: operationId,
  subscriptionId: sub,
  location: 'eastus',
  action: 'delete',
  resource: { kind: 'workspace', subscriptionId: sub, resourceGroup: 'rg', workspace: 'ws', name: 'ws' },
  resourceId: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.BatchAI/workspaces/ws`,
  status: 'Succeeded',
  startTime: '2030-01-01T00:00:00Z',
  endTime: '2030-01-01T00:00:01Z',
};
const deps = {
  store: {
    getOperation: async (id: string) => (id === operationId ? { record: operation, etag: 'e' } : undefined),
  },
} as unknown as ServiceDeps;
const request = (location: string) =>
  ({
    url: `http://localhost/subscriptions/${sub}/providers/Microsoft.BatchAI/locations/${location}/operationstatuses/${operationId}`,
    params: { subscriptionId: sub, location, operationId },
  }) as unknown as HttpRequest;

test("an operation is found under its own location only: another location's URL is a 404", async () => {
  expect((await operationStatus(deps, request('eastus'))).status).toBe(200);
  expect((await operationStatus(deps, request('EastUS'))).status).toBe(200);
  expect((await operationStatus(deps, request('East US'))).status).toBe(200);
  await expect(operationStatus(deps, request('westeurope'))).rejects.toBeInstanceOf(NotFoundError);
  await expect(operationResult(deps, request('westeurope'))).rejects.toBeInstanceOf(NotFoundError);
  expect((await operationResult(deps, request('eastus'))).status).toBe(204); // a delete's result
});

test('a role and a principal type match case-insensitively and are stored canonical', () => {
  expect(validateRoleAssignmentBody({ properties: { role: 'Reader' } })).toEqual({
    role: 'reader',
    principalType: 'User',
  });
  expect(
    validateRoleAssignmentBody({ properties: { role: 'OWNER', principalType: 'servicePrincipal' } }),
  ).toEqual({ role: 'owner', principalType: 'ServicePrincipal' });
  expect(() => validateRoleAssignmentBody({ properties: { role: 'Admin' } })).toThrow(
    expect.objectContaining({ target: 'properties.role' }),
  );
  expect(() => validateRoleAssignmentBody({ properties: { role: 7 } })).toThrow(
    expect.objectContaining({ target: 'properties.role' }),
  );
});
