// The pure authorization logic: route + method -> ARM action -> required role, the role lattice, deployment-wide
// grants (app roles, admin principals, groups), workspace creation rights, and the AUTH_* settings validation.
import { ConfigurationError } from '../../shared/config/appConfig';
import {
  canCreateWorkspaces,
  isCallerActionAllowed,
  isWorkspaceActionAllowed,
  workspaceRoleOf,
  type AccessPolicy,
} from '../../shared/security/accessDecision';
import { apiActionOf } from '../../shared/security/apiAction';
import { readAuthSettings } from '../../shared/security/authSettings';
import { localUser, type CallerPrincipal } from '../../shared/security/callerPrincipal';
import type { RoleAssignment } from '../../shared/security/roleAssignment';
import { validateRoleAssignmentBody } from '../../shared/security/roleAssignment';
import { roleSatisfies } from '../../shared/security/workspaceRole';

const rg = 'subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.BatchAI';
const ws = `${rg}/workspaces/{workspaceName}`;
const job = `${ws}/experiments/{experimentName}/jobs/{jobName}`;

describe('apiActionOf', () => {
  test.each([
    [ws, 'GET', 'Microsoft.BatchAI/workspaces/read', 'workspace', 'reader'],
    [ws, 'PUT', 'Microsoft.BatchAI/workspaces/write', 'workspace', 'contributor'],
    [ws, 'PATCH', 'Microsoft.BatchAI/workspaces/write', 'workspace', 'contributor'],
    [ws, 'DELETE', 'Microsoft.BatchAI/workspaces/delete', 'workspace', 'owner'],
    [`${rg}/workspaces`, 'GET', 'Microsoft.BatchAI/workspaces/read', 'workspaceList', 'reader'],
    [
      'subscriptions/{subscriptionId}/providers/Microsoft.BatchAI/workspaces',
      'GET',
      'Microsoft.BatchAI/workspaces/read',
      'workspaceList',
      'reader',
    ],
    [job, 'GET', 'Microsoft.BatchAI/workspaces/experiments/jobs/read', 'workspace', 'reader'],
    [job, 'PUT', 'Microsoft.BatchAI/workspaces/experiments/jobs/write', 'workspace', 'contributor'],
    [job, 'DELETE', 'Microsoft.BatchAI/workspaces/experiments/jobs/delete', 'workspace', 'contributor'],
    [
      `${job}/terminate`,
      'POST',
      'Microsoft.BatchAI/workspaces/experiments/jobs/terminate/action',
      'workspace',
      'contributor',
    ],
    [
      `${job}/listOutputFiles`,
      'POST',
      'Microsoft.BatchAI/workspaces/experiments/jobs/listoutputfiles/action',
      'workspace',
      'reader',
    ],
    [
      `${ws}/clusters/{clusterName}/listRemoteLoginInformation`,
      'POST',
      'Microsoft.BatchAI/workspaces/clusters/remoteLoginInformation/action',
      'workspace',
      'reader',
    ],
    [`${ws}/clusters`, 'GET', 'Microsoft.BatchAI/workspaces/clusters/read', 'workspace', 'reader'],
    [
      `${ws}/fileServers/{fileServerName}`,
      'PUT',
      'Microsoft.BatchAI/workspaces/fileservers/write',
      'workspace',
      'contributor',
    ],
    [
      `${ws}/experiments/{experimentName}`,
      'DELETE',
      'Microsoft.BatchAI/workspaces/experiments/delete',
      'workspace',
      'contributor',
    ],
    [
      `${ws}/roleAssignments`,
      'GET',
      'Microsoft.BatchAI/workspaces/roleAssignments/read',
      'workspace',
      'reader',
    ],
    [
      `${ws}/roleAssignments/{principalId}`,
      'PUT',
      'Microsoft.BatchAI/workspaces/roleAssignments/write',
      'workspace',
      'owner',
    ],
    [
      `${ws}/roleAssignments/{principalId}`,
      'DELETE',
      'Microsoft.BatchAI/workspaces/roleAssignments/delete',
      'workspace',
      'owner',
    ],
    [
      'subscriptions/{subscriptionId}/providers/Microsoft.BatchAI/locations/{location}/operationstatuses/{operationId}',
      'GET',
      'Microsoft.BatchAI/locations/operationstatuses/read',
      'operation',
      'reader',
    ],
    [
      'subscriptions/{subscriptionId}/providers/Microsoft.BatchAI/locations/{location}/usages',
      'GET',
      'Microsoft.BatchAI/locations/usages/read',
      'authenticated',
      undefined,
    ],
    [
      'providers/Microsoft.BatchAI/operations',
      'GET',
      'Microsoft.BatchAI/operations/read',
      'authenticated',
      undefined,
    ],
    ['openapi.json', 'GET', 'Microsoft.BatchAI/openapi/read', 'anonymous', undefined],
  ])('%s %s is %s (%s, %s)', (route, method, name, check, role) => {
    const action = apiActionOf(route, method);
    expect(action).toMatchObject({ name, check });
    expect(action.role).toBe(role);
  });

  test('only a workspace PUT may be a creation', () => {
    expect(apiActionOf(ws, 'PUT').mayCreateWorkspace).toBe(true);
    expect(apiActionOf(ws, 'PATCH').mayCreateWorkspace).toBeUndefined();
    expect(apiActionOf(job, 'PUT').mayCreateWorkspace).toBeUndefined();
  });

  test('an endpoint the table does not know is closed: contributor under a workspace, admin elsewhere', () => {
    expect(apiActionOf(`${ws}/eventRules/{ruleName}`, 'PUT')).toMatchObject({
      name: 'Microsoft.BatchAI/workspaces/eventRules/write',
      check: 'workspace',
      role: 'contributor',
    });
    expect(apiActionOf(`${ws}/eventRules/{ruleName}`, 'GET').role).toBe('reader');
    expect(apiActionOf(`${ws}/eventRules/{ruleName}/run`, 'POST').role).toBe('contributor');
    expect(apiActionOf('admin/something', 'GET')).toMatchObject({ check: 'deployment', role: 'owner' });
  });
});

