// Key Vault secret references (Batch AI's KeyVaultSecretReference): read with the app's identity from the local
// HTTPS fake of the Key Vault REST API (latest or a given version), refused with the reason when the secret is
// missing or the identity may not read it, and never sent to a host that is not a Key Vault or to a vault other
// than the one sourceVault names. In a create body, each reference's value is sealed at the path its plain value
// would have had; a deployment that cannot read vaults refuses a reference with a 400 naming it.
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { createSecretClient } from '../../shared/adapters/compute/keyVaultNodeKeys';
import { KeyVaultSecretReferences } from '../../shared/adapters/keyVault/keyVaultSecretReferences';
import { readKeyVaultReferenceSettings } from '../../shared/config/keyVaultReferenceConfig';
import { ValidationError } from '../../shared/domain/errors';
import { resolveSecretReferences, secretReferencesOf } from '../../shared/domain/services/secretReferences';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import { SecretReferenceError, type SecretReferenceResolver } from '../../shared/ports/secretReferences';
import { startKeyVaultFake, type KeyVaultFake } from '../../runtime/fakes/keyVaultFake';

const vaultId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/teamvault';

function staticCredential(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
}

let vault: KeyVaultFake;

beforeAll(async () => {
  vault = await startKeyVaultFake({ tokens: { owner: 'secretsOfficer', 'batchai-app': 'secretsUser' } });
});

afterAll(async () => {
  await vault?.stop();
});

function resolver(token = 'batchai-app'): KeyVaultSecretReferences {
  return new KeyVaultSecretReferences({
    credential: staticCredential(token),
    allowedHosts: [new URL(vault.vaultUrl).host],
    trustedCertificate: vault.certificate,
  });
}

test('a referenced secret is read with the app identity: the latest value, or the version the URL names', async () => {
  const owner = createSecretClient({
    vaultUrl: vault.vaultUrl,
    credential: staticCredential('owner'),
    trustedCertificate: vault.certificate,
  });
  const first = await owner.setSecret('storage-key', 'a2V5LW9uZQ==');
  await owner.setSecret('storage-key', 'a2V5LXR3bw==');
  expect(
    await resolver().resolve({ sourceVaultId: vaultId, secretUrl: `${vault.vaultUrl}/secrets/storage-key` }),
  ).toBe('a2V5LXR3bw==');
  expect(
    await resolver().resolve({
      sourceVaultId: vaultId,
      secretUrl: `${vault.vaultUrl}/secrets/storage-key/${first.properties.version}`,
    }),
  ).toBe('a2V5LW9uZQ==');
});

test('a missing secret, or one the identity may not read, is refused with the reason', async () => {
  await expect(
    resolver().resolve({ sourceVaultId: vaultId, secretUrl: `${vault.vaultUrl}/secrets/nothing-here` }),
  ).rejects.toThrow(
    new SecretReferenceError(`The secret '${vault.vaultUrl}/secrets/nothing-here' does not exist.`),
  );
  await expect(
    resolver('stranger').resolve({
      sourceVaultId: vaultId,
      secretUrl: `${vault.vaultUrl}/secrets/storage-key`,
    }),
  ).rejects.toThrow("grant it the Key Vault Secrets User role on the vault 'teamvault'");
});

test('nothing is sent to a host that is not a Key Vault, or to a vault other than sourceVault', async () => {
  const requestsBefore = vault.requests.length;
  const cloud = new KeyVaultSecretReferences({ credential: staticCredential('batchai-app') });
  await expect(
    cloud.resolve({ sourceVaultId: vaultId, secretUrl: 'https://evil.example.com/secrets/x' }),
  ).rejects.toThrow("'evil.example.com' is not a Key Vault host this service reads secrets from.");
  await expect(
    cloud.resolve({ sourceVaultId: vaultId, secretUrl: 'https://othervault.vault.azure.net/secrets/x' }),
  ).rejects.toThrow("in vault 'othervault.vault.azure.net', not in the vault 'teamvault'");
  await expect(
    cloud.resolve({ sourceVaultId: vaultId, secretUrl: 'http://teamvault.vault.azure.net/secrets/x' }),
  ).rejects.toThrow('is not a Key Vault secret URL');
  await expect(
    cloud.resolve({ sourceVaultId: vaultId, secretUrl: 'https://teamvault.vault.azure.net/keys/x' }),
  ).rejects.toThrow('is not a Key Vault secret URL');
  await expect(
    cloud.resolve({
      sourceVaultId: '/subscriptions/s/resourceGroups/rg',
      secretUrl: 'https://teamvault.vault.azure.net/secrets/x',
    }),
  ).rejects.toThrow('is not a Key Vault resource id');
  expect(vault.requests.length).toBe(requestsBefore);
});

const reference = (secretUrl: string): Record<string, unknown> => ({
  sourceVault: { id: vaultId },
  secretUrl,
});

