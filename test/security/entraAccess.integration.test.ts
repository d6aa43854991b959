// Entra ID authentication and per-workspace roles through the real local host (the repo's app, Azurite, Cosmos
// emulator) with AUTH_MODE=entra and the local Entra ID fake as the tenant's OpenID issuer (its certificate trusted
// for the key fetches only). Needs `npx tsc -p tsconfig.json` first (the host runs dist/).
import { randomBytes, randomUUID } from 'crypto';
import { runCli } from '../../cli/cliRunner';
import { startEntraIdFake, type EntraIdFake } from '../../runtime/fakes/entraIdFake';
import { startTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { API, SUB, workspacePath } from '../api/apiClient';

let fake: EntraIdFake;
let env: TestEnvironment;

const creator = randomUUID();
const reader = randomUUID();
const contributor = randomUUID();
const stranger = randomUUID();
const adminGroup = randomUUID();
const rg = 'rg_security';
const ws1 = workspacePath(rg, 'team_ws');
const ws2 = workspacePath(rg, 'other_ws');

beforeAll(async () => {
  fake = await startEntraIdFake();
  env = await startTestEnvironment({
    settings: {
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...fake.appSettings(),
      AUTH_WORKSPACE_CREATORS: creator,
      AUTH_ADMIN_PRINCIPALS: adminGroup,
    },
  });
}, 120_000);

afterAll(async () => {
  await env?.stop();
  await fake?.stop();
});

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

function tokenFor(oid: string, extra: Parameters<EntraIdFake['mintToken']>[0] = {}): string {
  return fake.mintToken({ oid, ...extra });
}

async function call(
  method: string,
  pathOrUrl: string,
  token: string | undefined,
  body?: unknown,
): Promise<Reply> {
  const url = pathOrUrl.startsWith('http') ? new URL(pathOrUrl) : new URL(`${env.baseUrl}/api${pathOrUrl}`);
  if (!url.searchParams.has('api-version') && !url.pathname.endsWith('openapi.json'))
    url.searchParams.set('api-version', API);
  const response = await fetch(url, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

/** Follows Azure-AsyncOperation (with the caller's token) until the operation ends; returns its status. */
async function settle(reply: Reply, token: string): Promise<string> {
  if (reply.status !== 202) return `HTTP ${reply.status} ${JSON.stringify(reply.body)}`;
  const statusUrl = reply.headers.get('azure-asyncoperation') ?? '';
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await call('GET', statusUrl, token);
    if (status.status !== 200)
      throw new Error(`operation status ${status.status}: ${JSON.stringify(status.body)}`);
    if (status.body.status !== 'InProgress') return String(status.body.status);
    if (Date.now() > deadline) throw new Error('operation still InProgress');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function errorOf(reply: Reply): { code: string; message: string; target?: string } {
  return reply.body.error as { code: string; message: string; target?: string };
}

describe('authentication', () => {
  test('no token is 401 AuthenticationFailed with a Bearer challenge', async () => {
    const reply = await call('GET', ws1, undefined);
    expect(reply.status).toBe(401);
    expect(errorOf(reply).code).toBe('AuthenticationFailed');
    expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(reply.headers.get('x-ms-request-id')).toBeTruthy();
  });

  test('a forged, a wrong-audience and an expired token are 401 with ARM codes, never a 500', async () => {
    const forged = await call('GET', ws1, fake.mintToken({ oid: creator, signWithUnpublishedKey: true }));
    expect([forged.status, errorOf(forged).code]).toEqual([401, 'InvalidAuthenticationToken']);
    expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const audience = await call('GET', ws1, fake.mintToken({ oid: creator, audience: 'api://other' }));
    expect([audience.status, errorOf(audience).code]).toEqual([401, 'InvalidAuthenticationTokenAudience']);
    const expired = await call('GET', ws1, fake.mintToken({ oid: creator, expiresInSeconds: -3600 }));
    expect([expired.status, errorOf(expired).code]).toEqual([401, 'ExpiredAuthenticationToken']);
    const garbage = await call('GET', ws1, 'not-a-jwt');
    expect([garbage.status, errorOf(garbage).code]).toEqual([401, 'InvalidAuthenticationToken']);
  });

  test('the token never appears in the host output', async () => {
    const token = fake.mintToken({ oid: stranger, signWithUnpublishedKey: true });
    await call('GET', ws1, token);
    expect(env.hostOutput()).not.toContain(token.split('.')[2]);
  });

  test('the OpenAPI document stays public; the operations catalogue needs a token', async () => {
    expect((await call('GET', '/openapi.json', undefined)).status).toBe(200);
    expect((await call('GET', '/providers/Microsoft.BatchAI/operations', undefined)).status).toBe(401);
    expect((await call('GET', '/providers/Microsoft.BatchAI/operations', tokenFor(stranger))).status).toBe(
      200,
    );
  });
});

describe('workspace roles', () => {
  const ownerToken = (): string => tokenFor(creator);

  beforeAll(async () => {
    const created = await call('PUT', ws1, ownerToken(), { location: 'eastus' });
    expect(await settle(created, ownerToken())).toBe('Succeeded');
  });

  test('a caller who is not a workspace creator gets 403 AuthorizationFailed in ARM shape', async () => {
    const reply = await call('PUT', workspacePath(rg, 'not_mine'), tokenFor(stranger), {
      location: 'eastus',
    });
    expect(reply.status).toBe(403);
    expect(errorOf(reply).code).toBe('AuthorizationFailed');
    expect(errorOf(reply).message).toBe(
      `The client '${stranger}' with object id '${stranger}' does not have authorization to perform action 'Microsoft.BatchAI/workspaces/write' over scope '/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.BatchAI/workspaces/not_mine' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  });

  test('the creator is the owner of the new workspace', async () => {
    const list = await call('GET', `${ws1}/roleAssignments`, ownerToken());
    expect(list.status).toBe(200);
    expect(list.body.value).toEqual([
      expect.objectContaining({
        name: creator,
        type: 'Microsoft.BatchAI/workspaces/roleAssignments',
        properties: expect.objectContaining({ principalId: creator, role: 'owner', principalType: 'User' }),
      }),
    ]);
    expect((await call('GET', ws1, ownerToken())).status).toBe(200);
  });

  test('a stranger can neither read the workspace nor its children', async () => {
    expect((await call('GET', ws1, tokenFor(stranger))).status).toBe(403);
    expect((await call('GET', `${ws1}/clusters`, tokenFor(stranger))).status).toBe(403);
  });

  test('a reader can GET but gets 403 on a job PUT; a contributor creates the job', async () => {
    const assignReader = await call('PUT', `${ws1}/roleAssignments/${reader}`, ownerToken(), {
      properties: { role: 'reader' },
    });
    expect(assignReader.status).toBe(201);
    const assignContributor = await call('PUT', `${ws1}/roleAssignments/${contributor}`, ownerToken(), {
      properties: { role: 'contributor', principalType: 'ServicePrincipal' },
    });
    expect(assignContributor.status).toBe(201);

    const contributorToken = tokenFor(contributor, { appOnly: true });
    const experiment = await call('PUT', `${ws1}/experiments/exp`, contributorToken);
    expect(await settle(experiment, contributorToken)).toBe('Succeeded');
    const cluster = await call('PUT', `${ws1}/clusters/cpu`, contributorToken, {
      properties: {
        vmSize: 'STANDARD_D1_V2',
        scaleSettings: { manual: { targetNodeCount: 0 } },
        userAccountSettings: {
          adminUserName: 'me',
          adminUserPassword: randomBytes(12).toString('base64url'),
        },
      },
    });
    expect(await settle(cluster, contributorToken)).toBe('Succeeded');

    expect((await call('GET', ws1, tokenFor(reader))).status).toBe(200);
    expect((await call('GET', `${ws1}/clusters`, tokenFor(reader))).status).toBe(200);
    const job = {
      properties: {
        cluster: {
          id: `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.BatchAI/workspaces/team_ws/clusters/cpu`,
        },
        nodeCount: 1,
        stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs',
        customToolkitSettings: { commandLine: 'echo hi' },
      },
    };
    const denied = await call('PUT', `${ws1}/experiments/exp/jobs/j1`, tokenFor(reader), job);
    expect(denied.status).toBe(403);
    expect(errorOf(denied).message).toContain(
      `perform action 'Microsoft.BatchAI/workspaces/experiments/jobs/write' over scope '/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.BatchAI/workspaces/team_ws/experiments/exp/jobs/j1'`,
    );
    const created = await call('PUT', `${ws1}/experiments/exp/jobs/j1`, contributorToken, job);
    expect([200, 202]).toContain(created.status);
    expect((await call('GET', `${ws1}/experiments/exp/jobs/j1`, tokenFor(reader))).status).toBe(200);
    const terminate = await call('POST', `${ws1}/experiments/exp/jobs/j1/terminate`, tokenFor(reader));
    expect(terminate.status).toBe(403);
    expect(errorOf(terminate).message).toContain(
      "'Microsoft.BatchAI/workspaces/experiments/jobs/terminate/action'",
    );
    // A contributor cannot delete the workspace or manage its roles.
    expect((await call('DELETE', ws1, contributorToken)).status).toBe(403);
    expect(
      (
        await call('PUT', `${ws1}/roleAssignments/${stranger}`, contributorToken, {
          properties: { role: 'owner' },
        })
      ).status,
    ).toBe(403);
  });

  test('a group assignment grants its members the role', async () => {
    const group = randomUUID();
    const member = randomUUID();
    expect(
      (
        await call('PUT', `${ws1}/roleAssignments/${group}`, ownerToken(), {
          properties: { role: 'reader', principalType: 'Group' },
        })
      ).status,
    ).toBe(201);
    expect((await call('GET', ws1, tokenFor(member, { groups: [group] }))).status).toBe(200);
    expect((await call('GET', ws1, tokenFor(member))).status).toBe(403);
  });

  test('workspace lists show only what the caller can read; admins see everything', async () => {
    const second = await call('PUT', ws2, ownerToken(), { location: 'eastus' });
    expect(await settle(second, ownerToken())).toBe('Succeeded');
    const names = async (token: string, path: string): Promise<string[]> => {
      const reply = await call('GET', path, token);
      expect(reply.status).toBe(200);
      return (reply.body.value as { name: string }[]).map((w) => w.name).sort();
    };
    const byGroup = `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.BatchAI/workspaces`;
    const bySubscription = `/subscriptions/${SUB}/providers/Microsoft.BatchAI/workspaces`;
    expect(await names(tokenFor(reader), byGroup)).toEqual(['team_ws']);
    expect(await names(tokenFor(reader), bySubscription)).toEqual(['team_ws']);
    expect(await names(tokenFor(stranger), byGroup)).toEqual([]);
    expect(await names(ownerToken(), byGroup)).toEqual(['other_ws', 'team_ws']);
    expect(await names(tokenFor(stranger, { roles: ['BatchAI.Admin'] }), byGroup)).toEqual([
      'other_ws',
      'team_ws',
    ]);
    expect(await names(tokenFor(stranger, { groups: [adminGroup] }), byGroup)).toEqual([
      'other_ws',
      'team_ws',
    ]);
    expect(await names(tokenFor(stranger, { roles: ['BatchAI.Reader'] }), byGroup)).toEqual([
      'other_ws',
      'team_ws',
    ]);
  });
});

describe('role assignment endpoints', () => {
  const ownerToken = (): string => tokenFor(creator);
  const someone = randomUUID();

  test('CRUD: create 201, read, change 200, delete 200 then 204, read 404', async () => {
    const path = `${ws1}/roleAssignments/${someone}`;
    expect((await call('PUT', path, ownerToken(), { properties: { role: 'reader' } })).status).toBe(201);
    const got = await call('GET', path, tokenFor(reader));
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.BatchAI/workspaces/team_ws/roleAssignments/${someone}`,
      properties: { role: 'reader', principalType: 'User', createdBy: creator },
    });
    const changed = await call('PUT', path, ownerToken(), { properties: { role: 'contributor' } });
    expect([changed.status, (changed.body.properties as { role: string }).role]).toEqual([
      200,
      'contributor',
    ]);
    expect((await call('DELETE', path, ownerToken())).status).toBe(200);
    expect((await call('DELETE', path, ownerToken())).status).toBe(204);
    expect((await call('GET', path, ownerToken())).status).toBe(404);
  });

  test('bad bodies and principal ids are 400 naming the field', async () => {
    const bad = await call('PUT', `${ws1}/roleAssignments/${someone}`, ownerToken(), {
      properties: { role: 'god' },
    });
    expect([bad.status, errorOf(bad).target]).toEqual([400, 'properties.role']);
    const type = await call('PUT', `${ws1}/roleAssignments/${someone}`, ownerToken(), {
      properties: { role: 'reader', principalType: 'Cat' },
    });
    expect([type.status, errorOf(type).target]).toEqual([400, 'properties.principalType']);
    const id = await call('PUT', `${ws1}/roleAssignments/alice`, ownerToken(), {
      properties: { role: 'reader' },
    });
    expect([id.status, errorOf(id).target]).toEqual([400, 'principalId']);
  });

  test('the last owner cannot be removed or demoted (409); with a second owner it can', async () => {
    const path = `${ws1}/roleAssignments/${creator}`;
    const removed = await call('DELETE', path, ownerToken());
    expect([removed.status, errorOf(removed).code]).toEqual([409, 'LastOwnerCannotBeRemoved']);
    const demoted = await call('PUT', path, ownerToken(), { properties: { role: 'reader' } });
    expect(demoted.status).toBe(409);
    const coOwner = randomUUID();
    expect(
      (
        await call('PUT', `${ws1}/roleAssignments/${coOwner}`, ownerToken(), {
          properties: { role: 'owner' },
        })
      ).status,
    ).toBe(201);
    expect((await call('DELETE', `${ws1}/roleAssignments/${coOwner}`, tokenFor(coOwner))).status).toBe(200);
  });

  test('deleting a workspace deletes its assignments', async () => {
    const extra = randomUUID();
    expect(
      (await call('PUT', `${ws2}/roleAssignments/${extra}`, ownerToken(), { properties: { role: 'owner' } }))
        .status,
    ).toBe(201);
    const deleted = await call('DELETE', ws2, ownerToken());
    expect(await settle(deleted, ownerToken())).toBe('Succeeded');
    // The former owner keeps no access: a new workspace of that name starts with its creator alone.
    expect((await call('GET', ws2, tokenFor(extra))).status).toBe(403);
    const again = await call('PUT', ws2, ownerToken(), { location: 'eastus' });
    expect(await settle(again, ownerToken())).toBe('Succeeded');
    const list = await call('GET', `${ws2}/roleAssignments`, ownerToken());
    expect((list.body.value as { name: string }[]).map((a) => a.name)).toEqual([creator]);
  });
});

describe('the CLI', () => {
  async function cli(
    args: string[],
    vars: Record<string, string> = {},
  ): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli([...args, '--endpoint', vars.ENDPOINT ?? ''], {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      env: vars,
      cwd: process.cwd(),
    });
    return { code, out: out.join(''), err: err.join('') };
  }

  test('passes --token or BATCHAI_TOKEN as a bearer token; without one it reports the 401', async () => {
    const endpoint = `${env.baseUrl}/api`;
    const list = ['workspace', 'list', '-g', rg, '--query', '[].name', '-o', 'tsv'];
    const withFlag = await cli([...list, '--token', tokenFor(reader)], { ENDPOINT: endpoint });
    expect([withFlag.code, withFlag.out.trim()]).toEqual([0, 'team_ws']);
    const withEnv = await cli(list, { ENDPOINT: endpoint, BATCHAI_TOKEN: tokenFor(creator) });
    expect(withEnv.code).toBe(0);
    expect(withEnv.out.trim().split('\n').sort()).toEqual(['other_ws', 'team_ws']);
    const without = await cli(list, { ENDPOINT: endpoint });
    expect(without.code).not.toBe(0);
    expect(without.err).toContain('AuthenticationFailed');
  });
});