const alice = '00000000-0000-0000-0000-00000000a11c';
const team = '00000000-0000-0000-0000-0000000007ea';
const admin = '00000000-0000-0000-0000-0000000000ad';

function caller(overrides: Partial<CallerPrincipal> = {}): CallerPrincipal {
  return { kind: 'User', objectId: alice, tenantId: 't', appRoles: [], groups: [], ...overrides };
}

function assignment(principalId: string, role: RoleAssignment['role']): RoleAssignment {
  return { principalId, role, principalType: 'User', createdOn: '', createdBy: '', updatedOn: '' };
}

const policy: AccessPolicy = { adminPrincipals: [admin], workspaceCreators: [team] };

describe('roles and decisions', () => {
  test('the lattice: owner > contributor > reader > nothing', () => {
    expect(roleSatisfies('owner', 'contributor')).toBe(true);
    expect(roleSatisfies('contributor', 'reader')).toBe(true);
    expect(roleSatisfies('reader', 'contributor')).toBe(false);
    expect(roleSatisfies('contributor', 'owner')).toBe(false);
    expect(roleSatisfies(undefined, 'reader')).toBe(false);
  });

  test('a role comes from a direct assignment or a group, the strongest wins', () => {
    const assignments = [assignment(alice, 'reader'), assignment(team, 'contributor')];
    expect(workspaceRoleOf(caller(), policy, assignments)).toBe('reader');
    expect(workspaceRoleOf(caller({ groups: [team] }), policy, assignments)).toBe('contributor');
    expect(workspaceRoleOf(caller({ objectId: 'someone-else' }), policy, assignments)).toBeUndefined();
  });

  test('deployment-wide grants: BatchAI.Admin and admin principals own everything, BatchAI.Reader reads', () => {
    expect(workspaceRoleOf(caller({ appRoles: ['BatchAI.Admin'] }), policy, [])).toBe('owner');
    expect(workspaceRoleOf(caller({ objectId: admin }), policy, [])).toBe('owner');
    expect(workspaceRoleOf(caller({ groups: [admin] }), policy, [])).toBe('owner');
    expect(workspaceRoleOf(caller({ appRoles: ['BatchAI.Reader'] }), policy, [])).toBe('reader');
    expect(workspaceRoleOf(localUser, { adminPrincipals: [], workspaceCreators: [] }, [])).toBe('owner');
  });

  test('a reader may GET a job but not PUT one; a contributor may PUT but not delete the workspace', () => {
    const facts = { assignments: [assignment(alice, 'reader')], workspaceExists: true };
    expect(isWorkspaceActionAllowed(apiActionOf(job, 'GET'), caller(), policy, facts)).toBe(true);
    expect(isWorkspaceActionAllowed(apiActionOf(job, 'PUT'), caller(), policy, facts)).toBe(false);
    const contributor = { assignments: [assignment(alice, 'contributor')], workspaceExists: true };
    expect(isWorkspaceActionAllowed(apiActionOf(job, 'PUT'), caller(), policy, contributor)).toBe(true);
    expect(isWorkspaceActionAllowed(apiActionOf(ws, 'DELETE'), caller(), policy, contributor)).toBe(false);
    expect(
      isWorkspaceActionAllowed(
        apiActionOf(`${ws}/roleAssignments/{principalId}`, 'PUT'),
        caller(),
        policy,
        contributor,
      ),
    ).toBe(false);
  });

  test('creating a workspace needs creator rights; updating an existing one needs contributor', () => {
    const put = apiActionOf(ws, 'PUT');
    const none = { assignments: [], workspaceExists: false };
    expect(isWorkspaceActionAllowed(put, caller(), policy, none)).toBe(false);
    expect(isWorkspaceActionAllowed(put, caller({ groups: [team] }), policy, none)).toBe(true);
    expect(
      isWorkspaceActionAllowed(put, caller({ appRoles: ['BatchAI.WorkspaceCreator'] }), policy, none),
    ).toBe(true);
    expect(isWorkspaceActionAllowed(put, caller({ appRoles: ['BatchAI.Admin'] }), policy, none)).toBe(true);
    expect(
      isWorkspaceActionAllowed(put, caller({ groups: [team] }), policy, { ...none, workspaceExists: true }),
    ).toBe(false);
    expect(canCreateWorkspaces(caller(), { ...policy, workspaceCreators: 'anyone' })).toBe(true);
  });

  test('actions outside a workspace: authenticated ones for all, unknown ones for admins only', () => {
    expect(
      isCallerActionAllowed(apiActionOf('providers/Microsoft.BatchAI/operations', 'GET'), caller(), policy),
    ).toBe(true);
    expect(isCallerActionAllowed(apiActionOf('admin/x', 'GET'), caller(), policy)).toBe(false);
    expect(isCallerActionAllowed(apiActionOf('admin/x', 'GET'), caller({ objectId: admin }), policy)).toBe(
      true,
    );
  });
});