test("a create body's references are found wherever they are, and their values take the plain value's path", async () => {
  const properties = {
    secrets: [
      { name: 'PLAIN', value: undefined },
      { name: 'TOKEN', valueSecretReference: reference('https://teamvault.vault.azure.net/secrets/token') },
    ],
    mountVolumes: {
      azureFileShares: [
        {
          accountName: 'acct',
          credentials: {
            accountKeySecretReference: reference('https://teamvault.vault.azure.net/secrets/key'),
          },
        },
      ],
    },
  };
  expect(secretReferencesOf(JSON.parse(JSON.stringify(properties)), 'properties')).toEqual([
    {
      field: 'properties.secrets[1].valueSecretReference',
      valuePath: 'properties.secrets[1].value',
      sourceVaultId: vaultId,
      secretUrl: 'https://teamvault.vault.azure.net/secrets/token',
    },
    {
      field: 'properties.mountVolumes.azureFileShares[0].credentials.accountKeySecretReference',
      valuePath: 'properties.mountVolumes.azureFileShares[0].credentials.accountKey',
      sourceVaultId: vaultId,
      secretUrl: 'https://teamvault.vault.azure.net/secrets/key',
    },
  ]);
  const stub: SecretReferenceResolver = {
    resolve: async ({ secretUrl }) => {
      if (secretUrl.endsWith('/missing')) throw new SecretReferenceError('The secret does not exist.');
      return `value of ${secretUrl.split('/').pop()}`;
    },
  };
  const deps = { secretReferences: stub } as unknown as ServiceDeps;
  expect(await resolveSecretReferences(deps, JSON.parse(JSON.stringify(properties)))).toEqual({
    'properties.secrets[1].value': 'value of token',
    'properties.mountVolumes.azureFileShares[0].credentials.accountKey': 'value of key',
  });
  const missing = {
    secrets: [
      { name: 'X', valueSecretReference: reference('https://teamvault.vault.azure.net/secrets/missing') },
    ],
  };
  await expect(resolveSecretReferences(deps, JSON.parse(JSON.stringify(missing)))).rejects.toThrow(
    new ValidationError(
      'properties.secrets[0].valueSecretReference',
      "'properties.secrets[0].valueSecretReference': The secret does not exist.",
    ),
  );
  await expect(
    resolveSecretReferences({} as ServiceDeps, JSON.parse(JSON.stringify(missing))),
  ).rejects.toThrow('this deployment cannot read Key Vault secrets');
});

test('references are read on Azure, or where hosts are configured; a malformed host list is a configuration error', () => {
  expect(readKeyVaultReferenceSettings({})).toBeUndefined();
  expect(readKeyVaultReferenceSettings({ COMPUTE_BACKEND: 'vmss' })).toEqual({
    allowedHosts: undefined,
    trustedCertificate: undefined,
    deniedVaults: [],
  });
  expect(
    readKeyVaultReferenceSettings({ KEY_VAULT_REFERENCE_HOSTS: '.vault.azure.net, 127.0.0.1:8443' }),
  ).toEqual({
    allowedHosts: ['.vault.azure.net', '127.0.0.1:8443'],
    trustedCertificate: undefined,
    deniedVaults: [],
  });
  // The deployment's own vaults: the listed ones and the node keys' vault.
  expect(
    readKeyVaultReferenceSettings({
      COMPUTE_BACKEND: 'vmss',
      KEY_VAULT_REFERENCE_DENIED_VAULTS: 'kv-abc, KV-ABC',
      COMPUTE_KEY_VAULT_URL: 'https://kvn-abc.vault.azure.net/',
    })?.deniedVaults,
  ).toEqual(['kv-abc', 'kvn-abc']);
  expect(() => readKeyVaultReferenceSettings({ KEY_VAULT_REFERENCE_HOSTS: 'https://x' })).toThrow(
    "App setting KEY_VAULT_REFERENCE_HOSTS has 'https://x', which is neither '.suffix' nor 'host[:port]'.",
  );
});

test("the deployment's own vaults are never read for a reference, by the name sourceVault gives or by the URL's host", async () => {
  const own = new KeyVaultSecretReferences({
    credential: staticCredential('batchai-app'),
    allowedHosts: [new URL(vault.vaultUrl).host],
    trustedCertificate: vault.certificate,
    deniedVaults: ['kv-abc'],
  });
  const reference = {
    sourceVaultId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/KV-abc',
    secretUrl: `${vault.vaultUrl}/secrets/storage-key`,
  };
  await expect(own.resolve(reference)).rejects.toThrow(
    "The vault 'KV-abc' holds this service's own keys: its secrets cannot be referenced.",
  );
  const onAzure = new KeyVaultSecretReferences({
    credential: staticCredential('batchai-app'),
    deniedVaults: ['kv-abc'],
  });
  await expect(
    onAzure.resolve({
      ...reference,
      secretUrl: 'https://kv-abc.vault.azure.net/secrets/secrets-encryption-key',
    }),
  ).rejects.toThrow('holds this service');
  // Another vault is read as before.
  await expect(own.resolve({ ...reference, sourceVaultId: vaultId })).resolves.toBe('a2V5LXR3bw==');
});