describe('settings and bodies', () => {
  const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';

  test('AUTH_MODE defaults to none; entra needs a tenant GUID and an audience', () => {
    expect(readAuthSettings({}).mode).toBe('none');
    expect(() => readAuthSettings({ AUTH_MODE: 'entra', AUTH_AUDIENCE: 'api://x' })).toThrow(
      /AUTH_TENANT_ID/,
    );
    expect(() => readAuthSettings({ AUTH_MODE: 'entra', AUTH_TENANT_ID: tenant })).toThrow(/AUTH_AUDIENCE/);
    expect(() => readAuthSettings({ AUTH_MODE: 'easy' })).toThrow(ConfigurationError);
    const settings = readAuthSettings({
      AUTH_MODE: 'entra',
      AUTH_TENANT_ID: tenant,
      AUTH_AUDIENCE: 'api://batchai, 0b8c5b6e-0000-0000-0000-000000000001',
      AUTH_ADMIN_PRINCIPALS: admin.toUpperCase(),
      AUTH_WORKSPACE_CREATORS: '*',
    });
    expect(settings.entra).toMatchObject({
      openIdConfigurationUrl: `https://login.microsoftonline.com/${tenant}/v2.0/.well-known/openid-configuration`,
      audiences: ['api://batchai', '0b8c5b6e-0000-0000-0000-000000000001'],
      clockSkewSeconds: 120,
    });
    expect(settings.adminPrincipals).toEqual([admin]);
    expect(settings.workspaceCreators).toBe('anyone');
  });

  test('bad lists and URLs name the setting', () => {
    expect(() => readAuthSettings({ AUTH_ADMIN_PRINCIPALS: 'alice@contoso.com' })).toThrow(
      /AUTH_ADMIN_PRINCIPALS/,
    );
    expect(() =>
      readAuthSettings({
        AUTH_MODE: 'entra',
        AUTH_TENANT_ID: tenant,
        AUTH_AUDIENCE: 'api://x',
        AUTH_OPENID_CONFIGURATION_URL: 'http://insecure/',
      }),
    ).toThrow(/AUTH_OPENID_CONFIGURATION_URL/);
  });

  test('a role assignment body is validated with the field named', () => {
    expect(validateRoleAssignmentBody({ properties: { role: 'reader' } })).toEqual({
      role: 'reader',
      principalType: 'User',
    });
    expect(() => validateRoleAssignmentBody({ properties: { role: 'admin' } })).toThrow(
      expect.objectContaining({ target: 'properties.role' }),
    );
    expect(() =>
      validateRoleAssignmentBody({ properties: { role: 'owner', principalType: 'Robot' } }),
    ).toThrow(expect.objectContaining({ target: 'properties.principalType' }));
    expect(() => validateRoleAssignmentBody({ properties: { role: 'owner', extra: 1 } })).toThrow(
      expect.objectContaining({ target: 'properties.extra' }),
    );
    expect(() => validateRoleAssignmentBody(undefined)).toThrow(expect.objectContaining({ target: 'body' }));
  });
});
